/* OpenCL entry points resolved at run time with dlopen("libOpenCL.so.1"), so the delegate
 * loads (and leaves every node to the runtime) on machines without an OpenCL ICD loader.
 * Types and constants come from our own declaration of the API (no OpenCL headers needed). */
#ifndef EDGEQ_GPU_CL_API_H
#define EDGEQ_GPU_CL_API_H

#include "edgeq/opencl_c_abi.h"

typedef struct eqg_cl {
  void* lib;
  int isolated; /* loaded into a private link namespace (dlmopen) */
  cl_int (*GetPlatformIDs)(cl_uint, cl_platform_id*, cl_uint*);
  cl_int (*GetPlatformInfo)(cl_platform_id, cl_platform_info, size_t, void*, size_t*);
  cl_int (*GetDeviceIDs)(cl_platform_id, cl_device_type, cl_uint, cl_device_id*, cl_uint*);
  cl_int (*GetDeviceInfo)(cl_device_id, cl_device_info, size_t, void*, size_t*);
  cl_context (*CreateContext)(const cl_context_properties*, cl_uint, const cl_device_id*,
                              void (*)(const char*, const void*, size_t, void*), void*, cl_int*);
  cl_int (*ReleaseContext)(cl_context);
  cl_command_queue (*CreateCommandQueue)(cl_context, cl_device_id, cl_command_queue_properties, cl_int*);
  cl_int (*ReleaseCommandQueue)(cl_command_queue);
  cl_mem (*CreateBuffer)(cl_context, cl_mem_flags, size_t, void*, cl_int*);
  cl_int (*ReleaseMemObject)(cl_mem);
  cl_program (*CreateProgramWithSource)(cl_context, cl_uint, const char**, const size_t*, cl_int*);
  cl_program (*CreateProgramWithBinary)(cl_context, cl_uint, const cl_device_id*, const size_t*,
                                        const unsigned char**, cl_int*, cl_int*);
  cl_int (*BuildProgram)(cl_program, cl_uint, const cl_device_id*, const char*,
                         void (*)(cl_program, void*), void*);
  cl_int (*GetProgramInfo)(cl_program, cl_program_info, size_t, void*, size_t*);
  cl_int (*GetProgramBuildInfo)(cl_program, cl_device_id, cl_program_build_info, size_t, void*, size_t*);
  cl_int (*ReleaseProgram)(cl_program);
  cl_kernel (*CreateKernel)(cl_program, const char*, cl_int*);
  cl_int (*SetKernelArg)(cl_kernel, cl_uint, size_t, const void*);
  cl_int (*GetKernelWorkGroupInfo)(cl_kernel, cl_device_id, cl_kernel_work_group_info, size_t, void*, size_t*);
  cl_int (*ReleaseKernel)(cl_kernel);
  cl_int (*EnqueueNDRangeKernel)(cl_command_queue, cl_kernel, cl_uint, const size_t*, const size_t*,
                                 const size_t*, cl_uint, const cl_event*, cl_event*);
  cl_int (*EnqueueWriteBuffer)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, const void*, cl_uint,
                               const cl_event*, cl_event*);
  cl_int (*EnqueueReadBuffer)(cl_command_queue, cl_mem, cl_bool, size_t, size_t, void*, cl_uint,
                              const cl_event*, cl_event*);
  cl_int (*Flush)(cl_command_queue);
  cl_int (*Finish)(cl_command_queue);
  void* (*EnqueueMapBuffer)(cl_command_queue, cl_mem, cl_bool, cl_map_flags, size_t, size_t, cl_uint, const cl_event*,
                            cl_event*, cl_int*);
  cl_int (*EnqueueUnmapMemObject)(cl_command_queue, cl_mem, void*, cl_uint, const cl_event*, cl_event*);
  cl_int (*GetEventProfilingInfo)(cl_event, cl_profiling_info, size_t, void*, size_t*);
  cl_int (*ReleaseEvent)(cl_event);
} eqg_cl;

/* Loads the ICD loader and every entry point above, once per process (in a private link
 * namespace when another library's LLVM would collide with the driver's; see cl_api.c).
 * Returns 0, or -1 with a one-line reason in err. */
int eqg_cl_load(eqg_cl* cl, char* err, size_t errlen);
void eqg_cl_unload(eqg_cl* cl);
/* Loading one vendor driver directly, without the ICD loader (a remembered device choice: the
 * other drivers are never initialised). eqg_cl_direct_ok: whether that is safe in this process
 * (not when the loader would need a private link namespace). eqg_cl_vendor_platforms: dlopen
 * `path` (once per process) and list its platforms (clIcdGetPlatformIDsKHR) into ids; cl gets
 * the library and GetPlatformIDs only. eqg_cl_bind_dispatch: the other entry points from a
 * platform's ICD dispatch table. eqg_cl_vendor_path: the driver library a platform (from either
 * way of loading) belongs to. Each returns 0, or -1. */
int eqg_cl_direct_ok(void);
int eqg_cl_vendor_platforms(const char* path, eqg_cl* cl, cl_platform_id* ids, cl_uint max, cl_uint* n);
int eqg_cl_bind_dispatch(eqg_cl* cl, cl_platform_id platform);
int eqg_cl_vendor_path(cl_platform_id platform, char* out, size_t len);
/* Readable name of an OpenCL error code ("CL_OUT_OF_RESOURCES"). */
const char* eqg_cl_error(cl_int code);

#endif
