/* Platform/device selection and context setup (see device.h). */
#include "device.h"
#include "device_memo.h"

#include <pthread.h>
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

/* Fills d->platform / d->device (and their names) from one enumerated device. */
static void take_device(eqg_device* d, cl_platform_id p, cl_device_id dev) {
  d->platform = p;
  d->device = dev;
  platform_str(d, p, CL_PLATFORM_NAME, d->platform_name, sizeof(d->platform_name));
  device_str(d, dev, CL_DEVICE_NAME, d->device_name, sizeof(d->device_name));
  device_str(d, dev, CL_DRIVER_VERSION, d->driver_version, sizeof(d->driver_version));
  device_str(d, dev, CL_DEVICE_VERSION, d->device_version, sizeof(d->device_version));
  d->cl.GetDeviceInfo(dev, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof(cl_ulong), &d->global_mem, NULL);
  d->cl.GetDeviceInfo(dev, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof(cl_ulong), &d->max_alloc, NULL);
  d->cl.GetDeviceInfo(dev, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cl_uint), &d->compute_units, NULL);
  d->cl.GetDeviceInfo(dev, CL_DEVICE_MAX_CLOCK_FREQUENCY, sizeof(cl_uint), &d->clock_mhz, NULL);
  cl_device_type type = 0;
  d->cl.GetDeviceInfo(dev, CL_DEVICE_TYPE, sizeof(type), &type, NULL);
  d->device_type = eqg_type_name(type);
}

const char* eqg_type_name(unsigned long long type) {
  return (type & CL_DEVICE_TYPE_GPU) ? "gpu" : (type & CL_DEVICE_TYPE_CPU) ? "cpu"
         : (type & CL_DEVICE_TYPE_ACCELERATOR) ? "accelerator" : "other";
}

/* Default preference: GPU, accelerator, other; a CPU device last (and only when asked). */
static int type_rank(const char* t) {
  return !strcmp(t, "gpu") ? 0 : !strcmp(t, "accelerator") ? 1 : !strcmp(t, "other") ? 2 : 3;
}

/* Appends the devices of one platform to d->seen (and their ids to plat[] / devs[]). */
static void add_seen(eqg_device* d, cl_platform_id pid, int platform_index, cl_platform_id* plat, cl_device_id* devs) {
  cl_uint m = 0;
  if (d->cl.GetDeviceIDs(pid, CL_DEVICE_TYPE_ALL, 0, NULL, &m) != CL_SUCCESS || m == 0) return;
  cl_device_id dv[EQG_MAX_SEEN];
  if (m > EQG_MAX_SEEN) m = EQG_MAX_SEEN;
  if (d->cl.GetDeviceIDs(pid, CL_DEVICE_TYPE_ALL, m, dv, NULL) != CL_SUCCESS) return;
  for (cl_uint j = 0; j < m && d->n_seen < EQG_MAX_SEEN; ++j) {
    eqg_seen_device* s = &d->seen[d->n_seen];
    plat[d->n_seen] = pid;
    devs[d->n_seen] = dv[j];
    s->platform_index = platform_index;
    s->device_index = (int)j;
    platform_str(d, pid, CL_PLATFORM_NAME, s->platform, sizeof(s->platform));
    device_str(d, dv[j], CL_DEVICE_NAME, s->name, sizeof(s->name));
    cl_device_type type = 0;
    d->cl.GetDeviceInfo(dv[j], CL_DEVICE_TYPE, sizeof(type), &type, NULL);
    s->type = eqg_type_name(type);
    d->cl.GetDeviceInfo(dv[j], CL_DEVICE_MAX_COMPUTE_UNITS, sizeof(cl_uint), &s->compute_units, NULL);
    d->n_seen++;
  }
}

/* Enumerates every device of every platform into d->seen (the report lists them). */
static int enumerate(eqg_device* d, cl_platform_id* plat, cl_device_id* devs, char* err, size_t errlen) {
  cl_uint n = 0;
  cl_int rc = d->cl.GetPlatformIDs(0, NULL, &n);
  if (rc != CL_SUCCESS || n == 0) {
    snprintf(err, errlen,
             "no OpenCL platform found (%s): install a driver ICD (e.g. pocl-opencl-icd) or check OCL_ICD_VENDORS",
             rc != CL_SUCCESS ? eqg_cl_error(rc) : "0 platforms");
    return -1;
  }
  cl_platform_id ids[EQG_MAX_SEEN];
  if (n > EQG_MAX_SEEN) n = EQG_MAX_SEEN;
  d->cl.GetPlatformIDs(n, ids, NULL);
  d->n_platforms = (int)n;
  for (cl_uint i = 0; i < n && d->n_seen < EQG_MAX_SEEN; ++i) {
    add_seen(d, ids[i], (int)i, plat, devs);
  }
  if (!d->n_seen) {
    snprintf(err, errlen, "the OpenCL platform(s) here have no device: check the driver installation");
    return -1;
  }
  return 0;
}

/* Orders the devices the options allow, best first, into order[]; returns how many (0 with
 * a one-line reason in err; EQG_ERR_SELECTION when an option names nothing that exists). */
static int candidates(eqg_device* d, const eqg_options* o, int* order, char* err, size_t errlen) {
  int n = 0;
  int plat_ok[EQG_MAX_SEEN];
  for (int i = 0; i < EQG_MAX_SEEN; ++i) plat_ok[i] = !o->platform;
  if (o->platform) {
    int any = 0;
    cl_platform_id ids[EQG_MAX_SEEN];
    d->cl.GetPlatformIDs((cl_uint)d->n_platforms, ids, NULL);
    for (int i = 0; i < d->n_platforms; ++i) {
      char name[256];
      platform_str(d, ids[i], CL_PLATFORM_NAME, name, sizeof(name));
      plat_ok[i] = is_index(o->platform) ? strtol(o->platform, NULL, 10) == i : contains_ci(name, o->platform);
      any |= plat_ok[i];
    }
    if (!any) {
      if (is_index(o->platform))
        snprintf(err, errlen, "platform=%s is out of range: this machine has %d OpenCL platform(s)", o->platform,
                 d->n_platforms);
      else
        snprintf(err, errlen, "no OpenCL platform name contains '%s': run clinfo -l and pass platform=<index or name>",
                 o->platform);
      return EQG_ERR_SELECTION;
    }
  }
  if (o->device) {
    /* an index counts the devices of the chosen platforms in enumeration order */
    int k = 0;
    for (int i = 0; i < d->n_seen && !n; ++i) {
      if (!plat_ok[d->seen[i].platform_index]) continue;
      if (is_index(o->device) ? strtol(o->device, NULL, 10) == k : contains_ci(d->seen[i].name, o->device))
        order[n++] = i;
      ++k;
    }
    if (!n) {
      if (is_index(o->device))
        snprintf(err, errlen, "device=%s is out of range: the OpenCL platform(s) chosen have %d device(s)", o->device, k);
      else
        snprintf(err, errlen, "no OpenCL device has '%s' in its name: run clinfo -l", o->device);
      return EQG_ERR_SELECTION;
    }
    snprintf(d->selection, sizeof(d->selection), "device option");
    return n;
  }
  /* a CPU OpenCL device only when asked for: device_type=cpu/any, or a platform named explicitly */
  const int cpu_ok = o->device_type == EQG_TYPE_CPU || o->device_type == EQG_TYPE_ANY ||
                     (o->device_type == EQG_TYPE_AUTO && o->platform);
  for (int i = 0; i < d->n_seen; ++i) {
    const char* t = d->seen[i].type;
    if (!plat_ok[d->seen[i].platform_index]) continue;
    if (o->device_type == EQG_TYPE_GPU && strcmp(t, "gpu")) continue;
    if (o->device_type == EQG_TYPE_CPU && strcmp(t, "cpu")) continue;
    if (o->device_type == EQG_TYPE_ACCELERATOR && strcmp(t, "accelerator")) continue;
    if (!strcmp(t, "cpu") && !cpu_ok) continue;
    order[n++] = i;
  }
  /* stable insertion sort: type rank, then most compute units, then enumeration order */
  for (int i = 1; i < n; ++i) {
    const int v = order[i];
    int j = i - 1;
    while (j >= 0) {
      const eqg_seen_device *a = &d->seen[order[j]], *b = &d->seen[v];
      const int ra = type_rank(a->type), rb = type_rank(b->type);
      if (ra < rb || (ra == rb && a->compute_units >= b->compute_units)) break;
      order[j + 1] = order[j];
      --j;
    }
    order[j + 1] = v;
  }
  if (!n) {
    char found[512] = "";
    for (int i = 0; i < d->n_seen; ++i) {
      const size_t used = strlen(found);
      snprintf(found + used, sizeof(found) - used, "%s'%s' (%s) on '%s'", i ? ", " : "", d->seen[i].name,
               d->seen[i].type, d->seen[i].platform);
    }
    if (o->device_type == EQG_TYPE_AUTO)
      snprintf(err, errlen,
               "no GPU or accelerator OpenCL device here (found %s); a CPU OpenCL device is used only when asked "
               "for: pass platform=<name> or device_type=cpu",
               found);
    else
      snprintf(err, errlen, "no OpenCL device of type %s here (found %s)", eqg_device_type_option(o->device_type),
               found);
    return 0;
  }
  snprintf(d->selection, sizeof(d->selection), "%s%s with the most compute units of %d device(s)",
           o->platform ? "platform option, then " : "", type_rank(d->seen[order[0]].type) == 0 ? "a GPU" : "the best type",
           d->n_seen);
  return n;
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

/* What each delegate has of its own on a device, fresh or shared: its queue (profiling per its options)... */
static cl_command_queue own_queue(const eqg_device* d, const eqg_options* o, char* err, size_t errlen) {
  cl_int rc = CL_SUCCESS;
  cl_command_queue q =
      d->cl.CreateCommandQueue(d->context, d->device, o->profile ? CL_QUEUE_PROFILING_ENABLE : 0, &rc);
  if (!q) snprintf(err, errlen, "cannot create an OpenCL queue on '%s' (%s)", d->device_name, eqg_cl_error(rc));
  return q;
}

/* ...and its profiling flag and memory budget. */
static void own_settings(eqg_device* d, const eqg_options* o) {
  d->profiling = o->profile;
  d->mem_budget = o->memory_limit_mb ? (cl_ulong)o->memory_limit_mb << 20 : d->global_mem;
}

/* Context, queue and kernel program on the chosen device; 0 or -1 with err (resources released). */
static int open_chosen(eqg_device* d, const eqg_options* o, char* err, size_t errlen) {
  cl_int rc = CL_SUCCESS;
  const double t0 = eqg_now_ms();
  d->context = d->cl.CreateContext(NULL, 1, &d->device, NULL, NULL, &rc);
  if (!d->context) {
    snprintf(err, errlen, "cannot create an OpenCL context on '%s' (%s)", d->device_name, eqg_cl_error(rc));
    return -1;
  }
  d->queue = own_queue(d, o, err, errlen);
  if (!d->queue) return -1;
  d->context_ms = eqg_now_ms() - t0;
  own_settings(d, o);
  d->command_buffer = has_extension(d, "cl_khr_command_buffer");
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
      return -1;
    snprintf(d->cache_note, sizeof(d->cache_note), "%s kernels failed to build: plain integer kernels used",
             variant);
  }
  return 0;
}

static void release_chosen(eqg_device* d) {
  if (d->program) d->cl.ReleaseProgram(d->program);
  if (d->queue) d->cl.ReleaseCommandQueue(d->queue);
  if (d->context) d->cl.ReleaseContext(d->context);
  d->program = NULL;
  d->queue = NULL;
  d->context = NULL;
}

/* The remembered device (device_memo.h): only its driver is loaded, straight from its library
 * (no ICD loader, so no other driver initialises). 0 when it opened; -1 leaves d cleared. */
static int open_remembered(eqg_device* d, const eqg_options* o, const char* path, char* err, size_t errlen) {
  eqg_memo m;
  if (!eqg_cl_direct_ok() || eqg_memo_read(path, &m) != 0) return -1;
  const double t0 = eqg_now_ms();
  cl_platform_id ids[EQG_MAX_SEEN], plat[EQG_MAX_SEEN];
  cl_device_id devs[EQG_MAX_SEEN];
  cl_uint n = 0;
  if (eqg_cl_vendor_platforms(m.library, &d->cl, ids, EQG_MAX_SEEN, &n) != 0) {
    memset(d, 0, sizeof(*d));
    return -1;
  }
  const double t1 = eqg_now_ms();
  d->load_ms = t1 - t0;
  d->n_platforms = (int)n;
  int want = -1;
  for (cl_uint i = 0; i < n && want < 0; ++i) {
    char name[256];
    if (eqg_cl_bind_dispatch(&d->cl, ids[i]) != 0) continue;
    platform_str(d, ids[i], CL_PLATFORM_NAME, name, sizeof(name));
    if (strcmp(name, m.platform) != 0) continue;
    add_seen(d, ids[i], (int)i, plat, devs);
    for (int k = 0; k < d->n_seen; ++k)
      if (d->seen[k].device_index == m.device_index && strcmp(d->seen[k].name, m.device) == 0) want = k;
    break;
  }
  d->enumerate_ms = eqg_now_ms() - t1;
  if (want >= 0) {
    take_device(d, plat[want], devs[want]);
    d->chosen = want;
    d->remembered = 1;
    snprintf(d->selection, sizeof(d->selection),
             "remembered from an earlier start (%s): only that driver was loaded; delete the file to choose again",
             path);
    if (open_chosen(d, o, err, errlen) == 0) return 0;
    release_chosen(d);
  }
  memset(d, 0, sizeof(*d));
  return -1;
}

static void remember(const eqg_device* d, const char* path) {
  eqg_memo m;
  if (eqg_cl_vendor_path(d->platform, m.library, sizeof(m.library)) != 0) return;
  snprintf(m.platform, sizeof(m.platform), "%s", d->platform_name);
  snprintf(m.device, sizeof(m.device), "%s", d->device_name);
  m.device_index = d->seen[d->chosen].device_index;
  eqg_memo_write(path, &m);
}

/* ---- process-wide reuse of opened devices ----
 * Opening a device costs the driver's initialisation, a context (100+ ms on NVIDIA, over a second
 * for a second context in one process) and the program. Delegates whose options pick the device
 * the same way (platform, device, device_type, integer_dot, cache_dir, the build options' env)
 * share the first one's context and program; each gets its own in-order queue (its own profiling
 * flag; one interpreter's finish never waits for another's work). When the last one closes they stay
 * for the next delegate of the process (context and program only: every buffer and kernel is gone),
 * unless EDGEQ_GPU_KEEP_DEVICE=0 (then they are released at once). g_shared_lock serializes opens and
 * closes (two threads never build the same thing twice). */
typedef struct eqg_shared_dev {
  struct eqg_shared_dev* next;
  char key[3072];
  int refs;
  eqg_device dev; /* as the first delegate opened it; queue not shared */
} eqg_shared_dev;

static pthread_mutex_t g_shared_lock = PTHREAD_MUTEX_INITIALIZER;
static eqg_shared_dev* g_shared;

static void shared_key(const eqg_options* o, char* key, size_t len) {
  char cache_buf[1024];
  const char* cache = eqg_options_cache_dir(o, cache_buf, sizeof(cache_buf));
  const char* extra = getenv("EDGEQ_GPU_BUILD_OPTIONS");
  snprintf(key, len, "p=%s|d=%s|t=%d|dot=%d|c=%s|b=%s", o->platform ? o->platform : "\x01", o->device ? o->device : "\x01",
           (int)o->device_type, (int)o->dot, cache ? cache : "\x01", extra ? extra : "");
}

int eqg_device_sharers(const eqg_device* d) {
  pthread_mutex_lock(&g_shared_lock);
  const int n = d->shared ? d->shared->refs : 1;
  pthread_mutex_unlock(&g_shared_lock);
  return n;
}

static int open_fresh(eqg_device* d, const eqg_options* o, char* err, size_t errlen);

int eqg_device_open(eqg_device* d, const eqg_options* o, char* err, size_t errlen) {
  memset(d, 0, sizeof(*d));
  char key[3072];
  shared_key(o, key, sizeof(key));
  pthread_mutex_lock(&g_shared_lock);
  eqg_shared_dev* s = g_shared;
  while (s && strcmp(s->key, key) != 0) s = s->next;
  if (s) { /* the context and program another delegate opened: only a queue of our own */
    const double t0 = eqg_now_ms();
    cl_command_queue q = own_queue(&s->dev, o, err, errlen);
    if (!q) {
      pthread_mutex_unlock(&g_shared_lock);
      return -1;
    }
    *d = s->dev;
    d->queue = q;
    own_settings(d, o);
    d->load_ms = d->enumerate_ms = d->compile_ms = d->cache_load_ms = d->cache_store_ms = 0;
    d->context_ms = eqg_now_ms() - t0;
    d->reused = 1;
    d->shared = s;
    s->refs++;
    pthread_mutex_unlock(&g_shared_lock);
    return 0;
  }
  const int rc = open_fresh(d, o, err, errlen);
  if (rc == 0) {
    eqg_shared_dev* n = calloc(1, sizeof(*n));
    if (n) { /* without memory for the entry the device is simply not shared */
      snprintf(n->key, sizeof(n->key), "%s", key);
      n->refs = 1;
      n->dev = *d;
      n->dev.queue = NULL;
      n->next = g_shared;
      g_shared = n;
      d->shared = n;
    }
  }
  pthread_mutex_unlock(&g_shared_lock);
  return rc;
}

static int open_fresh(eqg_device* d, const eqg_options* o, char* err, size_t errlen) {
  char cache_buf[1024], memo_path[1200];
  const int memo = eqg_memo_path(o, eqg_options_cache_dir(o, cache_buf, sizeof(cache_buf)), memo_path,
                                 sizeof(memo_path)) == 0;
  if (memo && open_remembered(d, o, memo_path, err, errlen) == 0) return 0;
  const double t0 = eqg_now_ms();
  if (eqg_cl_load(&d->cl, err, errlen)) return -1;
  const double t1 = eqg_now_ms();
  d->load_ms = t1 - t0;
  cl_platform_id plat[EQG_MAX_SEEN];
  cl_device_id devs[EQG_MAX_SEEN];
  int order[EQG_MAX_SEEN];
  int n = enumerate(d, plat, devs, err, errlen);
  if (n == 0) n = candidates(d, o, order, err, errlen);
  d->enumerate_ms = eqg_now_ms() - t1;
  if (n <= 0) {
    eqg_device_close(d);
    return n == EQG_ERR_SELECTION ? EQG_ERR_SELECTION : -1;
  }
  /* the best device that opens; the first one's failure is the one reported */
  char first_err[768] = "";
  for (int k = 0; k < n; ++k) {
    take_device(d, plat[order[k]], devs[order[k]]);
    d->chosen = order[k];
    if (open_chosen(d, o, err, errlen) == 0) {
      if (k) {
        const size_t used = strlen(d->selection);
        snprintf(d->selection + used, sizeof(d->selection) - used, " (the better one(s) failed: %s)", first_err);
      }
      if (memo) remember(d, memo_path);
      return 0;
    }
    if (!k) snprintf(first_err, sizeof(first_err), "%s", err);
    release_chosen(d);
  }
  take_device(d, plat[order[0]], devs[order[0]]); /* the report names the best device, which failed */
  d->chosen = order[0];
  if (n > 1) snprintf(err, errlen, "%s (and %d other device(s) failed too)", first_err, n - 1);
  eqg_device_close(d);
  return -1;
}

void eqg_device_close(eqg_device* d) {
  if (!d->cl.lib) return;
  if (d->shared) {
    if (d->queue) d->cl.ReleaseCommandQueue(d->queue);
    d->queue = NULL;
    pthread_mutex_lock(&g_shared_lock);
    eqg_shared_dev* s = d->shared;
    const char* keep = getenv("EDGEQ_GPU_KEEP_DEVICE");
    /* the last delegate on it: kept for the process's next delegate (a new context costs 0.1-1.2 s on
     * NVIDIA), unless EDGEQ_GPU_KEEP_DEVICE=0 */
    if (--s->refs == 0 && keep && !strcmp(keep, "0")) {
      for (eqg_shared_dev** it = &g_shared; *it; it = &(*it)->next)
        if (*it == s) {
          *it = s->next;
          break;
        }
      release_chosen(&s->dev);
      free(s);
    }
    pthread_mutex_unlock(&g_shared_lock);
    d->program = NULL;
    d->context = NULL;
    d->shared = NULL;
    eqg_cl_unload(&d->cl);
    return;
  }
  release_chosen(d);
  eqg_cl_unload(&d->cl);
}
