/* Parsing of delegate options. Unknown keys and bad values fail delegate creation, so a
 * typo never silently runs a different configuration. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops/ops.h"

static int parse_int(const char* s, long* out) {
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s) return -1;
  while (*end && isspace((unsigned char)*end)) ++end;
  if (*end) return -1;
  *out = v;
  return 0;
}

static void supported_ops(char* buf, size_t len) {
  buf[0] = 0;
  for (size_t i = 0; i < eq_op_count(); ++i) {
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", i ? "," : "", eq_op_at(i)->name);
  }
}

static int parse_ops(eq_options* o, const char* list, char* err, size_t errlen) {
  memset(o->op_enabled, 0, sizeof(o->op_enabled));
  char* copy = strdup(list);
  if (!copy) {
    snprintf(err, errlen, "edgeq cpu delegate: out of memory while parsing ops");
    return -1;
  }
  int count = 0;
  for (char* save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (isspace((unsigned char)*tok)) ++tok;
    char* e = tok + strlen(tok);
    while (e > tok && isspace((unsigned char)e[-1])) *--e = 0;
    if (!*tok) continue;
    size_t i = 0;
    for (; i < eq_op_count(); ++i)
      if (strcasecmp(eq_op_at(i)->name, tok) == 0) break;
    if (i == eq_op_count()) {
      char names[512];
      supported_ops(names, sizeof(names));
      snprintf(err, errlen, "edgeq cpu delegate: unknown op '%s' in option ops: use names from %s", tok, names);
      free(copy);
      return -1;
    }
    o->op_enabled[i] = 1;
    ++count;
  }
  free(copy);
  if (!count) {
    snprintf(err, errlen, "edgeq cpu delegate: option ops is empty: give a comma list such as ops=CONV_2D,ADD");
    return -1;
  }
  return 0;
}

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
      if (parse_int(v, &t) || t < 1 || t > 256) {
        snprintf(err, errlen, "edgeq cpu delegate: num_threads='%s' is invalid: give an integer from 1 to 256", v);
        return -1;
      }
      o->num_threads = (int)t;
    } else if (strcmp(k, "ops") == 0) {
      if (parse_ops(o, v, err, errlen)) return -1;
    } else if (strcmp(k, "mode") == 0) {
      if (strcmp(v, "exact") != 0) {
        snprintf(err, errlen, "edgeq cpu delegate: mode='%s' is not supported: use mode=exact", v);
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
      if (parse_int(v, &t) || (t != 0 && t != 1)) {
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
