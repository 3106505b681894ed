/* The options every edgeq delegate takes, and the value parsers. */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int eq_parse_long(const char* s, long* out) {
  char* end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s) return -1;
  while (*end && isspace((unsigned char)*end)) ++end;
  if (*end) return -1;
  *out = v;
  return 0;
}

int eq_parse_flag(const char* who, const char* key, const char* v, int* out, char* err, size_t errlen) {
  long t = 0;
  if (eq_parse_long(v, &t) || (t != 0 && t != 1)) {
    snprintf(err, errlen, "%s: %s='%s' is invalid: use 0 or 1", who, key, v);
    return -1;
  }
  *out = (int)t;
  return 0;
}

static void join_names(const eq_op_registry* ops, char* buf, size_t len) {
  buf[0] = 0;
  for (size_t i = 0; i < ops->count; ++i) {
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", i ? ", " : "", ops->ops[i]->name);
  }
}

/* "CONV_2D, add" -> enabled[i] = 1 for the named ops (case-insensitive), 0 for the rest. */
static int parse_op_list(const char* list, const eq_op_registry* ops, uint8_t* enabled, const char* who, char* err,
                         size_t errlen) {
  memset(enabled, 0, ops->count);
  char* copy = strdup(list);
  if (!copy) {
    snprintf(err, errlen, "%s: out of memory while parsing ops", who);
    return -1;
  }
  int count = 0;
  for (char *save = NULL, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    while (isspace((unsigned char)*tok)) ++tok;
    char* e = tok + strlen(tok);
    while (e > tok && isspace((unsigned char)e[-1])) *--e = 0;
    if (!*tok) continue;
    size_t i = 0;
    while (i < ops->count && strcasecmp(ops->ops[i]->name, tok) != 0) ++i;
    if (i == ops->count) {
      /* one line naming the op and what this delegate has: ops it lacks need no listing */
      char names[512];
      join_names(ops, names, sizeof(names));
      snprintf(err, errlen, "%s: unknown op '%s' in option ops: this delegate has %s; leave %s out (the runtime runs "
               "the ops a delegate lacks)", who, tok, names, tok);
      free(copy);
      return -1;
    }
    enabled[i] = 1;
    ++count;
  }
  free(copy);
  if (!count) {
    snprintf(err, errlen, "%s: option ops is empty: give a comma list such as ops=CONV_2D,ADD", who);
    return -1;
  }
  return 0;
}

void eq_base_options_init(eq_base_options* o, const eq_op_registry* ops) {
  memset(o, 0, sizeof(*o));
  memset(o->op_enabled, 1, ops->count);
  const char* env = getenv("EDGEQ_DELEGATE_VERBOSE");
  o->verbose = env && *env && strcmp(env, "0") != 0;
}

int eq_base_option(eq_base_options* o, const eq_op_registry* ops, const char* who, const char* key,
                   const char* value, char* err, size_t errlen) {
  if (strcmp(key, "ops") == 0) return parse_op_list(value, ops, o->op_enabled, who, err, errlen) ? -1 : 1;
  if (strcmp(key, "verbose") == 0) return eq_parse_flag(who, key, value, &o->verbose, err, errlen) ? -1 : 1;
  if (strcmp(key, "report_path") != 0) return 0;
  if (!*value) {
    snprintf(err, errlen, "%s: report_path is empty: give a file path or leave the option out", who);
    return -1;
  }
  free(o->report_path);
  o->report_path = strdup(value);
  if (!o->report_path) {
    snprintf(err, errlen, "%s: out of memory", who);
    return -1;
  }
  return 1;
}

void eq_base_options_free(eq_base_options* o) {
  free(o->report_path);
  o->report_path = NULL;
}
