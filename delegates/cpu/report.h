/* Partition report: which nodes the delegate claimed (and why others were left to the
 * runtime), as JSON for tests and tools, or as lines on stderr. */
#ifndef EDGEQ_CPU_REPORT_H
#define EDGEQ_CPU_REPORT_H

#include <stdio.h>

#include "edgeq/tflite_c_abi.h"

typedef struct eq_report eq_report;

eq_report* eq_report_begin(int num_threads);
/* The delegate's numeric mode ("exact" or "fast"), a static string; "exact" by default. */
void eq_report_set_mode(eq_report* r, const char* mode);
void eq_report_claimed(eq_report* r, TfLiteContext* ctx, int node_index, const char* op, const TfLiteNode* node);
void eq_report_rejected(eq_report* r, int node_index, int builtin_code, const char* op, const char* reason);
void eq_report_print(const eq_report* r, FILE* f);
/* Atomic write (temp file + rename). Returns 0 on success. */
int eq_report_write(const eq_report* r, const char* path);
void eq_report_free(eq_report* r);

#endif
