/* Platform/device selection and context setup (see device.h). */
#include "device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

extern const char eqg_kernel_source[]; /* kernels/qs8.cl, embedded by CMake */

double eqg_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int is_index(const char* s) {
  if (!*s) return 0;
  for (; *s; ++s)
    if (*s < '0' || *s > '9') return 0;
  return 1;
}

/* case-insensitive substring */
static int contains_ci(const char* hay, const char* needle) {
  size_t n = strlen(needle);
  for (; *hay; ++hay)
    if (strncasecmp(hay, needle, n) == 0) return 1;
  return 0;
}

static void platform_str(eqg_device* d, cl_platform_id p, cl_platform_info what, char* buf, size_t len) {
  buf[0] = 0;
  if (d->cl.GetPlatformInfo(p, what, len, buf, NULL) != CL_SUCCESS) buf[0] = 0;
  buf[len - 1] = 0;
}

static void device_str(eqg_device* d, cl_device_id dev, cl_device_info what, char* buf, size_t len) {
  buf[0] = 0;
  if (d->cl.GetDeviceInfo(dev, what, len, buf, NULL) != CL_SUCCESS) buf[0] = 0;
  buf[len - 1] = 0;
}

static int pick_platform(eqg_device* d, const char* want, char* err, size_t errlen) {
  cl_uint n = 0;
  cl_int rc = d->cl.GetPlatformIDs(0, NULL, &n);
  if (rc != CL_SUCCESS || n == 0) {
    snprintf(err, errlen,
             "no OpenCL platform found (%s): install a driver ICD (e.g. pocl-opencl-icd) or check OCL_ICD_VENDORS",
             rc != CL_SUCCESS ? eqg_cl_error(rc) : "0 platforms");
    return -1;
  }
  cl_platform_id ids[16];
  if (n > 16) n = 16;
  d->cl.GetPlatformIDs(n, ids, NULL);
  char name[256];
  if (!want) {
    d->platform = ids[0];
  } else if (is_index(want)) {
    long i = strtol(want, NULL, 10);
    if (i >= (long)n) {
      snprintf(err, errlen, "platform=%s is out of range: this machine has %u OpenCL platform(s)", want, n);
      return EQG_ERR_SELECTION;
    }
    d->platform = ids[i];
  } else {
    d->platform = NULL;
    for (cl_uint i = 0; i < n && !d->platform; ++i) {
      platform_str(d, ids[i], CL_PLATFORM_NAME, name, sizeof(name));
      if (contains_ci(name, want)) d->platform = ids[i];
    }
    if (!d->platform) {
      snprintf(err, errlen, "no OpenCL platform name contains '%s': run clinfo -l and pass platform=<index or name>",
               want);
      return EQG_ERR_SELECTION;
    }
  }
  platform_str(d, d->platform, CL_PLATFORM_NAME, d->platform_name, sizeof(d->platform_name));
  return 0;
}

static int pick_device(eqg_device* d, const char* want, char* err, size_t errlen) {
  cl_uint n = 0;
  cl_int rc = d->cl.GetDeviceIDs(d->platform, CL_DEVICE_TYPE_ALL, 0, NULL, &n);
  if (rc != CL_SUCCESS || n == 0) {
    snprintf(err, errlen, "OpenCL platform '%s' has no device: check the driver installation", d->platform_name);
    return -1;
  }
  cl_device_id ids[16];
  if (n > 16) n = 16;
  d->cl.GetDeviceIDs(d->platform, CL_DEVICE_TYPE_ALL, n, ids, NULL);
  char name[256];
  d->device = NULL;
  if (!want) {
    d->device = ids[0];
  } else if (is_index(want)) {
    long i = strtol(want, NULL, 10);
    if (i >= (long)n) {
      snprintf(err, errlen, "device=%s is out of range: platform '%s' has %u device(s)", want, d->platform_name, n);
      return EQG_ERR_SELECTION;
    }
    d->device = ids[i];
  } else {
    for (cl_uint i = 0; i < n && !d->device; ++i) {
      device_str(d, ids[i], CL_DEVICE_NAME, name, sizeof(name));
      if (contains_ci(name, want)) d->device = ids[i];
    }
    if (!d->device) {
      snprintf(err, errlen, "no device of platform '%s' has '%s' in its name: run clinfo -l", d->platform_name, want);
      return EQG_ERR_SELECTION;
    }
  }
  device_str(d, d->device, CL_DEVICE_NAME, d->device_name, sizeof(d->device_name));
  device_str(d, d->device, CL_DRIVER_VERSION, d->driver_version, sizeof(d->driver_version));
  device_str(d, d->device, CL_DEVICE_VERSION, d->device_version, sizeof(d->device_version));
  d->cl.GetDeviceInfo(d->device, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(cl_ulong), &d->global_mem, NULL);
  d->cl.GetDeviceInfo(d->device, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(cl_ulong), &d->max_alloc, NULL);
  d->cl.GetDeviceInfo(d->device, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cl_uint), &d->compute_units, NULL);
  d->cl.GetDeviceInfo(d->device, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof(cl_uint), &d->clock_mhz, NULL);
  cl_device_type type = 0;
  d->cl.GetDeviceInfo(d->device, CL_DEVICE_TYPE, sizeof(type), &type, NULL);
  d->device_type = (type & CL_DEVICE_TYPE_GPU) ? "gpu" : (type & CL_DEVICE_TYPE_CPU) ? "cpu"
                   : (type & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator" : "other";
  return 0;
}

static int has_extension(eqg_device* d, const char* ext) {
  size_t len = 0;
  if (d->cl.GetDeviceInfo(d->device, CL_DEVICE_EXTENSIONS, 0, NULL, &len) != CL_SUCCESS || !len) return 0;
  char* buf = malloc(len + 1);
  if (!buf) return 0;
  int found = 0;
  if (d->cl.GetDeviceInfo(d->device, CL_DEVICE_EXTENSIONS, len, buf, NULL) == CL_SUCCESS) {
    buf[len] = 0;
    size_t n = strlen(ext);
    for (char* p = strstr(buf, ext); p && !found; p = strstr(p + 1, ext))
      found = (p == buf || p[-1] == ' ') && (p[n] == 0 || p[n] == ' ');
  }
  free(buf);
  return found;
}

static int build_variant(eqg_device* d, const char* variant, const char* std_define, const char* cache_dir,
                         char* err, size_t errlen) {
  d->dot_variant = variant;
  snprintf(d->build_options, sizeof(d->build_options), "%s", std_define);
  /* extra compiler options (driver workarounds); part of the program cache key */
  const char* extra = getenv("EDGEQ_GPU_BUILD_OPTIONS");
  if (extra && *extra) {
    const size_t used = strlen(d->build_options);
    snprintf(d->build_options + used, sizeof(d->build_options) - used, " %s", extra);
  }
  return eqg_program_build(d, eqg_kernel_source, cache_dir, err, errlen);
}

int eqg_device_open(eqg_device* d, const eqg_options* o, char* err, size_t errlen) {
  memset(d, 0, sizeof(*d));
  if (eqg_cl_load(&d->cl, err, errlen)) return -1;
  int rc_pick = pick_platform(d, o->platform, err, errlen);
  if (!rc_pick) rc_pick = pick_device(d, o->device, err, errlen);
  if (rc_pick) {
    eqg_device_close(d);
    return rc_pick;
  }
  cl_int rc = CL_SUCCESS;
  d->context = d->cl.CreateContext(NULL, 1, &d->device, NULL, NULL, &rc);
  if (!d->context) {
    snprintf(err, errlen, "cannot create an OpenCL context on '%s' (%s)", d->device_name, eqg_cl_error(rc));
    goto fail;
  }
  d->profiling = o->profile;
  d->queue = d->cl.CreateCommandQueue(d->context, d->device, o->profile ? CL_QUEUE_PROFILING_ENABLE : 0, &rc);
  if (!d->queue) {
    snprintf(err, errlen, "cannot create an OpenCL queue on '%s' (%s)", d->device_name, eqg_cl_error(rc));
    goto fail;
  }
  d->mem_budget = o->memory_limit_mb ? (cl_ulong)o->memory_limit_mb << 20 : d->global_mem;
  /* integer dot product kernels when the device has them (or emulated, for testing the path) */
  const char* variant = "none";
  const char* std_define = "-cl-std=CL1.2";
  if (o->dot == EQG_DOT_EMULATE) {
    variant = "emulated";
    std_define = "-cl-std=CL1.2 -DEQ_DOT_EMULATE";
  } else if (o->dot == EQG_DOT_AUTO && has_extension(d, "cl_khr_integer_dot_product")) {
    variant = "cl_khr_integer_dot_product";
    std_define = "-cl-std=CL3.0 -DEQ_DOT_KHR";
  } else if (o->dot == EQG_DOT_AUTO && has_extension(d, "cl_arm_integer_dot_product_int8")) {
    variant = "cl_arm_integer_dot_product_int8";
    std_define = "-cl-std=CL1.2 -DEQ_DOT_ARM";
  }
  char cache_buf[1024];
  const char* cache_dir = eqg_options_cache_dir(o, cache_buf, sizeof(cache_buf));
  if (build_variant(d, variant, std_define, cache_dir, err, errlen) != 0) {
    /* a driver that advertises a dot-product extension but cannot compile it still runs
     * the plain integer kernels */
    if (strncmp(variant, "cl_", 3) != 0 || build_variant(d, "none", "-cl-std=CL1.2", cache_dir, err, errlen) != 0)
      goto fail;
    snprintf(d->cache_note, sizeof(d->cache_note), "%s kernels failed to build: plain integer kernels used",
             variant);
  }
  return 0;
fail:
  eqg_device_close(d);
  return -1;
}

void eqg_device_close(eqg_device* d) {
  if (!d->cl.lib) return;
  if (d->program) d->cl.ReleaseProgram(d->program);
  if (d->queue) d->cl.ReleaseCommandQueue(d->queue);
  if (d->context) d->cl.ReleaseContext(d->context);
  eqg_cl_unload(&d->cl);
  d->program = NULL;
  d->queue = NULL;
  d->context = NULL;
}
