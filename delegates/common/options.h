/* Delegate options (string key/values from tflite_plugin_create_delegate): the keys every edgeq
 * delegate takes (ops, report_path, verbose), with the same defaults, rules and messages, and
 * the value parsers the delegate-specific keys use. Unknown keys and bad values fail delegate
 * creation with a one-line reason, so a typo never silently runs another configuration. */
#ifndef EDGEQ_COMMON_OPTIONS_H
#define EDGEQ_COMMON_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "registry.h"

typedef struct {
  uint8_t op_enabled[EQ_MAX_OPS]; /* by registry index */
  char* report_path;              /* NULL or a path: JSON of claimed/rejected nodes */
  int verbose;                    /* log claimed / rejected nodes to stderr */
} eq_base_options;

/* Defaults: every op enabled, no report, verbose when env EDGEQ_DELEGATE_VERBOSE is set and not "0". */
void eq_base_options_init(eq_base_options* o, const eq_op_registry* ops);
/* Parses `key` if it is one of the shared keys: 1 when taken, 0 when not a shared key, -1 on a
 * bad value (one-line reason in err, prefixed with who). */
int eq_base_option(eq_base_options* o, const eq_op_registry* ops, const char* who, const char* key,
                   const char* value, char* err, size_t errlen);
void eq_base_options_free(eq_base_options* o);

/* The whole string (surrounding spaces allowed after it) as a base-10 integer; -1 if it is not one. */
int eq_parse_long(const char* s, long* out);
/* "0" or "1" into *out; -1 (with "who: key='v' is invalid: use 0 or 1" in err) otherwise. */
int eq_parse_flag(const char* who, const char* key, const char* v, int* out, char* err, size_t errlen);

#endif /* EDGEQ_COMMON_OPTIONS_H */
