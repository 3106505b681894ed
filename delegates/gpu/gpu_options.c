/* Parsing of the GPU delegate's options. */
#include "gpu_options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpu_op.h"

#define WHO "edgeq gpu delegate"

static int set_str(char** dst, const char* v) {
  free(*dst);
  *dst = strdup(v);
  return *dst ? 0 : -1;
}

/* The offload model's rate options (offload.h). */
static double* rate_option(eqg_options* o, const char* k) {
  if (strcmp(k, "cpu_threads") == 0 || strcmp(k, "num_threads") == 0) return &o->cpu_threads;
  if (strcmp(k, "cpu_gops") == 0) return &o->cpu_gops;
  if (strcmp(k, "device_gops") == 0) return &o->device_gops;
  if (strcmp(k, "launch_us") == 0) return &o->launch_us;
  return NULL;
}

int eqg_options_parse(eqg_options* o, const char* const* keys, const char* const* values, size_t n, char* err,
                      size_t errlen) {
  memset(o, 0, sizeof(*o));
  eq_base_options_init(&o->base, &eqg_ops);
  /* EDGEQ_GPU_PLATFORM / EDGEQ_GPU_DEVICE: defaults for the options, for runs without an
   * options string (edgeq profile, the tests' choice of PoCL); the options override them */
  const char* env_p = getenv("EDGEQ_GPU_PLATFORM");
  const char* env_d = getenv("EDGEQ_GPU_DEVICE");
  if (env_p && *env_p && set_str(&o->platform, env_p)) return -1;
  if (env_d && *env_d && set_str(&o->device, env_d)) return -1;
  for (size_t i = 0; i < n; ++i) {
    const char* k = keys[i] ? keys[i] : "";
    const char* v = values[i] ? values[i] : "";
    long t = 0;
    double* r = NULL;
    const int shared = eq_base_option(&o->base, &eqg_ops, WHO, k, v, err, errlen);
    if (shared < 0) return -1;
    if (shared) continue;
    if (strcmp(k, "platform") == 0 || strcmp(k, "device") == 0) {
      if (!*v) {
        snprintf(err, errlen, WHO ": option %s is empty: give an index or a name substring", k);
        return -1;
      }
      if (set_str(strcmp(k, "platform") == 0 ? &o->platform : &o->device, v)) return -1;
    } else if (strcmp(k, "device_type") == 0) {
      int found = 0;
      for (int m = EQG_TYPE_AUTO; m <= EQG_TYPE_ANY && !found; ++m)
        if (strcmp(v, eqg_device_type_option((eqg_type_mode)m)) == 0) o->device_type = (eqg_type_mode)m, found = 1;
      if (!found) {
        snprintf(err, errlen, WHO ": device_type='%s' is invalid: use auto, gpu, cpu, accelerator or any", v);
        return -1;
      }
    } else if (strcmp(k, "precision") == 0) {
      if (strcmp(v, "exact") != 0) {
        snprintf(err, errlen, WHO ": precision='%s' is not supported: use precision=exact", v);
        return -1;
      }
    } else if (strcmp(k, "cache_dir") == 0) {
      if (set_str(&o->cache_dir, v)) return -1;
    } else if (strcmp(k, "profile") == 0) {
      if (eq_parse_flag(WHO, k, v, &o->profile, err, errlen)) return -1;
    } else if (strcmp(k, "integer_dot") == 0) {
      if (strcmp(v, "auto") == 0) o->dot = EQG_DOT_AUTO;
      else if (strcmp(v, "off") == 0) o->dot = EQG_DOT_OFF;
      else if (strcmp(v, "emulate") == 0) o->dot = EQG_DOT_EMULATE;
      else {
        snprintf(err, errlen, WHO ": integer_dot='%s' is invalid: use auto, off or emulate", v);
        return -1;
      }
    } else if (strcmp(k, "offload") == 0) {
      if (strcmp(v, "auto") == 0) o->offload = EQG_OFFLOAD_AUTO;
      else if (strcmp(v, "model") == 0) o->offload = EQG_OFFLOAD_MODEL;
      else if (strcmp(v, "all") == 0) o->offload = EQG_OFFLOAD_ALL;
      else {
        snprintf(err, errlen, WHO ": offload='%s' is invalid: use auto, model or all", v);
        return -1;
      }
    } else if (strcmp(k, "memory_limit_mb") == 0) {
      if (eq_parse_long(v, &t) || t < 1) {
        snprintf(err, errlen, WHO ": memory_limit_mb='%s' is invalid: give a positive integer", v);
        return -1;
      }
      o->memory_limit_mb = t;
    } else if ((r = rate_option(o, k)) != NULL) {
      char* end = NULL;
      const double x = strtod(v, &end);
      if (!*v || !end || *end || !(x > 0 && x <= 1e6)) {
        snprintf(err, errlen, WHO ": %s='%s' is invalid: give a number above 0 and at most 1000000", k, v);
        return -1;
      }
      *r = x;
    } else {
      snprintf(err, errlen,
               WHO ": unknown option '%s': use platform, device, ops, precision, cache_dir, "
               "report_path, profile, integer_dot, offload, cpu_threads (num_threads), cpu_gops, device_gops, launch_us, "
               "memory_limit_mb or verbose",
               k);
      return -1;
    }
  }
  return 0;
}

void eqg_options_free(eqg_options* o) {
  eq_base_options_free(&o->base);
  free(o->platform);
  free(o->device);
  free(o->cache_dir);
  memset(o, 0, sizeof(*o));
}

const char* eqg_device_type_option(eqg_type_mode m) {
  static const char* const names[] = {"auto", "gpu", "cpu", "accelerator", "any"};
  return m >= EQG_TYPE_AUTO && m <= EQG_TYPE_ANY ? names[m] : "auto";
}

const char* eqg_options_cache_dir(const eqg_options* o, char* buf, size_t len) {
  if (o->cache_dir) return *o->cache_dir ? o->cache_dir : NULL;
  const char* home = getenv("HOME");
  if (!home || !*home) return NULL;
  snprintf(buf, len, "%s/.cache/edgeq/opencl", home);
  return buf;
}
