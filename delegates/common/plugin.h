/* The TFLite external-delegate plugin ABI (tflite_plugin_create_delegate /
 * tflite_plugin_destroy_delegate), done once for every edgeq delegate: each describes itself
 * with an eq_plugin and its two exported functions call these. */
#ifndef EDGEQ_COMMON_PLUGIN_H
#define EDGEQ_COMMON_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#include "edgeq/tflite_c_abi.h"

#if defined(_WIN32)
#define EQ_PLUGIN_EXPORT __declspec(dllexport)
#else
#define EQ_PLUGIN_EXPORT __attribute__((visibility("default")))
#endif

typedef struct {
  const char* who; /* message prefix, "edgeq cpu delegate" */
  size_t size;     /* bytes of the delegate's state; a TfLiteDelegate comes first */
  /* Parses the options into the zeroed state (and does any set-up they ask for): 0, or -1 with
   * a one-line reason naming the fix in err, prefixed with who. */
  int (*configure)(TfLiteDelegate* d, const char* const* keys, const char* const* values, size_t n, char* err,
                   size_t errlen);
  void (*release)(TfLiteDelegate* d); /* frees what the state holds (not the state itself) */
  TfLiteStatus (*prepare)(TfLiteContext* ctx, TfLiteDelegate* d);
  /* TfLiteDelegateFlags. kTfLiteDelegateFlagsAllowDynamicTensors: the runtime hands over graphs
   * with run-time shapes too (without it, it refuses the delegate on them) and no longer undoes
   * the delegate when an input is resized, so the delegate's kernels must follow new shapes. */
  int64_t flags;
} eq_plugin;

/* The two exported plugin functions of a delegate described by `plugin` (an eq_plugin). */
#define EQ_DEFINE_PLUGIN(plugin)                                                                            \
  EQ_PLUGIN_EXPORT TfLiteDelegate* tflite_plugin_create_delegate(char** keys, char** values, size_t num_options, \
                                                                 void (*report_error)(const char*)) {       \
    return eq_plugin_create(&(plugin), keys, values, num_options, report_error);                           \
  }                                                                                                         \
  EQ_PLUGIN_EXPORT void tflite_plugin_destroy_delegate(TfLiteDelegate* delegate) {                          \
    eq_plugin_destroy(&(plugin), delegate);                                                                 \
  }

/* NULL on bad options (report_error, or stderr without one, gets the reason). */
TfLiteDelegate* eq_plugin_create(const eq_plugin* p, char** keys, char** values, size_t num_options,
                                 void (*report_error)(const char*));
void eq_plugin_destroy(const eq_plugin* p, TfLiteDelegate* d);

#endif /* EDGEQ_COMMON_PLUGIN_H */
