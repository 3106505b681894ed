/* The slice of the TFLite C ABI that an external delegate needs, declared by us.
 *
 * No pip wheel (tensorflow, ai-edge-litert, tflite-runtime) ships the TFLite C headers,
 * and their binaries export no TfLite* symbols, so the delegate declares the structs it
 * shares with the runtime itself. Layouts follow the public API of TFLite 2.14+ /
 * LiteRT 2.x (tensorflow/lite/core/c/common.h, c_api_types.h, builtin_op_data.h,
 * builtin_ops.h). The runtime owns TfLiteContext and TfLiteNode, so only their leading
 * fields are declared; TfLiteTensor (indexed as an array), TfLiteRegistration (passed by
 * value) and TfLiteDelegate (allocated by us) are complete and size-checked below.
 * Every value here was checked against the headers of the version named above.
 */
#ifndef EDGEQ_TFLITE_C_ABI_H
#define EDGEQ_TFLITE_C_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum TfLiteStatus {
  kTfLiteOk = 0,
  kTfLiteError = 1,
  kTfLiteDelegateError = 2,
  kTfLiteApplicationError = 3,
  kTfLiteDelegateDataNotFound = 4,
  kTfLiteDelegateDataWriteError = 5,
  kTfLiteDelegateDataReadError = 6,
  kTfLiteUnresolvedOps = 7,
  kTfLiteCancelled = 8,
  kTfLiteOutputShapeNotKnown = 9,
} TfLiteStatus;

/* Tensor element types (c_api_types.h / tflite_types.h). Note the runtime enum differs
 * from the flatbuffer schema's TensorType (there INT4 = 17). */
typedef enum {
  kTfLiteNoType = 0,
  kTfLiteFloat32 = 1,
  kTfLiteInt32 = 2,
  kTfLiteUInt8 = 3,
  kTfLiteInt64 = 4,
  kTfLiteString = 5,
  kTfLiteBool = 6,
  kTfLiteInt16 = 7,
  kTfLiteComplex64 = 8,
  kTfLiteInt8 = 9,
  kTfLiteFloat16 = 10,
  kTfLiteFloat64 = 11,
  kTfLiteComplex128 = 12,
  kTfLiteUInt64 = 13,
  kTfLiteResource = 14,
  kTfLiteVariant = 15,
  kTfLiteUInt32 = 16,
  kTfLiteUInt16 = 17,
  kTfLiteInt4 = 18,
  kTfLiteBFloat16 = 19,
  kTfLiteInt2 = 20,
  kTfLiteUInt4 = 21,
} TfLiteType;

typedef struct TfLiteQuantizationParams {
  float scale;
  int32_t zero_point;
} TfLiteQuantizationParams;

typedef struct TfLiteIntArray {
  int size;
  int data[];
} TfLiteIntArray;

typedef struct TfLiteFloatArray {
  int size;
  float data[];
} TfLiteFloatArray;

typedef enum TfLiteQuantizationType {
  kTfLiteNoQuantization = 0,
  kTfLiteAffineQuantization = 1,
  kTfLiteBlockwiseQuantization = 2,
} TfLiteQuantizationType;

typedef struct TfLiteQuantization {
  TfLiteQuantizationType type;
  void* params;
} TfLiteQuantization;

typedef struct TfLiteAffineQuantization {
  TfLiteFloatArray* scale;
  TfLiteIntArray* zero_point;
  int32_t quantized_dimension;
} TfLiteAffineQuantization;

typedef union TfLitePtrUnion {
  int32_t* i32;
  int64_t* i64;
  float* f;
  char* raw;
  const char* raw_const;
  uint8_t* uint8;
  int8_t* int8;
  int16_t* i16;
  void* data;
} TfLitePtrUnion;

typedef enum TfLiteAllocationType {
  kTfLiteMemNone = 0,
  kTfLiteMmapRo,
  kTfLiteArenaRw,
  kTfLiteArenaRwPersistent,
  kTfLiteDynamic,
  kTfLitePersistentRo,
  kTfLiteCustom,
  kTfLiteVariantObject,
  kTfLiteNonCpu,
} TfLiteAllocationType;

typedef int TfLiteBufferHandle;
struct TfLiteDelegate;
struct TfLiteSparsity;

typedef struct TfLiteTensor {
  TfLiteType type;
  TfLitePtrUnion data;
  TfLiteIntArray* dims;
  TfLiteQuantizationParams params;
  TfLiteAllocationType allocation_type;
  size_t bytes;
  const void* allocation;
  const char* name;
  struct TfLiteDelegate* delegate;
  TfLiteBufferHandle buffer_handle;
  bool data_is_stale;
  bool is_variable;
  TfLiteQuantization quantization;
  struct TfLiteSparsity* sparsity;
  const TfLiteIntArray* dims_signature;
} TfLiteTensor;

typedef struct TfLiteNode {
  TfLiteIntArray* inputs;
  TfLiteIntArray* outputs;
  TfLiteIntArray* intermediates;
  TfLiteIntArray* temporaries;
  void* user_data;
  void* builtin_data;
  const void* custom_initial_data;
  int custom_initial_data_size;
  struct TfLiteDelegate* delegate;
  bool might_have_side_effect;
} TfLiteNode;

struct TfLiteContext;
struct TfLiteOperator;
struct TfLiteAsyncKernel;

typedef struct TfLiteRegistration {
  void* (*init)(struct TfLiteContext* context, const char* buffer, size_t length);
  void (*free)(struct TfLiteContext* context, void* buffer);
  TfLiteStatus (*prepare)(struct TfLiteContext* context, TfLiteNode* node);
  TfLiteStatus (*invoke)(struct TfLiteContext* context, TfLiteNode* node);
  const char* (*profiling_string)(const struct TfLiteContext* context, const TfLiteNode* node);
  int32_t builtin_code;
  const char* custom_name;
  int version;
  struct TfLiteOperator* registration_external;
  struct TfLiteAsyncKernel* (*async_kernel)(struct TfLiteContext* context, TfLiteNode* node);
  uint64_t inplace_operator;
} TfLiteRegistration;

/* Leading fields only: the runtime allocates the context; we never copy it. */
typedef struct TfLiteContext {
  size_t tensors_size;
  TfLiteStatus (*GetExecutionPlan)(struct TfLiteContext* context, TfLiteIntArray** execution_plan);
  TfLiteTensor* tensors;
  void* impl_;
  TfLiteStatus (*ResizeTensor)(struct TfLiteContext*, TfLiteTensor* tensor, TfLiteIntArray* new_size);
  void (*ReportError)(struct TfLiteContext*, const char* msg, ...);
  TfLiteStatus (*AddTensors)(struct TfLiteContext*, int tensors_to_add, int* first_new_tensor_index);
  TfLiteStatus (*GetNodeAndRegistration)(struct TfLiteContext*, int node_index, TfLiteNode** node,
                                         TfLiteRegistration** registration);
  TfLiteStatus (*ReplaceNodeSubsetsWithDelegateKernels)(struct TfLiteContext*, TfLiteRegistration registration,
                                                        const TfLiteIntArray* nodes_to_replace,
                                                        struct TfLiteDelegate* delegate);
  int recommended_num_threads;
} TfLiteContext;

typedef enum TfLiteDelegateFlags {
  kTfLiteDelegateFlagsNone = 0,
  kTfLiteDelegateFlagsAllowDynamicTensors = 1,
  kTfLiteDelegateFlagsRequirePropagatedShapes = 2,
  kTfLiteDelegateFlagsPerOperatorProfiling = 4,
} TfLiteDelegateFlags;

typedef struct TfLiteDelegate {
  void* data_;
  TfLiteStatus (*Prepare)(TfLiteContext* context, struct TfLiteDelegate* delegate);
  TfLiteStatus (*CopyFromBufferHandle)(TfLiteContext* context, struct TfLiteDelegate* delegate,
                                       TfLiteBufferHandle buffer_handle, TfLiteTensor* tensor);
  TfLiteStatus (*CopyToBufferHandle)(TfLiteContext* context, struct TfLiteDelegate* delegate,
                                     TfLiteBufferHandle buffer_handle, TfLiteTensor* tensor);
  void (*FreeBufferHandle)(TfLiteContext* context, struct TfLiteDelegate* delegate,
                           TfLiteBufferHandle* handle);
  int64_t flags;
  void* opaque_delegate_builder; /* must stay NULL when Prepare is set */
} TfLiteDelegate;

/* What ReplaceNodeSubsetsWithDelegateKernels hands to the kernel's init (as `buffer`). */
typedef struct TfLiteDelegateParams {
  TfLiteDelegate* delegate;
  TfLiteIntArray* nodes_to_replace;
  TfLiteIntArray* input_tensors;
  TfLiteIntArray* output_tensors;
} TfLiteDelegateParams;

/* ---- builtin_ops.h: the codes we use ---- */
enum {
  kTfLiteBuiltinAdd = 0,
  kTfLiteBuiltinAveragePool2d = 1,
  kTfLiteBuiltinConcatenation = 2,
  kTfLiteBuiltinConv2d = 3,
  kTfLiteBuiltinDepthwiseConv2d = 4,
  kTfLiteBuiltinDequantize = 6,
  kTfLiteBuiltinFullyConnected = 9,
  kTfLiteBuiltinLogistic = 14,
  kTfLiteBuiltinMaxPool2d = 17,
  kTfLiteBuiltinMul = 18,
  kTfLiteBuiltinReshape = 22,
  kTfLiteBuiltinResizeBilinear = 23,
  kTfLiteBuiltinSoftmax = 25,
  kTfLiteBuiltinTanh = 28,
  kTfLiteBuiltinPad = 34,
  kTfLiteBuiltinTranspose = 39,
  kTfLiteBuiltinMean = 40,
  kTfLiteBuiltinSub = 41,
  kTfLiteBuiltinDelegate = 51,
  kTfLiteBuiltinPrelu = 54,
  kTfLiteBuiltinSlice = 65,
  kTfLiteBuiltinRsqrt = 76,
  kTfLiteBuiltinSquaredDifference = 99,
  kTfLiteBuiltinQuantize = 114,
  kTfLiteBuiltinHardSwish = 117,
  kTfLiteBuiltinBatchMatmul = 126,
  kTfLiteBuiltinGelu = 150,
};

/* ---- builtin_op_data.h: option structs of the ops we run ---- */
typedef enum { kTfLitePaddingUnknown = 0, kTfLitePaddingSame, kTfLitePaddingValid } TfLitePadding;

typedef enum {
  kTfLiteActNone = 0,
  kTfLiteActRelu,
  kTfLiteActReluN1To1,
  kTfLiteActRelu6,
  kTfLiteActTanh,
  kTfLiteActSignBit,
  kTfLiteActSigmoid,
} TfLiteFusedActivation;

typedef struct {
  int width;
  int height;
  int width_offset;
  int height_offset;
} TfLitePaddingValues;

typedef struct {
  TfLitePadding padding;
  int stride_width;
  int stride_height;
  TfLiteFusedActivation activation;
  int dilation_width_factor;
  int dilation_height_factor;
  TfLiteType quantized_bias_type;
} TfLiteConvParams;

typedef struct {
  TfLitePadding padding;
  int stride_width;
  int stride_height;
  int filter_width;
  int filter_height;
  TfLiteFusedActivation activation;
  struct {
    TfLitePaddingValues padding;
  } computed;
} TfLitePoolParams;

typedef struct {
  TfLitePadding padding;
  int stride_width;
  int stride_height;
  int depth_multiplier;
  TfLiteFusedActivation activation;
  int dilation_width_factor;
  int dilation_height_factor;
} TfLiteDepthwiseConvParams;

typedef enum {
  kTfLiteFullyConnectedWeightsFormatDefault = 0,
  kTfLiteFullyConnectedWeightsFormatShuffled4x16Int8 = 1,
} TfLiteFullyConnectedWeightsFormat;

/* Leading fields (newer versions append quantized_bias_type and quant_spec). */
typedef struct {
  TfLiteFusedActivation activation;
  TfLiteFullyConnectedWeightsFormat weights_format;
  bool keep_num_dims;
  bool asymmetric_quantize_inputs;
} TfLiteFullyConnectedParams;

typedef struct {
  float beta;
} TfLiteSoftmaxParams;

typedef struct {
  int axis;
  TfLiteFusedActivation activation;
} TfLiteConcatenationParams;

typedef struct {
  bool align_corners;
  bool half_pixel_centers;
} TfLiteResizeBilinearParams;

typedef struct {
  TfLiteFusedActivation activation;
  bool pot_scale_int16;
} TfLiteAddParams;

typedef struct {
  TfLiteFusedActivation activation;
} TfLiteMulParams;

typedef struct {
  int32_t shape[8];
  int num_dimensions;
} TfLiteReshapeParams;

typedef struct {
  bool keep_dims;
} TfLiteReducerParams;

typedef struct {
  bool adj_x;
  bool adj_y;
  bool asymmetric_quantize_inputs;
} TfLiteBatchMatMulParams;

typedef struct {
  bool approximate;
} TfLiteGeluParams;

/* ---- layout checks (LP64: x86-64, AArch64) ---- */
#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
#define EDGEQ_ABI_ASSERT(c, m) _Static_assert(c, m)
EDGEQ_ABI_ASSERT(sizeof(TfLiteTensor) == 112, "TfLiteTensor must be 112 bytes");
EDGEQ_ABI_ASSERT(offsetof(TfLiteTensor, params) == 24, "TfLiteTensor.params");
EDGEQ_ABI_ASSERT(offsetof(TfLiteTensor, bytes) == 40, "TfLiteTensor.bytes");
EDGEQ_ABI_ASSERT(offsetof(TfLiteTensor, name) == 56, "TfLiteTensor.name");
EDGEQ_ABI_ASSERT(offsetof(TfLiteTensor, quantization) == 80, "TfLiteTensor.quantization");
EDGEQ_ABI_ASSERT(offsetof(TfLiteNode, builtin_data) == 40, "TfLiteNode.builtin_data");
EDGEQ_ABI_ASSERT(sizeof(TfLiteRegistration) == 88, "TfLiteRegistration must be 88 bytes");
EDGEQ_ABI_ASSERT(offsetof(TfLiteRegistration, builtin_code) == 40, "TfLiteRegistration.builtin_code");
EDGEQ_ABI_ASSERT(offsetof(TfLiteRegistration, inplace_operator) == 80, "TfLiteRegistration.inplace_operator");
EDGEQ_ABI_ASSERT(offsetof(TfLiteContext, GetExecutionPlan) == 8, "TfLiteContext.GetExecutionPlan");
EDGEQ_ABI_ASSERT(offsetof(TfLiteContext, tensors) == 16, "TfLiteContext.tensors");
EDGEQ_ABI_ASSERT(offsetof(TfLiteContext, GetNodeAndRegistration) == 56, "TfLiteContext.GetNodeAndRegistration");
EDGEQ_ABI_ASSERT(offsetof(TfLiteContext, ReplaceNodeSubsetsWithDelegateKernels) == 64,
                 "TfLiteContext.ReplaceNodeSubsetsWithDelegateKernels");
EDGEQ_ABI_ASSERT(sizeof(TfLiteDelegate) == 56, "TfLiteDelegate must be 56 bytes");
EDGEQ_ABI_ASSERT(offsetof(TfLiteDelegate, flags) == 40, "TfLiteDelegate.flags");
EDGEQ_ABI_ASSERT(sizeof(TfLiteAffineQuantization) == 24, "TfLiteAffineQuantization");
EDGEQ_ABI_ASSERT(sizeof(TfLitePoolParams) == 40, "TfLitePoolParams");
EDGEQ_ABI_ASSERT(sizeof(TfLiteReshapeParams) == 36, "TfLiteReshapeParams");
#undef EDGEQ_ABI_ASSERT
#endif

#ifdef __cplusplus
}
#endif
#endif /* EDGEQ_TFLITE_C_ABI_H */
