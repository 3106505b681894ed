/* The claim report: which nodes a delegate claimed and why it left the others to the runtime,
 * as stderr lines (verbose) and as the "claimed" / "rejected" part of the report_path JSON that
 * tests and tools read. One writer for both delegates. */
#ifndef EDGEQ_COMMON_CLAIMS_H
#define EDGEQ_COMMON_CLAIMS_H

#include <stdio.h>

#include "edgeq/tflite_c_abi.h"

typedef struct {
  int node;
  int builtin_code;
  const char* op;          /* the delegate's op name (static), or NULL when it has no such op */
  const char* reason;      /* NULL when claimed, else why not (static) */
  TfLiteIntArray* tensors; /* claimed nodes: inputs then outputs, for the report's tensor names */
  int n_inputs;
} eq_claim;

typedef struct {
  eq_claim* items; /* in execution-plan order */
  int count;
} eq_claims;

int eq_claims_claimed(const eq_claims* c);
void eq_claims_clear(eq_claims* c);
/* One line per node ("who: claimed node 3 (CONV_2D)", "who: left node 4 (...) to the runtime:
 * reason") and the total. */
void eq_claims_print(const eq_claims* c, const char* who, FILE* f);
/* `"claimed": [...],\n  "rejected": [...]` (JSON members, two-space indent); tensor names are
 * read from ctx. */
void eq_claims_write_json(const eq_claims* c, TfLiteContext* ctx, FILE* f);

/* Writes report_path through write(f, ctx, arg) into a temporary file renamed over it, so readers
 * never see half a report. Reports a failure through ctx (who: cannot write ...); 0 on success. */
int eq_report_write(TfLiteContext* ctx, const char* who, const char* path,
                    void (*write)(FILE* f, TfLiteContext* ctx, const void* arg), const void* arg);
/* A JSON string with escapes. */
void eq_json_string(FILE* f, const char* s);

#endif /* EDGEQ_COMMON_CLAIMS_H */
