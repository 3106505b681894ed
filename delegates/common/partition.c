#include "partition.h"

#include <stdlib.h>
#include <string.h>

TfLiteIntArray* eq_int_array_copy(const TfLiteIntArray* a) {
  TfLiteIntArray* c = eq_int_array_new(a ? a->size : 0);
  if (c && a) {
    c->size = a->size;
    memcpy(c->data, a->data, sizeof(int) * (size_t)a->size);
  }
  return c;
}

TfLiteIntArray* eq_int_array_new(int capacity) {
  TfLiteIntArray* c = malloc(sizeof(TfLiteIntArray) + sizeof(int) * (size_t)(capacity > 0 ? capacity : 0));
  if (c) c->size = 0;
  return c;
}

TfLiteStatus eq_replace_claimed(TfLiteContext* ctx, TfLiteDelegate* delegate, TfLiteIntArray* claimed,
                                const eq_kernel_fns* fns) {
  if (claimed->size == 0) return kTfLiteOk;
  TfLiteRegistration r;
  memset(&r, 0, sizeof(r));
  r.init = fns->init;
  r.free = fns->free;
  r.prepare = fns->prepare;
  r.invoke = fns->invoke;
  r.builtin_code = kTfLiteBuiltinDelegate;
  r.custom_name = fns->name;
  r.version = 1;
  return ctx->ReplaceNodeSubsetsWithDelegateKernels(ctx, r, claimed, delegate);
}
