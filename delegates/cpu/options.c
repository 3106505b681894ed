/* Parsing of delegate options. Unknown keys and bad values fail delegate creation, so a
 * typo never silently runs a different configuration. */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"
#include "option_parse.h"

static const char* op_name(size_t i) { return eq_op_at(i)->name; }

int eq_options_parse(eq_options* o, const char* const* keys, const char* const* values, size_t n, char* err,
                     size_t errlen) {
  memset(o, 0, sizeof(*o));
  o->num_threads = 1;
  for (size_t i = 0; i < eq_op_count() && i < EQ_MAX_OPS; ++i) o->op_enabled[i] = 1;
  const char* env = getenv("EDGEQ_DELEGATE_VERBOSE");
  o->verbose = env && *env && strcmp(env, "0") != 0;
  for (size_t i = 0; i < n; ++i) {
    const char* k = keys[i] ? keys[i] : "";
    const char* v = values[i] ? values[i] : "";
    if (strcmp(k, "num_threads") == 0) {
      long t = 0;
      if (eq_parse_long(v, &t) || t < 1 || t > 256) {
        snprintf(err, errlen, "edgeq cpu delegate: num_threads='%s' is invalid: give an integer from 1 to 256", v);
        return -1;
      }
      o->num_threads = (int)t;
    } else if (strcmp(k, "ops") == 0) {
      if (eq_parse_op_list(v, eq_op_count(), op_name, o->op_enabled, "edgeq cpu delegate", err, errlen)) return -1;
    } else if (strcmp(k, "mode") == 0) {
      if (strcmp(v, "exact") == 0) {
        o->fast = 0;
      } else if (strcmp(v, "fast") == 0) {
        o->fast = 1;
      } else {
        snprintf(err, errlen, "edgeq cpu delegate: mode='%s' is not supported: use mode=exact or mode=fast", v);
        return -1;
      }
    } else if (strcmp(k, "report_path") == 0) {
      if (!*v) {
        snprintf(err, errlen, "edgeq cpu delegate: report_path is empty: give a file path or leave the option out");
        return -1;
      }
      free(o->report_path);
      o->report_path = strdup(v);
    } else if (strcmp(k, "verbose") == 0) {
      long t = 0;
      if (eq_parse_long(v, &t) || (t != 0 && t != 1)) {
        snprintf(err, errlen, "edgeq cpu delegate: verbose='%s' is invalid: use 0 or 1", v);
        return -1;
      }
      o->verbose = (int)t;
    } else {
      snprintf(err, errlen,
               "edgeq cpu delegate: unknown option '%s': use num_threads, ops, mode, report_path or verbose", k);
      return -1;
    }
  }
  return 0;
}

void eq_options_free(eq_options* o) {
  free(o->report_path);
  o->report_path = NULL;
}
