/* The offload model: which connected groups of claimed nodes are worth running on the device.
 * A group's cost on the device is its fixed per-invoke overhead (enqueue, final sync), one
 * transfer per tensor crossing the group's boundary (latency + bytes over the bus) and a launch
 * per node; what it saves is the CPU time of its work (multiply-adds of CONV/DEPTHWISE/FC at a
 * good single-thread int8 rate, elements moved by the other ops), the device's own compute
 * counted as free (a GPU runs int8 at >= 10x a CPU core). A group whose cost exceeds what it
 * saves is left to the runtime with the figures in the report. The constants are fixed (not
 * measured), so the decision is the same on every machine. */
#ifndef EDGEQ_GPU_OFFLOAD_H
#define EDGEQ_GPU_OFFLOAD_H

#include "edgeq/tflite_c_abi.h"

typedef struct {
  int n_nodes, first_node;       /* first_node: the group's first node in execution order */
  int n_in, n_out;               /* tensors uploaded / read back per invoke */
  double bytes_in, bytes_out;
  double mac_ops, elements;      /* 2 x multiply-adds of the conv/FC nodes; elements of the others */
  double device_us, cpu_us;      /* estimated device overhead vs CPU time of the work */
  int kept;
} eqg_offload_group;

typedef struct {
  int n;
  eqg_offload_group* groups;
} eqg_offload;

/* The model's constants, written into the report next to its decisions. */
#define EQG_OFFLOAD_SYNC_US 30.0        /* per invoke of a partition: enqueue + clFinish wake-up */
#define EQG_OFFLOAD_TRANSFER_US 10.0    /* per buffer written or read */
#define EQG_OFFLOAD_BYTES_PER_US 10000.0 /* ~10 GB/s (pageable PCIe copies) */
#define EQG_OFFLOAD_LAUNCH_US 2.0       /* per node's kernel enqueue */
#define EQG_OFFLOAD_CPU_MAC_OPS_PER_US 50000.0 /* 50 G int8 ops/s: one CPU core's optimized kernels */
#define EQG_OFFLOAD_CPU_ELEMENTS_PER_US 1000.0 /* elementwise / pooling / reshape: 1 element per ns */

/* Groups the claimed nodes (connected through tensors they share), estimates each and sets
 * why[i] for the nodes of every group it declines; fills o (freed with eqg_offload_free). */
void eqg_offload_decide(TfLiteContext* ctx, const TfLiteIntArray* claimed, const char** why, eqg_offload* o);
void eqg_offload_free(eqg_offload* o);

/* The reason given to a declined node. */
extern const char eqg_offload_declined[];

#endif
