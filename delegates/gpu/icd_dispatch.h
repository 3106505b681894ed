/* Slots of the Khronos ICD dispatch table (cl_icd.h's struct _cl_icd_dispatch, OpenCL 1.0 part)
 * that the delegate calls when it loads a vendor driver directly, without the ICD loader: every
 * OpenCL object of an ICD driver starts with a pointer to that table, in this fixed order.
 * Checked against the Khronos header by tests/delegates/test_gpu_build.py. */
#ifndef EDGEQ_GPU_ICD_DISPATCH_H
#define EDGEQ_GPU_ICD_DISPATCH_H

enum {
  EQG_ICD_GetPlatformInfo = 1,
  EQG_ICD_GetDeviceIDs = 2,
  EQG_ICD_GetDeviceInfo = 3,
  EQG_ICD_CreateContext = 4,
  EQG_ICD_ReleaseContext = 7,
  EQG_ICD_CreateCommandQueue = 9,
  EQG_ICD_ReleaseCommandQueue = 11,
  EQG_ICD_CreateBuffer = 14,
  EQG_ICD_ReleaseMemObject = 18,
  EQG_ICD_CreateProgramWithSource = 26,
  EQG_ICD_CreateProgramWithBinary = 27,
  EQG_ICD_ReleaseProgram = 29,
  EQG_ICD_BuildProgram = 30,
  EQG_ICD_GetProgramInfo = 32,
  EQG_ICD_GetProgramBuildInfo = 33,
  EQG_ICD_CreateKernel = 34,
  EQG_ICD_ReleaseKernel = 37,
  EQG_ICD_SetKernelArg = 38,
  EQG_ICD_GetKernelWorkGroupInfo = 40,
  EQG_ICD_ReleaseEvent = 44,
  EQG_ICD_GetEventProfilingInfo = 45,
  EQG_ICD_Flush = 46,
  EQG_ICD_Finish = 47,
  EQG_ICD_EnqueueReadBuffer = 48,
  EQG_ICD_EnqueueWriteBuffer = 49,
  EQG_ICD_EnqueueMapBuffer = 56,
  EQG_ICD_EnqueueUnmapMemObject = 58,
  EQG_ICD_EnqueueNDRangeKernel = 59,
  EQG_ICD_SLOTS = 60 /* the table is at least this long */
};

#endif
