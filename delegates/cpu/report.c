#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct eq_report {
  char* claimed;  /* JSON array items */
  char* rejected;
  char* text;     /* human-readable lines */
  size_t nc, nr, nt, cc, cr, ct;
  int num_threads;
  const char* mode; /* "exact" or "fast" */
  int n_claimed;
};

static void append(char** buf, size_t* len, size_t* cap, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  va_list ap2;
  va_copy(ap2, ap);
  int need = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (need < 0) {
    va_end(ap2);
    return;
  }
  if (*len + (size_t)need + 1 > *cap) {
    size_t nc = (*cap ? *cap * 2 : 256);
    while (nc < *len + (size_t)need + 1) nc *= 2;
    char* nb = realloc(*buf, nc);
    if (!nb) {
      va_end(ap2);
      return;
    }
    *buf = nb;
    *cap = nc;
  }
  vsnprintf(*buf + *len, *cap - *len, fmt, ap2);
  va_end(ap2);
  *len += (size_t)need;
}

/* JSON string body with escapes */
static void append_json_str(char** buf, size_t* len, size_t* cap, const char* s) {
  append(buf, len, cap, "\"");
  for (const unsigned char* p = (const unsigned char*)(s ? s : ""); *p; ++p) {
    if (*p == '"' || *p == '\\') append(buf, len, cap, "\\%c", *p);
    else if (*p < 0x20) append(buf, len, cap, "\\u%04x", *p);
    else append(buf, len, cap, "%c", *p);
  }
  append(buf, len, cap, "\"");
}

eq_report* eq_report_begin(int num_threads) {
  eq_report* r = calloc(1, sizeof(*r));
  if (r) {
    r->num_threads = num_threads;
    r->mode = "exact";
  }
  return r;
}

void eq_report_set_mode(eq_report* r, const char* mode) {
  if (r) r->mode = mode;
}

static void tensor_list(eq_report* r, TfLiteContext* ctx, const TfLiteIntArray* a) {
  append(&r->claimed, &r->nc, &r->cc, "[");
  int first = 1;
  for (int i = 0; i < a->size; ++i) {
    if (a->data[i] < 0) continue;
    append(&r->claimed, &r->nc, &r->cc, first ? "" : ", ");
    append_json_str(&r->claimed, &r->nc, &r->cc, ctx->tensors[a->data[i]].name);
    first = 0;
  }
  append(&r->claimed, &r->nc, &r->cc, "]");
}

void eq_report_claimed(eq_report* r, TfLiteContext* ctx, int node_index, const char* op, const TfLiteNode* node) {
  append(&r->claimed, &r->nc, &r->cc, "%s\n    {\"node\": %d, \"op\": \"%s\", \"inputs\": ", r->n_claimed ? "," : "",
         node_index, op);
  tensor_list(r, ctx, node->inputs);
  append(&r->claimed, &r->nc, &r->cc, ", \"outputs\": ");
  tensor_list(r, ctx, node->outputs);
  append(&r->claimed, &r->nc, &r->cc, "}");
  append(&r->text, &r->nt, &r->ct, "edgeq cpu delegate: claimed node %d (%s)\n", node_index, op);
  r->n_claimed++;
}

void eq_report_rejected(eq_report* r, int node_index, int builtin_code, const char* op, const char* reason) {
  append(&r->rejected, &r->nr, &r->cr, "%s\n    {\"node\": %d, \"builtin_code\": %d, \"op\": ", r->nr ? "," : "",
         node_index, builtin_code);
  if (op) append_json_str(&r->rejected, &r->nr, &r->cr, op);
  else append(&r->rejected, &r->nr, &r->cr, "null");
  append(&r->rejected, &r->nr, &r->cr, ", \"reason\": ");
  append_json_str(&r->rejected, &r->nr, &r->cr, reason);
  append(&r->rejected, &r->nr, &r->cr, "}");
  append(&r->text, &r->nt, &r->ct, "edgeq cpu delegate: left node %d (%s, builtin %d) to the runtime: %s\n",
         node_index, op ? op : "?", builtin_code, reason);
}

void eq_report_print(const eq_report* r, FILE* f) {
  if (r->text) fputs(r->text, f);
  fprintf(f, "edgeq cpu delegate: %d node(s) claimed\n", r->n_claimed);
}

int eq_report_write(const eq_report* r, const char* path) {
  size_t plen = strlen(path);
  char* tmp = malloc(plen + 32);
  if (!tmp) return -1;
  snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
  FILE* f = fopen(tmp, "w");
  if (!f) {
    free(tmp);
    return -1;
  }
  fprintf(f,
          "{\n  \"delegate\": \"edgeq_cpu\",\n  \"num_threads\": %d,\n  \"mode\": \"%s\",\n  \"claimed\": [%s\n  ],\n"
          "  \"rejected\": [%s\n  ]\n}\n",
          r->num_threads, r->mode, r->claimed ? r->claimed : "", r->rejected ? r->rejected : "");
  int bad = ferror(f);
  bad |= fclose(f);
  if (bad || rename(tmp, path) != 0) {
    remove(tmp);
    free(tmp);
    return -1;
  }
  free(tmp);
  return 0;
}

void eq_report_free(eq_report* r) {
  if (!r) return;
  free(r->claimed);
  free(r->rejected);
  free(r->text);
  free(r);
}
