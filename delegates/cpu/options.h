/* Delegate options (string key/values from tflite_plugin_create_delegate). */
#ifndef EDGEQ_CPU_OPTIONS_H
#define EDGEQ_CPU_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#define EQ_MAX_OPS 32

typedef struct {
  int num_threads;               /* >= 1 */
  uint8_t op_enabled[EQ_MAX_OPS]; /* by registry index */
  char* report_path;             /* NULL or a path: JSON of claimed/rejected nodes */
  int verbose;                   /* log claimed nodes to stderr */
  int fast;                      /* mode=fast: fp32 requantization in CONV_2D / FULLY_CONNECTED /
                                    DEPTHWISE_CONV_2D, within +-1 of the bit-exact mode=exact */
} eq_options;

/* Returns 0 on success; else writes a one-line reason (naming the fix) into err. */
int eq_options_parse(eq_options* o, const char* const* keys, const char* const* values, size_t n, char* err,
                     size_t errlen);
void eq_options_free(eq_options* o);

#endif
