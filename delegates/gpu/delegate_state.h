/* State shared by the delegate's entry points, partition kernels and report writer. */
#ifndef EDGEQ_GPU_DELEGATE_STATE_H
#define EDGEQ_GPU_DELEGATE_STATE_H

#include "claims.h"
#include "device.h"
#include "edgeq/tflite_c_abi.h"
#include "gpu_op.h"
#include "gpu_options.h"
#include "offload.h"
#include "partition.h"

typedef struct {
  int tensor;
  cl_mem mem;
  size_t bytes;
  int alias; /* 1: another tensor's buffer (a RESHAPE's output is its input's bytes), not released here */
} eqg_buf;

typedef struct eqg_partition {
  eq_shape_guard inputs;  /* first (eq_shape_guard_prepare): shapes at build time, resizing after delegation is an error */
  struct eqg_delegate* owner;
  int id;
  int n_nodes;
  int* node_index;
  const eqg_op_kind** kinds;
  eqg_node_plan* plans;
  const char** fused;     /* per node: how it was fused (static text), or NULL */
  int n_bufs;
  eqg_buf* bufs;          /* one device buffer per tensor the partition touches */
  int n_in, n_out;
  int* in_buf;            /* bufs[] slots uploaded every invoke (non-constant partition inputs) */
  int* out_buf;           /* bufs[] slots read back every invoke (partition outputs) */
  /* pinned host staging of the uploads / readbacks (CL_MEM_ALLOC_HOST_PTR buffers mapped once: the
   * driver DMAs straight from / into them instead of staging pageable memory itself); NULL host
   * pointer: the tensor's memory is used directly (EDGEQ_GPU_PINNED=0, or the map failed) */
  cl_mem* in_pin;
  void** in_host;
  cl_mem* out_pin;
  void** out_host;
  int sync_read;          /* 1: the last readback blocks (no clFinish); 0 (EDGEQ_GPU_SYNC=finish): clFinish */
  int flush_after;        /* EDGEQ_GPU_FLUSH=N: clFlush after the N-th launch (the device starts while the host
                           * enqueues the rest; an experiment, 0 = never) */
  long invocations;
  long profiled;          /* invocations timed with OpenCL events (profile=1) */
  double last_invoke_ms;
  double first_invoke_ms; /* the first run (a lazy driver, PoCL, compiles its kernels there) */
  /* host timeline of the invokes after the first, summed (ms): uploads enqueued (with the copies
   * into staging), kernels enqueued, readbacks enqueued and waited for, copies out of staging */
  double t_upload, t_kernels, t_wait, t_copy_out, t_total;
  double setup_ms;        /* building it: buffers, weight uploads, kernel objects and arguments */
  struct eqg_partition* next;
} eqg_partition;

typedef struct eqg_delegate {
  TfLiteDelegate base; /* first: the runtime hands us a TfLiteDelegate* */
  eqg_options opts;
  int dev_state;       /* 0 not opened yet, 1 open, -1 unavailable */
  char dev_error[1024];
  eqg_device dev;
  eq_claims claims;    /* of the last partitioning */
  eqg_offload offload;  /* the offload model's groups of the last partitioning (n = 0 when not applied) */
  char claim_note[512]; /* why nothing was claimed although nodes qualified, or "" */
  eqg_partition* partitions;
  int next_partition_id;
} eqg_delegate;

/* Writes the JSON report (report_path, when set) from the delegate's current state. */
void eqg_report(eqg_delegate* d, TfLiteContext* ctx);

#endif
