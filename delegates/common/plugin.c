/* Plugin creation and destruction shared by the edgeq delegates. */
#include "plugin.h"

#include <stdio.h>
#include <stdlib.h>

TfLiteDelegate* eq_plugin_create(const eq_plugin* p, char** keys, char** values, size_t num_options,
                                 void (*report_error)(const char*)) {
  /* ctypes passes num_options as a C int: only the low 32 bits are meaningful */
  const size_t n = (size_t)(unsigned int)num_options;
  char err[1024] = {0};
  TfLiteDelegate* d = calloc(1, p->size);
  if (!d) snprintf(err, sizeof(err), "%s: out of memory", p->who);
  if (d && p->configure(d, (const char* const*)keys, (const char* const*)values, n, err, sizeof(err)) != 0) {
    p->release(d);
    free(d);
    d = NULL;
  }
  if (!d) {
    if (report_error) report_error(err);
    else fprintf(stderr, "%s\n", err);
    return NULL;
  }
  d->data_ = d;
  d->Prepare = p->prepare;
  d->flags = p->flags;
  return d;
}

void eq_plugin_destroy(const eq_plugin* p, TfLiteDelegate* d) {
  if (!d) return;
  p->release(d);
  free(d);
}
