#include "option_parse.h"

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

static void join_names(size_t n_ops, eq_op_name_fn name_at, char* buf, size_t len) {
  buf[0] = 0;
  for (size_t i = 0; i < n_ops; ++i) {
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", i ? "," : "", name_at(i));
  }
}

int eq_parse_op_list(const char* list, size_t n_ops, eq_op_name_fn name_at, uint8_t* enabled, const char* who,
                     char* err, size_t errlen) {
  memset(enabled, 0, n_ops);
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
    while (i < n_ops && strcasecmp(name_at(i), tok) != 0) ++i;
    if (i == n_ops) {
      char names[512];
      join_names(n_ops, name_at, names, sizeof(names));
      snprintf(err, errlen, "%s: unknown op '%s' in option ops: use names from %s", who, tok, names);
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
