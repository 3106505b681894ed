/* Options of the CPU delegate: the shared ones (ops, report_path, verbose) plus its own. */
#ifndef EDGEQ_CPU_CPU_OPTIONS_H
#define EDGEQ_CPU_CPU_OPTIONS_H

#include <stddef.h>

#include "options.h"

typedef struct {
  eq_base_options base;
  int num_threads; /* >= 1 */
  int fast;        /* mode=fast: fp32 requantization in CONV_2D / FULLY_CONNECTED /
                      DEPTHWISE_CONV_2D, within +-1 of the bit-exact mode=exact */
  char* profile_path; /* per-node times appended as JSON lines when a kernel is freed; NULL = off */
  int profile_thread_clock; /* profile_clock=thread: per-node times in the calling thread's CPU time */
} eq_cpu_options;

/* Returns 0 on success; else writes a one-line reason (naming the fix) into err. */
int eq_cpu_options_parse(eq_cpu_options* o, const char* const* keys, const char* const* values, size_t n, char* err,
                         size_t errlen);
void eq_cpu_options_free(eq_cpu_options* o);

#endif /* EDGEQ_CPU_CPU_OPTIONS_H */
