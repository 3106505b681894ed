/* The claim report writer shared by the edgeq delegates. */
#include "claims.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int eq_claims_claimed(const eq_claims* c) {
  int n = 0;
  for (int i = 0; i < c->count; ++i) n += c->items[i].reason == NULL;
  return n;
}

void eq_claims_clear(eq_claims* c) {
  for (int i = 0; i < c->count; ++i) free(c->items[i].tensors);
  free(c->items);
  c->items = NULL;
  c->count = 0;
}

void eq_claims_print(const eq_claims* c, const char* who, FILE* f) {
  for (int i = 0; i < c->count; ++i) {
    const eq_claim* r = &c->items[i];
    if (!r->reason)
      fprintf(f, "%s: claimed node %d (%s)\n", who, r->node, r->op);
    else
      fprintf(f, "%s: left node %d (%s, builtin %d) to the runtime: %s\n", who, r->node, r->op ? r->op : "?",
              r->builtin_code, r->reason);
  }
  fprintf(f, "%s: %d node(s) claimed\n", who, eq_claims_claimed(c));
}

void eq_json_string(FILE* f, const char* s) {
  fputc('"', f);
  for (const unsigned char* p = (const unsigned char*)(s ? s : ""); *p; ++p) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

static void tensor_names(FILE* f, TfLiteContext* ctx, const int* t, int n) {
  fputc('[', f);
  for (int i = 0, first = 1; i < n; ++i) {
    if (t[i] < 0) continue;
    fputs(first ? "" : ", ", f);
    eq_json_string(f, ctx->tensors[t[i]].name);
    first = 0;
  }
  fputc(']', f);
}

void eq_claims_write_json(const eq_claims* c, TfLiteContext* ctx, FILE* f) {
  fputs("\"claimed\": [", f);
  for (int i = 0, n = 0; i < c->count; ++i) {
    const eq_claim* r = &c->items[i];
    if (r->reason) continue;
    fprintf(f, "%s\n    {\"node\": %d, \"op\": ", n++ ? "," : "", r->node);
    eq_json_string(f, r->op);
    if (r->tensors) {
      fputs(", \"inputs\": ", f);
      tensor_names(f, ctx, r->tensors->data, r->n_inputs);
      fputs(", \"outputs\": ", f);
      tensor_names(f, ctx, r->tensors->data + r->n_inputs, r->tensors->size - r->n_inputs);
    }
    fputc('}', f);
  }
  fputs("\n  ],\n  \"rejected\": [", f);
  for (int i = 0, n = 0; i < c->count; ++i) {
    const eq_claim* r = &c->items[i];
    if (!r->reason) continue;
    fprintf(f, "%s\n    {\"node\": %d, \"builtin_code\": %d, \"op\": ", n++ ? "," : "", r->node, r->builtin_code);
    if (r->op) eq_json_string(f, r->op);
    else fputs("null", f);
    fputs(", \"reason\": ", f);
    eq_json_string(f, r->reason);
    fputc('}', f);
  }
  fputs("\n  ]", f);
}

int eq_report_write(TfLiteContext* ctx, const char* who, const char* path,
                    void (*write)(FILE* f, TfLiteContext* ctx, const void* arg), const void* arg) {
  const size_t len = strlen(path) + 32;
  char* tmp = malloc(len);
  FILE* f = NULL;
  int ok = 0;
  if (tmp) {
    snprintf(tmp, len, "%s.%ld.tmp", path, (long)getpid());
    f = fopen(tmp, "w");
  }
  if (f) {
    write(f, ctx, arg);
    ok = !ferror(f);
    ok &= fclose(f) == 0;
    ok = ok && rename(tmp, path) == 0;
    if (!ok) remove(tmp);
  }
  free(tmp);
  if (!ok && ctx)
    ctx->ReportError(ctx, "%s: cannot write report_path '%s': check the folder exists and is writable", who, path);
  return ok ? 0 : -1;
}
