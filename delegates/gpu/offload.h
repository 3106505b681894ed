/* The offload model: which connected groups of claimed nodes are worth running on the device.
 * A group's device time is estimated as its fixed per-invoke overhead (enqueue, final sync), one
 * transfer per tensor crossing the group's boundary (latency + bytes over the bus), a launch per
 * node that will run a kernel (fuse.h: fused nodes and RESHAPEs run none) and its multiply-adds at the
 * device's rate; the CPU time it replaces as, per CONV/DEPTHWISE/
 * FC node, the slower of its multiply-adds and its weights' memory traffic, plus the elements the
 * other ops touch, at per-thread rates times the CPU path's threads, plus a per-node dispatch cost
 * that grows with the threads. A group whose device
 * estimate is not below its CPU estimate is left to the runtime, with the figures in the report.
 * Rates: options cpu_threads or num_threads (default 1: the threads of an edgeq-cpu delegate that runs
 * what this one declines; num_threads is that delegate's own option, so one options set configures
 * both), cpu_gops, device_gops (default: compute units x clock x 128 ops x 18%), launch_us; the
 * defaults are fitted to the H200 runs benchmarks/results/gpu_suite_h200_s4*.json (edgeq-cpu at 16
 * Xeon threads vs the GPU with every node on it): on run 2's figures 12 of 13 models go the faster
 * way (EfficientNetV2B0, 8% apart, not), on run 1's 7 of 8 (MobileNetV3-Large: 1.35 vs 1.64 ms there,
 * 1.61 vs 1.49 in run 2: the runs differ by more than some models' gaps). */
#ifndef EDGEQ_GPU_OFFLOAD_H
#define EDGEQ_GPU_OFFLOAD_H

#include "edgeq/tflite_c_abi.h"

typedef struct {
  int n_nodes, first_node;       /* first_node: the group's first node in execution order */
  int launches;                  /* kernel launches per invoke: nodes fused into another's kernel run none */
  int n_in, n_out;               /* tensors uploaded / read back per invoke */
  double bytes_in, bytes_out;
  double mac_ops, elements;      /* 2 x multiply-adds of the conv/FC nodes; elements of the others */
  double weight_bytes;           /* the conv/FC nodes' weights */
  double device_us, device_compute_us, cpu_us; /* device estimate (compute part) vs CPU estimate */
  int kept;
} eqg_offload_group;

/* The rates a decision used, written into the report next to it. */
typedef struct {
  double sync_us, transfer_us, bytes_per_us, launch_us, device_ops_per_us;
  double cpu_threads, cpu_ops_per_us, cpu_elements_per_us, cpu_bytes_per_us; /* CPU rates per thread */
  double cpu_node_us;                                                        /* per node, all threads */
  const char *device_rate_from, *threads_from;                         /* "option" or how it was estimated */
} eqg_offload_rates;

typedef struct {
  int n;
  eqg_offload_group* groups;
  eqg_offload_rates rates;
} eqg_offload;

#define EQG_OFFLOAD_SYNC_US 30.0         /* per invoke of a partition: enqueue + clFinish wake-up */
#define EQG_OFFLOAD_TRANSFER_US 10.0     /* per buffer written or read */
#define EQG_OFFLOAD_BYTES_PER_US 10000.0 /* ~10 GB/s (pageable PCIe copies) */
#define EQG_OFFLOAD_LAUNCH_US 9.0        /* per node: NVIDIA OpenCL small kernels end ~8-10 us apart */
#define EQG_OFFLOAD_DEVICE_OPS_PER_CYCLE_CU (128.0 * 0.18) /* 18% of 128 int ops per cycle per CU */
#define EQG_OFFLOAD_CPU_GOPS 100.0       /* per thread: optimized int8 kernels */
#define EQG_OFFLOAD_CPU_ELEMENTS_PER_US 2400.0 /* per thread: elementwise / pooling / reshape */
#define EQG_OFFLOAD_CPU_BYTES_PER_US 8000.0    /* per thread: weights streamed from memory (8 GB/s) */
#define EQG_OFFLOAD_CPU_NODE_US 1.0      /* per node at one thread, + 0.3 us per further thread */
#define EQG_OFFLOAD_CPU_NODE_US_PER_THREAD 0.3

/* The rates: options where given (0 = default), else the defaults above; the device's from its
 * compute units and clock; one CPU thread unless cpu_threads says otherwise. */
void eqg_offload_rates_init(eqg_offload_rates* r, const TfLiteContext* ctx, double cpu_threads, double cpu_gops,
                            double device_gops, double launch_us, unsigned compute_units, unsigned clock_mhz);

/* Groups the claimed nodes (connected through tensors they share), estimates each with the rates
 * and sets why[i] for the nodes of every group it declines; fills o (freed with eqg_offload_free). */
void eqg_offload_decide(TfLiteContext* ctx, const TfLiteIntArray* claimed, const eqg_offload_rates* rates,
                        const char** why, eqg_offload* o);
void eqg_offload_free(eqg_offload* o);

/* The reason given to a declined node. */
extern const char eqg_offload_declined[];

#endif
