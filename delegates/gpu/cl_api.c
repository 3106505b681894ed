/* Run-time binding of the OpenCL ICD loader (see cl_api.h). */
#define _GNU_SOURCE /* dlmopen */
#include "cl_api.h"
#include "icd_dispatch.h"

#include <dlfcn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* LLVM's command-line registry visible process-wide (TensorFlow exports it): LLVM-based
 * OpenCL drivers (PoCL) loaded next to it crash in their static initializers. */
static int llvm_is_global(void) { return dlsym(RTLD_DEFAULT, "_ZN4llvm2cl6Option11addArgumentEv") != NULL; }

static void* open_lib(const char* name, int isolated) {
#if defined(__GLIBC__) && defined(LM_ID_NEWLM)
  if (isolated) return dlmopen(LM_ID_NEWLM, name, RTLD_NOW | RTLD_LOCAL);
#endif
  return isolated ? NULL : dlopen(name, RTLD_NOW | RTLD_LOCAL);
}

/* Loads the ICD loader and enumerates platforms (which loads every driver) in a forked
 * child: 0 when that survives. A crash there costs the child, not the user's process. */
static int survives_in_child(const char* name, int isolated) {
  const pid_t pid = fork();
  if (pid == 0) {
    void* lib = open_lib(name, isolated);
    cl_int (*get_ids)(cl_uint, cl_platform_id*, cl_uint*) = NULL;
    if (lib) *(void**)(&get_ids) = dlsym(lib, "clGetPlatformIDs");
    if (get_ids) {
      cl_uint n = 0;
      get_ids(0, NULL, &n);
    }
    _exit(0);
  }
  if (pid < 0) return -1;
  for (int i = 0; i < 600; ++i) { /* drivers can take seconds to initialise; give up after 60 s */
    int st = 0;
    const pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
    if (r < 0) return -1;
    usleep(100000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}

/* The driver stack is loaded once per process and never unloaded: drivers do not
 * survive dlclose reliably, and each private namespace is a scarce resource (glibc has 16). */
static eqg_cl g_cl;
static int g_cl_state; /* 0 not tried, 1 loaded, -1 failed */
static char g_cl_error[512];
static pthread_mutex_t g_cl_lock = PTHREAD_MUTEX_INITIALIZER;

static int load_once(eqg_cl* cl, char* err, size_t errlen);

int eqg_cl_load(eqg_cl* cl, char* err, size_t errlen) {
  pthread_mutex_lock(&g_cl_lock);
  if (g_cl_state == 0) g_cl_state = load_once(&g_cl, g_cl_error, sizeof(g_cl_error)) == 0 ? 1 : -1;
  const int ok = g_cl_state == 1;
  pthread_mutex_unlock(&g_cl_lock);
  if (!ok) {
    memset(cl, 0, sizeof(*cl));
    snprintf(err, errlen, "%s", g_cl_error);
    return -1;
  }
  *cl = g_cl;
  return 0;
}

void eqg_cl_unload(eqg_cl* cl) { memset(cl, 0, sizeof(*cl)); }

static int load_once(eqg_cl* cl, char* err, size_t errlen) {
  memset(cl, 0, sizeof(*cl));
  const char* override = getenv("EDGEQ_OPENCL_LIBRARY");
  const char* defaults[] = {"libOpenCL.so.1", "libOpenCL.so"};
  const char* const* names = defaults;
  size_t n_names = 2;
  if (override && *override) {
    names = &override;
    n_names = 1;
  }
  /* LLVM-based drivers (PoCL) crash while loading when another library in the process
   * (TensorFlow) exports its own LLVM symbols globally: their static initializers bind to
   * the foreign copy. A private link namespace (dlmopen) keeps the driver stack
   * self-contained, but not every system's loader copes with it. So, when that conflict
   * is possible, each way is first tried in a forked child; the user's process only takes
   * one that survived there. EDGEQ_GPU_ISOLATE=1/0 forces a way without the probe. */
  const char* env = getenv("EDGEQ_GPU_ISOLATE");
  const int forced = env && *env;
  int modes[2] = {0, -1};
  if (forced) modes[0] = strcmp(env, "0") != 0;
  else if (llvm_is_global()) modes[0] = 1, modes[1] = 0;
  int crashed = 0;
  for (size_t i = 0; i < n_names && !cl->lib; ++i) {
    for (int m = 0; m < 2 && !cl->lib && modes[m] >= 0; ++m) {
      if (!forced && modes[1] >= 0 && survives_in_child(names[i], modes[m]) != 0) {
        crashed = 1;
        continue;
      }
      cl->lib = open_lib(names[i], modes[m]);
      cl->isolated = cl->lib && modes[m];
    }
  }
  if (!cl->lib && crashed) {
    snprintf(err, errlen,
             "the OpenCL drivers crash when loaded into this process (a library here, e.g. TensorFlow, exports "
             "LLVM symbols that LLVM-based drivers such as PoCL collide with): run inference in a process that "
             "does not import TensorFlow, or remove the conflicting ICD from /etc/OpenCL/vendors");
    return -1;
  }
  if (!cl->lib) {
    snprintf(err, errlen,
             "no OpenCL runtime (%s not found): install an OpenCL ICD loader and a driver "
             "(e.g. ocl-icd-libopencl1 + pocl-opencl-icd) or set EDGEQ_OPENCL_LIBRARY",
             names[0]);
    return -1;
  }
#define EQG_SYM(field, sym)                                                                             \
  do {                                                                                                  \
    *(void**)(&cl->field) = dlsym(cl->lib, sym);                                                        \
    if (!cl->field) {                                                                                   \
      snprintf(err, errlen, "the OpenCL library lacks %s: install an OpenCL 1.2+ ICD loader", sym);    \
      dlclose(cl->lib);                                                                                 \
      memset(cl, 0, sizeof(*cl));                                                                       \
      return -1;                                                                                        \
    }                                                                                                   \
  } while (0)
  EQG_SYM(GetPlatformIDs, "clGetPlatformIDs");
  EQG_SYM(GetPlatformInfo, "clGetPlatformInfo");
  EQG_SYM(GetDeviceIDs, "clGetDeviceIDs");
  EQG_SYM(GetDeviceInfo, "clGetDeviceInfo");
  EQG_SYM(CreateContext, "clCreateContext");
  EQG_SYM(ReleaseContext, "clReleaseContext");
  EQG_SYM(CreateCommandQueue, "clCreateCommandQueue");
  EQG_SYM(ReleaseCommandQueue, "clReleaseCommandQueue");
  EQG_SYM(CreateBuffer, "clCreateBuffer");
  EQG_SYM(ReleaseMemObject, "clReleaseMemObject");
  EQG_SYM(CreateProgramWithSource, "clCreateProgramWithSource");
  EQG_SYM(CreateProgramWithBinary, "clCreateProgramWithBinary");
  EQG_SYM(BuildProgram, "clBuildProgram");
  EQG_SYM(GetProgramInfo, "clGetProgramInfo");
  EQG_SYM(GetProgramBuildInfo, "clGetProgramBuildInfo");
  EQG_SYM(ReleaseProgram, "clReleaseProgram");
  EQG_SYM(CreateKernel, "clCreateKernel");
  EQG_SYM(SetKernelArg, "clSetKernelArg");
  EQG_SYM(GetKernelWorkGroupInfo, "clGetKernelWorkGroupInfo");
  EQG_SYM(ReleaseKernel, "clReleaseKernel");
  EQG_SYM(EnqueueNDRangeKernel, "clEnqueueNDRangeKernel");
  EQG_SYM(EnqueueWriteBuffer, "clEnqueueWriteBuffer");
  EQG_SYM(EnqueueReadBuffer, "clEnqueueReadBuffer");
  EQG_SYM(Flush, "clFlush");
  EQG_SYM(Finish, "clFinish");
  EQG_SYM(EnqueueMapBuffer, "clEnqueueMapBuffer");
  EQG_SYM(EnqueueUnmapMemObject, "clEnqueueUnmapMemObject");
  EQG_SYM(GetEventProfilingInfo, "clGetEventProfilingInfo");
  EQG_SYM(ReleaseEvent, "clReleaseEvent");
#undef EQG_SYM
  return 0;
}


const char* eqg_cl_error(cl_int code) {
  switch (code) {
    case CL_SUCCESS: return "CL_SUCCESS";
    case CL_DEVICE_NOT_FOUND: return "CL_DEVICE_NOT_FOUND";
    case CL_DEVICE_NOT_AVAILABLE: return "CL_DEVICE_NOT_AVAILABLE";
    case CL_COMPILER_NOT_AVAILABLE: return "CL_COMPILER_NOT_AVAILABLE";
    case CL_MEM_OBJECT_ALLOCATION_FAILURE: return "CL_MEM_OBJECT_ALLOCATION_FAILURE";
    case CL_OUT_OF_RESOURCES: return "CL_OUT_OF_RESOURCES";
    case CL_OUT_OF_HOST_MEMORY: return "CL_OUT_OF_HOST_MEMORY";
    case CL_BUILD_PROGRAM_FAILURE: return "CL_BUILD_PROGRAM_FAILURE";
    case CL_INVALID_VALUE: return "CL_INVALID_VALUE";
    case CL_INVALID_PLATFORM: return "CL_INVALID_PLATFORM";
    case CL_INVALID_DEVICE: return "CL_INVALID_DEVICE";
    case CL_INVALID_BINARY: return "CL_INVALID_BINARY";
    case CL_INVALID_BUFFER_SIZE: return "CL_INVALID_BUFFER_SIZE";
    case CL_INVALID_KERNEL_NAME: return "CL_INVALID_KERNEL_NAME";
    case CL_INVALID_KERNEL_ARGS: return "CL_INVALID_KERNEL_ARGS";
    case CL_INVALID_ARG_INDEX: return "CL_INVALID_ARG_INDEX";
    case CL_INVALID_ARG_SIZE: return "CL_INVALID_ARG_SIZE";
    case CL_INVALID_WORK_GROUP_SIZE: return "CL_INVALID_WORK_GROUP_SIZE";
    case CL_INVALID_GLOBAL_WORK_SIZE: return "CL_INVALID_GLOBAL_WORK_SIZE";
    case -1001: /* CL_PLATFORM_NOT_FOUND_KHR */ return "CL_PLATFORM_NOT_FOUND_KHR (no OpenCL platform installed)";
    default: return "CL error";
  }
}

int eqg_cl_direct_ok(void) {
  const char* env = getenv("EDGEQ_GPU_ISOLATE");
  if (env && *env) return strcmp(env, "0") == 0;
  return !llvm_is_global();
}

/* One vendor driver loaded directly, once per process (never unloaded, as the loader's). */
static void* g_vendor;
static char g_vendor_path[1024];

int eqg_cl_vendor_platforms(const char* path, eqg_cl* cl, cl_platform_id* ids, cl_uint max, cl_uint* n) {
  memset(cl, 0, sizeof(*cl));
  *n = 0;
  pthread_mutex_lock(&g_cl_lock);
  if (!g_vendor || strcmp(g_vendor_path, path) != 0) {
    void* lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib) {
      g_vendor = lib;
      snprintf(g_vendor_path, sizeof(g_vendor_path), "%s", path);
    }
  }
  void* lib = strcmp(g_vendor_path, path) == 0 ? g_vendor : NULL;
  pthread_mutex_unlock(&g_cl_lock);
  if (!lib) return -1;
  cl_int (*get_ids)(cl_uint, cl_platform_id*, cl_uint*) = NULL;
  *(void**)(&get_ids) = dlsym(lib, "clIcdGetPlatformIDsKHR");
  if (!get_ids) {
    void* (*ext)(const char*) = NULL;
    *(void**)(&ext) = dlsym(lib, "clGetExtensionFunctionAddress");
    if (ext) *(void**)(&get_ids) = ext("clIcdGetPlatformIDsKHR");
  }
  if (!get_ids || get_ids(max, ids, n) != CL_SUCCESS || *n == 0) return -1;
  if (*n > max) *n = max;
  cl->lib = lib;
  cl->GetPlatformIDs = get_ids;
  return 0;
}

int eqg_cl_bind_dispatch(eqg_cl* cl, cl_platform_id platform) {
  void* const* table = platform ? *(void* const* const*)platform : NULL;
  if (!table) return -1;
#define EQG_SLOT(field, slot)                               \
  do {                                                      \
    *(void**)(&cl->field) = table[EQG_ICD_##slot];          \
    if (!cl->field) return -1;                              \
  } while (0)
  EQG_SLOT(GetPlatformInfo, GetPlatformInfo);
  EQG_SLOT(GetDeviceIDs, GetDeviceIDs);
  EQG_SLOT(GetDeviceInfo, GetDeviceInfo);
  EQG_SLOT(CreateContext, CreateContext);
  EQG_SLOT(ReleaseContext, ReleaseContext);
  EQG_SLOT(CreateCommandQueue, CreateCommandQueue);
  EQG_SLOT(ReleaseCommandQueue, ReleaseCommandQueue);
  EQG_SLOT(CreateBuffer, CreateBuffer);
  EQG_SLOT(ReleaseMemObject, ReleaseMemObject);
  EQG_SLOT(CreateProgramWithSource, CreateProgramWithSource);
  EQG_SLOT(CreateProgramWithBinary, CreateProgramWithBinary);
  EQG_SLOT(BuildProgram, BuildProgram);
  EQG_SLOT(GetProgramInfo, GetProgramInfo);
  EQG_SLOT(GetProgramBuildInfo, GetProgramBuildInfo);
  EQG_SLOT(ReleaseProgram, ReleaseProgram);
  EQG_SLOT(CreateKernel, CreateKernel);
  EQG_SLOT(SetKernelArg, SetKernelArg);
  EQG_SLOT(GetKernelWorkGroupInfo, GetKernelWorkGroupInfo);
  EQG_SLOT(ReleaseKernel, ReleaseKernel);
  EQG_SLOT(EnqueueNDRangeKernel, EnqueueNDRangeKernel);
  EQG_SLOT(EnqueueWriteBuffer, EnqueueWriteBuffer);
  EQG_SLOT(EnqueueReadBuffer, EnqueueReadBuffer);
  EQG_SLOT(Flush, Flush);
  EQG_SLOT(Finish, Finish);
  EQG_SLOT(EnqueueMapBuffer, EnqueueMapBuffer);
  EQG_SLOT(EnqueueUnmapMemObject, EnqueueUnmapMemObject);
  EQG_SLOT(GetEventProfilingInfo, GetEventProfilingInfo);
  EQG_SLOT(ReleaseEvent, ReleaseEvent);
#undef EQG_SLOT
  return 0;
}

int eqg_cl_vendor_path(cl_platform_id platform, char* out, size_t len) {
  void* const* table = platform ? *(void* const* const*)platform : NULL;
  Dl_info info;
  out[0] = 0;
  if (!table || !table[EQG_ICD_GetPlatformInfo] || !dladdr(table[EQG_ICD_GetPlatformInfo], &info) ||
      !info.dli_fname || info.dli_fname[0] != '/')
    return -1;
  snprintf(out, len, "%s", info.dli_fname);
  return 0;
}
