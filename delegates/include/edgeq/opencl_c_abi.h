/* The slice of the OpenCL 1.2 C API that libedgeq_gpu uses, declared by us.
 *
 * The delegate resolves every entry point with dlopen/dlsym at run time (gpu/cl_api.c), so
 * it needs only types and constants, and it builds where no OpenCL development headers are
 * installed (a plain `pip install`). Types and values follow the Khronos registry's CL/cl.h
 * (OpenCL 1.2 core, plus CL_PLATFORM_NOT_FOUND_KHR from cl_khr_icd); the ABI is frozen there.
 * tests/delegates/test_gpu_build.py compiles the library with the system headers hidden, and
 * checks every value below against CL/cl.h where that is installed.
 */
#ifndef EDGEQ_OPENCL_C_ABI_H
#define EDGEQ_OPENCL_C_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef int32_t cl_int;
typedef uint32_t cl_uint;
typedef uint64_t cl_ulong;
typedef cl_uint cl_bool;
typedef cl_ulong cl_bitfield;
typedef cl_bitfield cl_device_type;
typedef cl_bitfield cl_mem_flags;
typedef cl_bitfield cl_command_queue_properties;
typedef cl_bitfield cl_map_flags;
typedef intptr_t cl_context_properties;
typedef cl_uint cl_platform_info;
typedef cl_uint cl_device_info;
typedef cl_uint cl_program_info;
typedef cl_uint cl_program_build_info;
typedef cl_uint cl_kernel_work_group_info;
typedef cl_uint cl_profiling_info;

typedef struct _cl_platform_id* cl_platform_id;
typedef struct _cl_device_id* cl_device_id;
typedef struct _cl_context* cl_context;
typedef struct _cl_command_queue* cl_command_queue;
typedef struct _cl_mem* cl_mem;
typedef struct _cl_program* cl_program;
typedef struct _cl_kernel* cl_kernel;
typedef struct _cl_event* cl_event;

#define CL_FALSE 0
#define CL_TRUE 1

/* error codes */
#define CL_SUCCESS 0
#define CL_DEVICE_NOT_FOUND -1
#define CL_DEVICE_NOT_AVAILABLE -2
#define CL_COMPILER_NOT_AVAILABLE -3
#define CL_MEM_OBJECT_ALLOCATION_FAILURE -4
#define CL_OUT_OF_RESOURCES -5
#define CL_OUT_OF_HOST_MEMORY -6
#define CL_BUILD_PROGRAM_FAILURE -11
#define CL_INVALID_VALUE -30
#define CL_INVALID_PLATFORM -32
#define CL_INVALID_DEVICE -33
#define CL_INVALID_BINARY -42
#define CL_INVALID_BUFFER_SIZE -61
#define CL_INVALID_KERNEL_NAME -46
#define CL_INVALID_KERNEL_ARGS -52
#define CL_INVALID_ARG_INDEX -49
#define CL_INVALID_ARG_SIZE -51
#define CL_INVALID_WORK_GROUP_SIZE -54
#define CL_INVALID_GLOBAL_WORK_SIZE -63
#define CL_PLATFORM_NOT_FOUND_KHR -1001

/* cl_platform_info */
#define CL_PLATFORM_NAME 0x0902

/* cl_device_type */
#define CL_DEVICE_TYPE_CPU (1 << 1)
#define CL_DEVICE_TYPE_GPU (1 << 2)
#define CL_DEVICE_TYPE_ACCELERATOR (1 << 3)
#define CL_DEVICE_TYPE_ALL 0xFFFFFFFF

/* cl_device_info */
#define CL_DEVICE_TYPE 0x1000
#define CL_DEVICE_MAX_COMPUTE_UNITS 0x1002
#define CL_DEVICE_MAX_CLOCK_FREQUENCY 0x100C
#define CL_DEVICE_MAX_MEM_ALLOC_SIZE 0x1010
#define CL_DEVICE_GLOBAL_MEM_SIZE 0x101F
#define CL_DEVICE_NAME 0x102B
#define CL_DRIVER_VERSION 0x102D
#define CL_DEVICE_VERSION 0x102F
#define CL_DEVICE_EXTENSIONS 0x1030

/* cl_command_queue_properties */
#define CL_QUEUE_PROFILING_ENABLE (1 << 1)

/* cl_mem_flags */
#define CL_MEM_READ_WRITE (1 << 0)
#define CL_MEM_READ_ONLY (1 << 2)
#define CL_MEM_ALLOC_HOST_PTR (1 << 4)
#define CL_MEM_COPY_HOST_PTR (1 << 5)

/* cl_map_flags */
#define CL_MAP_READ (1 << 0)
#define CL_MAP_WRITE (1 << 1)

/* cl_program_info, cl_program_build_info */
#define CL_PROGRAM_BINARY_SIZES 0x1165
#define CL_PROGRAM_BINARIES 0x1166
#define CL_PROGRAM_BUILD_LOG 0x1183

/* cl_kernel_work_group_info */
#define CL_KERNEL_WORK_GROUP_SIZE 0x11B0
#define CL_KERNEL_PRIVATE_MEM_SIZE 0x11B4

/* cl_profiling_info */
#define CL_PROFILING_COMMAND_START 0x1282
#define CL_PROFILING_COMMAND_END 0x1283

#ifdef __cplusplus
}
#endif

#endif /* EDGEQ_OPENCL_C_ABI_H */
