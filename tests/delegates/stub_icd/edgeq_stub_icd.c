/* A stub OpenCL ICD driver for the device-choice tests: one platform ("edgeq stub platform")
 * listing a CPU device with the most compute units first, then two GPU devices (8 and 64
 * compute units, the smaller first) and an accelerator.
 * It answers the queries a loader and the delegate make about platforms and devices; creating
 * a context fails (CL_DEVICE_NOT_AVAILABLE), so a delegate that picks it runs nothing there.
 * Loaded by the ocl-icd loader next to PoCL through OCL_ICD_VENDORS; appends a line to the file
 * EDGEQ_STUB_ICD_MARK names when loaded. Test-only code. */
#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_1_APIS
#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <CL/cl_icd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cl_icd_dispatch g_dispatch;
struct _cl_platform_id { cl_icd_dispatch* dispatch; };
struct _cl_device_id { cl_icd_dispatch* dispatch; const char* name; cl_device_type type; cl_uint units; };

static struct _cl_platform_id g_platform = {&g_dispatch};
static struct _cl_device_id g_devices[] = {
    {&g_dispatch, "edgeq stub CPU", CL_DEVICE_TYPE_CPU, 128},
    {&g_dispatch, "edgeq stub GPU small", CL_DEVICE_TYPE_GPU, 8},
    {&g_dispatch, "edgeq stub GPU big", CL_DEVICE_TYPE_GPU, 64},
    {&g_dispatch, "edgeq stub accelerator", CL_DEVICE_TYPE_ACCELERATOR, 4},
};
#define N_DEVICES ((cl_uint)(sizeof(g_devices) / sizeof(g_devices[0])))

static cl_int put(const void* v, size_t n, size_t size, void* out, size_t* size_ret) {
  if (size_ret) *size_ret = n;
  if (out) {
    if (size < n) return CL_INVALID_VALUE;
    memcpy(out, v, n);
  }
  return CL_SUCCESS;
}

static cl_int put_str(const char* s, size_t size, void* out, size_t* size_ret) {
  return put(s, strlen(s) + 1, size, out, size_ret);
}

static cl_int CL_API_CALL icd_get_platform_ids(cl_uint n, cl_platform_id* ids, cl_uint* n_ret) {
  if (ids && n) ids[0] = &g_platform;
  if (n_ret) *n_ret = 1;
  return CL_SUCCESS;
}

static cl_int CL_API_CALL get_platform_info(cl_platform_id p, cl_platform_info what, size_t size, void* out,
                                            size_t* size_ret) {
  (void)p;
  switch (what) {
    case CL_PLATFORM_NAME: return put_str("edgeq stub platform", size, out, size_ret);
    case CL_PLATFORM_VENDOR: return put_str("edgeq tests", size, out, size_ret);
    case CL_PLATFORM_VERSION: return put_str("OpenCL 1.2 stub", size, out, size_ret);
    case CL_PLATFORM_PROFILE: return put_str("FULL_PROFILE", size, out, size_ret);
    case CL_PLATFORM_EXTENSIONS: return put_str("cl_khr_icd", size, out, size_ret);
    case CL_PLATFORM_ICD_SUFFIX_KHR: return put_str("STUB", size, out, size_ret);
    default: return CL_INVALID_VALUE;
  }
}

static cl_int CL_API_CALL get_device_ids(cl_platform_id p, cl_device_type type, cl_uint n, cl_device_id* ids,
                                         cl_uint* n_ret) {
  (void)p;
  cl_uint k = 0;
  for (cl_uint i = 0; i < N_DEVICES; ++i) {
    if (type != CL_DEVICE_TYPE_ALL && !(type & g_devices[i].type)) continue;
    if (ids && k < n) ids[k] = &g_devices[i];
    ++k;
  }
  if (n_ret) *n_ret = k;
  return k ? CL_SUCCESS : CL_DEVICE_NOT_FOUND;
}

static cl_int CL_API_CALL get_device_info(cl_device_id d, cl_device_info what, size_t size, void* out,
                                          size_t* size_ret) {
  const cl_ulong mem = 1ull << 30;
  const cl_uint mhz = 1000;
  const cl_bool yes = CL_TRUE;
  const cl_platform_id p = &g_platform;
  switch (what) {
    case CL_DEVICE_NAME: return put_str(d->name, size, out, size_ret);
    case CL_DEVICE_VENDOR: return put_str("edgeq tests", size, out, size_ret);
    case CL_DRIVER_VERSION: return put_str("0.1", size, out, size_ret);
    case CL_DEVICE_VERSION: return put_str("OpenCL 1.2 stub", size, out, size_ret);
    case CL_DEVICE_PROFILE: return put_str("FULL_PROFILE", size, out, size_ret);
    case CL_DEVICE_EXTENSIONS: return put_str("", size, out, size_ret);
    case CL_DEVICE_TYPE: return put(&d->type, sizeof(d->type), size, out, size_ret);
    case CL_DEVICE_MAX_COMPUTE_UNITS: return put(&d->units, sizeof(d->units), size, out, size_ret);
    case CL_DEVICE_MAX_CLOCK_FREQUENCY: return put(&mhz, sizeof(mhz), size, out, size_ret);
    case CL_DEVICE_GLOBAL_MEM_SIZE:
    case CL_DEVICE_MAX_MEM_ALLOC_SIZE: return put(&mem, sizeof(mem), size, out, size_ret);
    case CL_DEVICE_AVAILABLE:
    case CL_DEVICE_COMPILER_AVAILABLE: return put(&yes, sizeof(yes), size, out, size_ret);
    case CL_DEVICE_PLATFORM: return put(&p, sizeof(p), size, out, size_ret);
    default: return CL_INVALID_VALUE;
  }
}

static cl_context CL_API_CALL create_context(const cl_context_properties* props, cl_uint n, const cl_device_id* devs,
                                             void(CL_CALLBACK* notify)(const char*, const void*, size_t, void*),
                                             void* user, cl_int* rc) {
  (void)props, (void)n, (void)devs, (void)notify, (void)user;
  if (rc) *rc = CL_DEVICE_NOT_AVAILABLE;
  return NULL;
}

CL_API_ENTRY void* CL_API_CALL clGetExtensionFunctionAddress(const char* name) {
  if (strcmp(name, "clIcdGetPlatformIDsKHR") == 0) return (void*)icd_get_platform_ids;
  if (strcmp(name, "clGetPlatformInfo") == 0) return (void*)get_platform_info;
  return NULL;
}

CL_API_ENTRY cl_int CL_API_CALL clIcdGetPlatformIDsKHR(cl_uint n, cl_platform_id* ids, cl_uint* n_ret) {
  return icd_get_platform_ids(n, ids, n_ret);
}

__attribute__((constructor)) static void init_dispatch(void) {
  /* tests learn whether a process loaded this driver at all */
  const char* mark = getenv("EDGEQ_STUB_ICD_MARK");
  FILE* f = mark && *mark ? fopen(mark, "a") : NULL;
  if (f) {
    fputs("loaded\n", f);
    fclose(f);
  }
  g_dispatch.clGetPlatformIDs = icd_get_platform_ids;
  g_dispatch.clGetPlatformInfo = get_platform_info;
  g_dispatch.clGetDeviceIDs = get_device_ids;
  g_dispatch.clGetDeviceInfo = get_device_info;
  g_dispatch.clCreateContext = create_context;
  g_dispatch.clGetExtensionFunctionAddress = clGetExtensionFunctionAddress;
}
