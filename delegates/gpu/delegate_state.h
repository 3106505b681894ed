/* State shared by the delegate's entry points, partition kernels and report writer. */
#ifndef EDGEQ_GPU_DELEGATE_STATE_H
#define EDGEQ_GPU_DELEGATE_STATE_H

#include "device.h"
#include "edgeq/tflite_c_abi.h"
#include "gpu_ops.h"
#include "gpu_options.h"

typedef struct {
  int tensor;
  cl_mem mem;
  size_t bytes;
} eqg_buf;

typedef struct eqg_partition {
  struct eqg_delegate* owner;
  int id;
  int n_nodes;
  int* node_index;
  const eqg_op_kind** kinds;
  eqg_node_plan* plans;
  int n_bufs;
  eqg_buf* bufs;          /* one device buffer per tensor the partition touches */
  int n_in, n_out;
  int* in_buf;            /* bufs[] slots uploaded every invoke (non-constant partition inputs) */
  int* out_buf;           /* bufs[] slots read back every invoke (partition outputs) */
  TfLiteIntArray** in_dims; /* shapes at build time: resizing after delegation is an error */
  long invocations;
  double last_invoke_ms;
  struct eqg_partition* next;
} eqg_partition;

typedef struct {
  int node;
  const char* op;      /* static string or NULL */
  int builtin_code;
  const char* reason;  /* NULL when claimed */
} eqg_node_record;

typedef struct eqg_delegate {
  TfLiteDelegate base; /* first: the runtime hands us a TfLiteDelegate* */
  eqg_options opts;
  int dev_state;       /* 0 not opened yet, 1 open, -1 unavailable */
  char dev_error[1024];
  eqg_device dev;
  eqg_node_record* records;
  int n_records;
  int n_claimed;
  char claim_note[512]; /* why nothing was claimed although nodes qualified, or "" */
  eqg_partition* partitions;
  int next_partition_id;
} eqg_delegate;

/* Writes the JSON report (report_path) from the delegate's current state. */
int eqg_report_write(const eqg_delegate* d);

#endif
