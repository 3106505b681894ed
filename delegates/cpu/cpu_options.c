/* Parsing of the CPU delegate's options. */
#include "cpu_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_op.h"

#define WHO "edgeq cpu delegate"

int eq_cpu_options_parse(eq_cpu_options* o, const char* const* keys, const char* const* values, size_t n, char* err,
                         size_t errlen) {
  memset(o, 0, sizeof(*o));
  eq_base_options_init(&o->base, &eq_cpu_ops);
  o->num_threads = 1;
  for (size_t i = 0; i < n; ++i) {
    const char* k = keys[i] ? keys[i] : "";
    const char* v = values[i] ? values[i] : "";
    const int shared = eq_base_option(&o->base, &eq_cpu_ops, WHO, k, v, err, errlen);
    if (shared < 0) return -1;
    if (shared) continue;
    if (strcmp(k, "num_threads") == 0) {
      long t = 0;
      if (eq_parse_long(v, &t) || t < 1 || t > 256) {
        snprintf(err, errlen, WHO ": num_threads='%s' is invalid: give an integer from 1 to 256", v);
        return -1;
      }
      o->num_threads = (int)t;
    } else if (strcmp(k, "mode") == 0) {
      if (strcmp(v, "exact") == 0) {
        o->fast = 0;
      } else if (strcmp(v, "fast") == 0) {
        o->fast = 1;
      } else {
        snprintf(err, errlen, WHO ": mode='%s' is not supported: use mode=exact or mode=fast", v);
        return -1;
      }
    } else if (strcmp(k, "profile_path") == 0) {
      if (!*v) {
        snprintf(err, errlen, WHO ": profile_path is empty: give a file to append the per-node times to");
        return -1;
      }
      free(o->profile_path);
      if (!(o->profile_path = strdup(v))) {
        snprintf(err, errlen, WHO ": out of memory");
        return -1;
      }
    } else if (strcmp(k, "profile_clock") == 0) {
      if (strcmp(v, "wall") == 0) {
        o->profile_thread_clock = 0;
      } else if (strcmp(v, "thread") == 0) {
        o->profile_thread_clock = 1;
      } else {
        snprintf(err, errlen, WHO ": profile_clock='%s' is not supported: use profile_clock=wall or profile_clock=thread",
                 v);
        return -1;
      }
    } else {
      snprintf(err, errlen,
               WHO ": unknown option '%s': use num_threads, ops, mode, report_path, profile_path, profile_clock or "
                   "verbose",
               k);
      return -1;
    }
  }
  return 0;
}

void eq_cpu_options_free(eq_cpu_options* o) {
  eq_base_options_free(&o->base);
  free(o->profile_path);
  o->profile_path = NULL;
}
