"""The models both delegates are tested on: one table of single-op cases, int4-weight cases and
whole models, shared by the CPU and GPU delegate tests (and exportable for a device check).

Each case names the ops a delegate must claim; a delegate is held to the ones it supports
(``expected_claims``) and runs every case that has one. Run as a script to write the GPU
delegate's cases as .tflite files for a machine without TensorFlow::

    python tests/delegates/delegate_cases.py OUT_DIR [--delegate gpu]

then check them there with ``benchmarks/gpu_check_bitexact.py OUT_DIR``.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

import _opmodels as om

#: what each delegate can run (its op registry)
SUPPORTED = {
    "cpu": frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "AVERAGE_POOL_2D",
                      "MAX_POOL_2D", "MEAN", "SOFTMAX", "LOGISTIC", "HARD_SWISH", "RESHAPE", "CONCATENATION",
                      "PAD", "QUANTIZE", "DEQUANTIZE", "PRELU", "SUB", "TRANSPOSE", "BATCH_MATMUL", "GELU", "RSQRT",
                      "SQUARED_DIFFERENCE", "SLICE", "RESIZE_BILINEAR"}),
    "gpu": frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL", "AVERAGE_POOL_2D",
                      "MAX_POOL_2D", "MEAN", "SOFTMAX", "LOGISTIC", "HARD_SWISH", "RESHAPE", "CONCATENATION",
                      "PAD", "TRANSPOSE", "GELU", "RSQRT", "SUB", "SQUARED_DIFFERENCE",
                      "BATCH_MATMUL"}),
}
WEIGHTED_OPS = frozenset({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"})


@dataclass(frozen=True)
class Case:
    build: Callable[[], tuple]  # -> (tf function, input shapes), from _opmodels
    ops: frozenset[str]         # ops of the model a delegate that supports them must claim
    convert: dict = field(default_factory=dict)  # _opmodels.convert keyword arguments
    int4: bool = False          # weights rewritten to INT4 after conversion
    only: str | None = None     # a case for one delegate's support (the other leaves the op to the runtime)


def _case(build, ops, **convert) -> Case:
    return Case(build, frozenset(ops), convert)


def _only(delegate, build, ops, **convert) -> Case:
    return Case(build, frozenset(ops), convert, only=delegate)


def _int4(build, ops, **convert) -> Case:
    return Case(build, frozenset(ops), convert, int4=True)


OP_CASES: dict[str, Case] = {
    "conv_same_relu": _case(lambda: om.conv2d(h=9, w=9, cin=5, cout=7, act="relu"), {"CONV_2D"}),
    "conv_valid_s2_b2": _case(lambda: om.conv2d(n=2, h=10, w=11, cin=3, cout=8, stride=2, padding="VALID"),
                              {"CONV_2D"}),
    "conv_dilation2_relu6": _case(lambda: om.conv2d(h=11, w=10, cin=4, cout=6, dilation=2, act="relu6"),
                                  {"CONV_2D"}),
    "conv_5x5_s2_same_odd": _case(lambda: om.conv2d(h=13, w=7, cin=3, cout=5, k=(5, 5), stride=2), {"CONV_2D"}),
    "conv_1x1_c16_b2": _case(lambda: om.conv2d(n=2, h=6, w=5, cin=16, cout=24, k=(1, 1)), {"CONV_2D"}),
    "conv_c16_b2_pad_s2_vec": _case(lambda: om.conv2d(n=2, h=9, w=8, cin=16, cout=12, stride=2, act="relu"),
                                    {"CONV_2D"}),
    "conv_c8_same_s2_vec": _case(lambda: om.conv2d(h=9, w=9, cin=8, cout=5, stride=2, act="relu6"), {"CONV_2D"}),
    "conv_relu_n1_to_1": _case(lambda: om.conv2d(h=6, w=6, cin=3, cout=4, act="relu_n1_to_1"), {"CONV_2D"}),
    # >= 96 output tiles of 64x64: the tiled implicit GEMM (gemm_tiled_qs8); odd depth, edge tiles
    "conv_tiled_3x3_b2_odd_c": _case(lambda: om.conv2d(n=2, h=32, w=40, cin=5, cout=150, act="relu", seed=8),
                                     {"CONV_2D"}),
    "conv_tiled_1x1_dense": _case(lambda: om.conv2d(h=48, w=50, cin=24, cout=300, k=(1, 1), seed=9), {"CONV_2D"}),
    "conv_tiled_s2_c8": _case(lambda: om.conv2d(h=80, w=81, cin=8, cout=260, stride=2, act="relu6", seed=10),
                                  {"CONV_2D"}),
    "conv_tiled_dil2_valid": _case(lambda: om.conv2d(h=52, w=50, cin=12, cout=200, dilation=2, padding="VALID",
                                                     seed=11), {"CONV_2D"}, per_tensor=True),
    # narrow inputs: im2col's inline small copies (1- and 2-byte taps, 3- to 10-byte filter rows)
    "conv_c1_same": _case(lambda: om.conv2d(h=8, w=8, cin=1, cout=16, act="relu", seed=12), {"CONV_2D"}),
    "conv_c2_5x5_same": _case(lambda: om.conv2d(h=7, w=9, cin=2, cout=6, k=(5, 5), seed=13), {"CONV_2D"}),
    # grouped: one input channel per group (ConvNeXt's depthwise form) and wider groups (tiled GEMM)
    "conv_grouped_dw_7x7": _only("gpu", lambda: om.conv2d(h=10, w=9, cin=6, cout=6, k=(7, 7), groups=6, seed=12),
                                 {"CONV_2D"}),
    "conv_grouped_dw_mult2_s2": _only("gpu", lambda: om.conv2d(h=9, w=8, cin=4, cout=8, groups=4, stride=2,
                                                               act="relu", seed=13), {"CONV_2D"}),
    "conv_grouped_g2_odd": _only("gpu", lambda: om.conv2d(n=2, h=7, w=9, cin=6, cout=10, groups=2, seed=14),
                                 {"CONV_2D"}),
    "conv_per_tensor": _case(lambda: om.conv2d(h=8, w=8, cin=6, cout=5, seed=3), {"CONV_2D"}, per_tensor=True),
    "dw_same_relu": _case(lambda: om.depthwise(h=9, w=9, c=5, act="relu"), {"DEPTHWISE_CONV_2D"}),
    "dw_mult2_valid_s2_b2": _case(lambda: om.depthwise(n=2, h=10, w=9, c=3, mult=2, stride=2, padding="VALID"),
                                  {"DEPTHWISE_CONV_2D"}),
    "dw_dilation2_relu6": _case(lambda: om.depthwise(h=12, w=12, c=7, dilation=2, act="relu6"),
                                {"DEPTHWISE_CONV_2D"}),
    "dw_per_tensor": _case(lambda: om.depthwise(h=8, w=7, c=6, seed=9), {"DEPTHWISE_CONV_2D"}, per_tensor=True),
    "fc_b1_odd": _case(lambda: om.dense(batch=1, cin=33, cout=17), {"FULLY_CONNECTED"}),
    # rows, columns and depth not multiples of the GPU's 64x64x16 GEMM tile: its edge staging
    "fc_gemm_b70_edges": _case(lambda: om.dense(batch=70, cin=100, cout=67, act="relu", seed=6), {"FULLY_CONNECTED"}),
    "fc_gemm_b64_exact_tiles": _case(lambda: om.dense(batch=64, cin=64, cout=128, seed=7), {"FULLY_CONNECTED"}),
    # few output tiles over a long depth: the GPU's tiled GEMM splits the depth (gemm_splitk_requant_qs8 adds
    # the slices); odd depth (scalar staging, a short last slice)
    "fc_gemm_split_depth": _only("gpu", lambda: om.dense(batch=40, cin=1003, cout=70, act="relu", seed=15),
                                 {"FULLY_CONNECTED"}),
    "conv_split_depth_7x6": _only("gpu", lambda: om.conv2d(h=7, w=6, cin=40, cout=72, act="relu6", seed=16),
                                  {"CONV_2D"}),
    "fc_b5_relu": _case(lambda: om.dense(batch=5, cin=20, cout=9, act="relu"), {"FULLY_CONNECTED"}),
    "fc_k200_b2_tail": _case(lambda: om.dense(batch=2, cin=200, cout=19, act="relu", seed=5), {"FULLY_CONNECTED"}),
    "fc_per_tensor_wide": _case(lambda: om.dense(batch=1, cin=256, cout=200, seed=4), {"FULLY_CONNECTED"},
                                per_tensor=True),
    "add_relu": _case(lambda: om.binary("add", act="relu"), {"ADD"}),
    "add_broadcast": _case(lambda: om.binary("add", a=(2, 4, 5, 6), b=(1, 1, 1, 6)), {"ADD"}),
    "mul": _case(lambda: om.binary("mul", a=(1, 3, 4, 5), b=(1, 3, 4, 5)), {"MUL"}),
    "mul_broadcast": _case(lambda: om.binary("mul", a=(1, 4, 4, 6), b=(1, 1, 1, 6)), {"MUL"}),
    "mul_broadcast_inner": _case(lambda: om.binary("mul", a=(1, 4, 4, 6), b=(1, 4, 4, 1)), {"MUL"}),
    # LOGISTIC -> MUL of its own input: one 256-entry table inside the CPU partition
    "swish": _case(lambda: om.swish(), {"CONV_2D", "LOGISTIC", "MUL"}),
    "swish_large_b2": _case(lambda: om.swish(n=2, h=40, w=33, c=8), {"CONV_2D", "LOGISTIC", "MUL"}),
    # a table op whose input only it reads, produced by a conv / depthwise / FC: the GPU applies the table as
    # the producer stores (conv2d / depthwise / split-depth GEMM requant / long-row FC kernels)
    "conv_hard_swish_epilogue": _only("gpu", lambda: om.table_after("conv", "hard_swish"), {"CONV_2D", "HARD_SWISH"}),
    "dw_logistic_epilogue": _only("gpu", lambda: om.table_after("depthwise", "logistic"),
                                  {"DEPTHWISE_CONV_2D", "LOGISTIC"}),
    "fc_gelu_epilogue_b70": _only("gpu", lambda: om.table_after("fc", "gelu", batch=70), {"FULLY_CONNECTED", "GELU"}),
    "fc_gelu_epilogue_b1": _only("gpu", lambda: om.table_after("fc", "gelu", batch=1), {"FULLY_CONNECTED", "GELU"}),
    # k % 16 == 0, few rows, >= 128 outputs: the GEMV (fc_gemv_qs8): 8 outputs per work group, the last part empty
    "fc_gemv_b3_n_tail": _only("gpu", lambda: om.dense(batch=3, cin=384, cout=133, act="relu", seed=21),
                               {"FULLY_CONNECTED"}),
    # the same with 10 outputs (an MLP's class layer): the work-group-per-output kernel
    "fc_k256_n10_wg": _only("gpu", lambda: om.dense(batch=1, cin=256, cout=10, seed=23), {"FULLY_CONNECTED"}),
    # elementwise chains run inside another node's kernel: a lookup table, a conv's epilogue (unary or binary)
    "chain_unary": _only("gpu", lambda: om.elementwise_chain("unary"), {"MUL", "ADD", "CONV_2D", "LOGISTIC"}),
    "chain_residual": _only("gpu", lambda: om.elementwise_chain("residual"), {"CONV_2D", "ADD", "HARD_SWISH"}),
    "chain_sub": _only("gpu", lambda: om.elementwise_chain("sub"), {"CONV_2D", "SUB"}),
    "chain_mul": _only("gpu", lambda: om.elementwise_chain("mul"), {"CONV_2D", "MUL"}),
    "chain_fc_residual": _only("gpu", lambda: om.elementwise_chain("fc_residual"), {"FULLY_CONNECTED", "ADD"}),
    "chain_bcast": _only("gpu", lambda: om.elementwise_chain("bcast"), {"MEAN", "ADD", "RSQRT", "MUL", "SUB"}),
    # a 1x1 conv over few pixels and a long depth: a work group per output (fully_connected_wg_qs8, double rounding)
    "conv_1x1_long_depth_b2": _only("gpu", lambda: om.conv2d(n=2, h=7, w=7, cin=1032, cout=80, k=(1, 1), act="relu6",
                                                             seed=3), {"CONV_2D"}),
    # attention over 2 x 3 heads: the BATCH_MATMULs read the per-head TRANSPOSEs' inputs through the permutation
    "attention_b2_h3": _only("gpu", lambda: om.attention(n=2, seq=5, heads=3, dim=4, seed=4),
                             {"FULLY_CONNECTED", "RESHAPE", "TRANSPOSE", "BATCH_MATMUL", "MUL", "SOFTMAX"}),
    # LayerNorm over the last axis: the MEAN and the ops after it over each row, one launch (row program)
    "row_norm_keras": _only("gpu", lambda: om.row_norm("keras"), {"MUL", "MEAN", "SQUARED_DIFFERENCE", "ADD", "RSQRT",
                                                                  "LOGISTIC"}),
    "row_norm_wide": _only("gpu", lambda: om.row_norm("wide", shape=(2, 3, 300)),
                           {"MEAN", "SQUARED_DIFFERENCE", "ADD", "RSQRT", "MUL", "SUB"}),
    "row_norm_two_outputs": _only("gpu", lambda: om.row_norm("two_outputs", shape=(1, 6, 40)),
                                  {"MEAN", "SQUARED_DIFFERENCE", "ADD", "RSQRT", "MUL", "SUB", "LOGISTIC"}),
    # squeeze-excite with 1x1 convs: the gate MUL recomputes the excite conv per element (one launch for both)
    "se_conv_sigmoid_b2": _only("gpu", lambda: om.squeeze_excite_conv("sigmoid", n=2),
                                {"CONV_2D", "MEAN", "LOGISTIC", "MUL"}),
    "se_conv_hard_sigmoid": _only("gpu", lambda: om.squeeze_excite_conv("hard_sigmoid"), {"CONV_2D", "MEAN", "MUL"}),
    "swish_shared_sigmoid": _case(lambda: om.swish(shared=True), {"CONV_2D", "LOGISTIC", "MUL", "ADD"}),
    # Keras PReLU: alpha per channel (mediapipe's face / iris / hand nets), per element, one shared
    "prelu_channel": _case(lambda: om.prelu((1, 5, 7, 6), shared_axes=(1, 2)), {"PRELU"}),
    "prelu_elementwise_b2": _case(lambda: om.prelu((2, 4, 3, 5), shared_axes=None), {"PRELU"}),
    "prelu_shared": _case(lambda: om.prelu((1, 9, 6, 4), shared_axes=(1, 2, 3)), {"PRELU"}),
    # vector kernel: 16-wide steps and tails per channel run, alpha per (w, c) row, a short run tiled
    "prelu_channel_c40": _case(lambda: om.prelu((1, 6, 5, 40), shared_axes=(1, 2), seed=1), {"PRELU"}),
    "prelu_row_w": _case(lambda: om.prelu((1, 4, 7, 19), shared_axes=(1,), seed=2), {"PRELU"}),
    "prelu_channel_c3": _case(lambda: om.prelu((1, 12, 11, 3), shared_axes=(1, 2), seed=3), {"PRELU"}),
    "resize_bilinear_hpc_2x": _case(lambda: om.resize_bilinear((1, 6, 5, 8), (12, 10)), {"RESIZE_BILINEAR"}),
    "resize_bilinear_hpc_odd_b2": _case(lambda: om.resize_bilinear((2, 4, 3, 19), (7, 8)), {"RESIZE_BILINEAR"}),
    "resize_bilinear_align": _case(lambda: om.resize_bilinear((1, 5, 7, 3), (9, 13), False, True), {"RESIZE_BILINEAR"}),
    "resize_bilinear_down": _case(lambda: om.resize_bilinear((1, 9, 8, 20), (5, 6), False, False), {"RESIZE_BILINEAR"}),
    "sub": _case(lambda: om.binary("sub", a=(1, 6, 5, 7), b=(1, 6, 5, 7)), {"SUB"}),
    "sub_large": _case(lambda: om.binary("sub", a=(1, 24, 24, 17), b=(1, 24, 24, 17)), {"SUB"}),
    "sub_broadcast_relu": _case(lambda: om.binary("sub", a=(2, 4, 4, 6), b=(1, 1, 1, 6), act="relu"), {"SUB"}),
    # a one-element constant operand: the op becomes a 256-entry table (CPU); lengths with tails
    "add_const_scalar": _case(lambda: om.const_binary("add", (1, 13, 11, 7), 3.0), {"ADD"}),
    "sub_const_first_relu": _case(lambda: om.const_binary("sub", (2, 9, 7, 5), 2.5, True, "relu"), {"SUB"}),
    "mul_const_scalar_large": _case(lambda: om.const_binary("mul", (1, 24, 24, 17), -1.7, act="relu6"), {"MUL"}),
    "mul_const_2d": _case(lambda: om.const_binary("mul", (3, 37), 0.3), {"MUL"}),
    # a few channels against a per-channel row (keras Normalization): the row tiled, blocks with tails
    "mul_channel3_rows": _case(lambda: om.binary("mul", a=(1, 20, 17, 3), b=(1, 1, 1, 3)), {"MUL"}),
    "sub_channel5_rows_b2": _case(lambda: om.binary("sub", a=(2, 11, 13, 5), b=(1, 1, 1, 5), act="relu"), {"SUB"}),
    "add_rows_first_b2": _case(lambda: om.binary("add", a=(2, 1, 1, 7), b=(2, 9, 8, 7)), {"ADD"}),
    "mul_scalar": _case(lambda: om.binary("mul", a=(1, 5, 7, 9), b=(1, 1, 1, 1)), {"MUL"}),
    "mul_broadcast_mixed": _case(lambda: om.binary("mul", a=(2, 5, 1, 9), b=(1, 5, 7, 9)), {"MUL"}),
    # > 8192 elements (split across threads), 16-lane bodies plus a tail, fused relu6
    "mul_large_relu6": _case(lambda: om.binary("mul", a=(1, 24, 24, 17), b=(1, 24, 24, 17), act="relu6"), {"MUL"}),
    # >= 16384 outputs: on x86 every output is looked up in a 64K-entry table of both input bytes
    # (x8-lut2d gathers), same-shape and broadcast (squeeze-excite gate, a row subtracted), with tails;
    # not where the op's AVX-512 kernel outruns the gathers (AMD; test_pair_table_and_vector_kernel_paths_bit_exact)
    "add_pair_table_relu": _only("cpu", lambda: om.binary("add", a=(1, 32, 32, 17), b=(1, 32, 32, 17), act="relu"),
                                 {"ADD"}),
    "mul_se_gate_pair_table": _only("cpu", lambda: om.binary("mul", a=(1, 24, 24, 41), b=(1, 1, 1, 41)), {"MUL"}),
    "sub_row_pair_table_b2": _only("cpu", lambda: om.binary("sub", a=(2, 16, 16, 37), b=(1, 1, 1, 37)), {"SUB"}),
    "avgpool_same_s2": _case(lambda: om.pool("avg", h=9, w=8, c=5, k=3, stride=2), {"AVERAGE_POOL_2D"}),
    "avgpool_valid_b2": _case(lambda: om.pool("avg", n=2, h=7, w=7, c=3, k=2, stride=1, padding="VALID"),
                              {"AVERAGE_POOL_2D"}),
    "maxpool_same_s2": _case(lambda: om.pool("max", h=9, w=9, c=4, k=3, stride=2), {"MAX_POOL_2D"}),
    # more channels than the CPU kernel's 256-channel block
    "maxpool_c300_same_s2": _case(lambda: om.pool("max", h=5, w=5, c=300, k=3, stride=2), {"MAX_POOL_2D"}),
    "avgpool_c300_same_s2": _case(lambda: om.pool("avg", h=5, w=4, c=300, k=3, stride=2), {"AVERAGE_POOL_2D"}),
    "maxpool_valid": _case(lambda: om.pool("max", n=2, h=8, w=6, c=3, k=2, stride=2, padding="VALID"),
                           {"MAX_POOL_2D"}),
    "mean_hw_keepdims": _case(lambda: om.mean((2, 5, 6, 7), (1, 2), True), {"MEAN"}),
    "mean_last_axis": _case(lambda: om.mean((3, 4, 9), (-1,), False), {"MEAN"}),
    # reduced axes that are not one block take the general walk; a leading block reduces rows
    "mean_axes_1_3": _case(lambda: om.mean((2, 5, 6, 7), (1, 3), False), {"MEAN"}),
    "mean_axis0": _case(lambda: om.mean((4, 3, 5), (0,), True), {"MEAN"}),
    # more reduced elements than the GPU's 64-lane work group, not a multiple of it
    "mean_hw_large": _case(lambda: om.mean((1, 21, 19, 6), (1, 2), True), {"MEAN"}),
    "softmax": _case(lambda: om.unary("softmax", (3, 37)), {"SOFTMAX"}),
    "softmax_wide": _case(lambda: om.unary("softmax", (2, 1000)), {"SOFTMAX"}),  # rows past the GPU's 64 lanes
    "logistic": _case(lambda: om.unary("logistic", (8, 128)), {"LOGISTIC"}),
    "hard_swish": _case(lambda: om.unary("hard_swish", (8, 128)), {"HARD_SWISH"}, scale=2.0),
    "concat_reshape": _case(lambda: om.reshape_concat((2, 3, 4, 5)), {"CONCATENATION", "RESHAPE"}),
    "pad": _case(lambda: om.pad(), {"PAD"}),
    # channels unpadded: the CPU copies whole W*C rows (axes merged), with a batch of 2 / a padded batch
    "pad_hw_rows_b2": _only("cpu", lambda: om.pad((2, 7, 6, 5), ((0, 0), (1, 2), (3, 1), (0, 0))), {"PAD"}),
    "pad_batch_w_rows": _only("cpu", lambda: om.pad((1, 4, 5, 6), ((1, 0), (0, 0), (2, 2), (0, 0))), {"PAD"}),
    # PAD then MAX_POOL_2D: the CPU fuses them (taps past the input read the zero point); a 3-row top pad with
    # 2x2 stride-2 windows leaves whole windows in the padding; 70 channels: the AVX-512 kernel's masked tail
    "pad_maxpool_stem": _only("cpu", lambda: om.pad_pool(), {"PAD", "MAX_POOL_2D"}),
    "pad_maxpool_border_b2": _only("cpu", lambda: om.pad_pool((2, 7, 6, 70), ((0, 0), (3, 1), (0, 2), (0, 0)), k=2),
                                   {"PAD", "MAX_POOL_2D"}),
    "slice_channels": _case(lambda: om.slice_(), {"MUL", "SLICE"}),
    "slice_middle_to_end_b2": _case(lambda: om.slice_((2, 7, 6, 5), (1, 2, 1, 1), (1, -1, 4, 3)), {"MUL", "SLICE"}),
    "gelu": _case(lambda: om.gelu(), {"MUL", "GELU"}),
    "gelu_tanh": _case(lambda: om.gelu(approximate=True), {"MUL", "GELU"}),
    "rsqrt": _case(lambda: om.rsqrt(), {"MUL", "ADD", "RSQRT"}),
    "squared_difference_row": _case(lambda: om.squared_difference(), {"MUL", "SQUARED_DIFFERENCE"}),
    "squared_difference_same_b2": _case(lambda: om.squared_difference((2, 6, 5, 3), (2, 6, 5, 3)),
                                        {"MUL", "SQUARED_DIFFERENCE"}),
    "squared_difference_left_bcast": _case(lambda: om.squared_difference((1, 1, 9), (4, 3, 9)),
                                           {"MUL", "SQUARED_DIFFERENCE"}),
    # long runs against a repeated value on either side: table slices through the x8-lut kernel
    "squared_difference_row_wide": _case(lambda: om.squared_difference((2, 6, 300), (2, 6, 1)),
                                         {"MUL", "SQUARED_DIFFERENCE"}),
    "squared_difference_col_wide": _case(lambda: om.squared_difference((3, 4, 1), (3, 4, 200)),
                                         {"MUL", "SQUARED_DIFFERENCE"}),
    "transpose_heads": _case(lambda: om.transpose((2, 6, 3, 5), (0, 2, 1, 3)), {"MUL", "TRANSPOSE"}),
    "transpose_keys": _case(lambda: om.transpose((1, 7, 3, 4), (0, 2, 3, 1)), {"MUL", "TRANSPOSE"}),
    "transpose_3d_rotate": _case(lambda: om.transpose((4, 7, 9), (2, 0, 1)), {"MUL", "TRANSPOSE"}),
    # both zero points nonzero (the right one through extra reduction columns), broadcast batch
    "batch_matmul": _case(lambda: om.batch_matmul(b_offset=3.0), {"MUL", "ADD", "BATCH_MATMUL"}),
    "batch_matmul_adj_y_broadcast": _case(lambda: om.batch_matmul(a=(2, 3, 7, 5), b=(1, 3, 6, 5), adj_y=True),
                                          {"MUL", "BATCH_MATMUL"}),
    "batch_matmul_adj_x_rank3": _case(lambda: om.batch_matmul(a=(2, 9, 4), b=(2, 9, 11), adj_x=True),
                                      {"MUL", "BATCH_MATMUL"}),
    # right operand of zero point -128 (a softmax output): two columns of 64
    "batch_matmul_softmax_rhs": _case(lambda: om.batch_matmul(a=(1, 2, 6, 17), b=(1, 2, 17, 40), b_softmax=True),
                                      {"MUL", "SOFTMAX", "BATCH_MATMUL"}),
    "requantize_into_concat": _case(lambda: om.concat_requantize(), {"LOGISTIC", "QUANTIZE", "MUL", "CONCATENATION"},
                                    scale=(1.0, 4.0)),
    "float_io_quantize_dequantize": _case(lambda: om.conv2d(h=6, w=6, cin=3, cout=4, seed=5),
                                          {"QUANTIZE", "CONV_2D", "DEQUANTIZE"}, float_io=True),
}

INT4_CASES: dict[str, Case] = {
    "int4_conv_odd": _int4(lambda: om.conv2d(h=7, w=7, cin=3, cout=5, seed=6), {"CONV_2D"}, seed=1),
    "int4_conv_relu": _int4(lambda: om.conv2d(h=7, w=7, cin=5, cout=7, act="relu"), {"CONV_2D"}),
    "int4_conv_s2_c3": _int4(lambda: om.conv2d(h=6, w=5, cin=3, cout=3, k=(3, 3), stride=2), {"CONV_2D"}),
    "int4_dw_odd": _int4(lambda: om.depthwise(h=7, w=8, c=5, seed=7), {"DEPTHWISE_CONV_2D"}, seed=1),
    "int4_dw_relu6": _int4(lambda: om.depthwise(h=8, w=8, c=5, act="relu6"), {"DEPTHWISE_CONV_2D"}),
    "int4_fc_odd": _int4(lambda: om.dense(batch=3, cin=33, cout=17, seed=8), {"FULLY_CONNECTED"}, seed=1),
    "int4_fc_b3": _int4(lambda: om.dense(batch=3, cin=33, cout=17), {"FULLY_CONNECTED"}),
    "int4_fc_k130_tail": _int4(lambda: om.dense(batch=2, cin=130, cout=21, act="relu"), {"FULLY_CONNECTED"}),
    "int4_fc_k129_odd_rows": _int4(lambda: om.dense(batch=1, cin=129, cout=9), {"FULLY_CONNECTED"}),
    "int4_fc_gemv_k256": Case(lambda: om.dense(batch=2, cin=256, cout=130, act="relu", seed=22),
                              frozenset({"FULLY_CONNECTED"}), {}, int4=True, only="gpu"),
}

#: whole models every node of which the CPU delegate runs; the GPU runs the ops it has
WHOLE_MODELS: dict[str, Case] = {
    "mobilenet_block": _case(om.mobilenet_block, {"CONV_2D", "DEPTHWISE_CONV_2D", "HARD_SWISH", "MEAN", "LOGISTIC",
                                                  "MUL", "ADD", "FULLY_CONNECTED", "SOFTMAX"}, seed=2),
    "residual_net": _case(om.residual_net, {"CONV_2D", "CONCATENATION", "ADD", "MAX_POOL_2D", "PAD",
                                            "AVERAGE_POOL_2D"}, seed=2),
    "mlp": _case(om.mlp, {"FULLY_CONNECTED", "SOFTMAX"}, seed=2),
    "layer_norm": _case(om.layer_norm, {"FULLY_CONNECTED", "MEAN", "SQUARED_DIFFERENCE", "ADD", "RSQRT", "MUL", "SUB"},
                        seed=2),
    "attention": _case(om.attention, {"FULLY_CONNECTED", "RESHAPE", "TRANSPOSE", "BATCH_MATMUL", "MUL", "SOFTMAX"},
                       seed=2),
}

TABLES = {"op": OP_CASES, "int4": INT4_CASES, "whole": WHOLE_MODELS}


def expected_claims(case: Case, delegate: str) -> set[str]:
    """The ops of the case the delegate must claim."""
    if case.only and case.only != delegate:
        return set()
    return set(case.ops & SUPPORTED[delegate])


def names_for(table: dict[str, Case], delegate: str) -> list[str]:
    """The cases of a table that exercise the delegate (it supports one of their ops)."""
    return [name for name, case in table.items() if expected_claims(case, delegate)]


def build_model(case: Case) -> bytes:
    """Converts the case to a full-integer .tflite model (needs TensorFlow)."""
    fn, shapes = case.build()
    model = om.convert(fn, shapes, **case.convert)
    return om.to_int4(model) if case.int4 else model


def random_inputs(interp, rng: np.random.Generator) -> list[np.ndarray]:
    """Inputs for an edgeq.runtime.Interpreter: uniform int8 over the whole range, or N(0, 2) floats."""
    xs = []
    for s in interp.inputs:
        if np.issubdtype(s.dtype, np.integer):
            xs.append(rng.integers(-128, 128, s.shape).astype(s.dtype))
        else:
            xs.append((rng.standard_normal(s.shape) * 2).astype(s.dtype))
    return xs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write a delegate's test models as .tflite files (needs TensorFlow).")
    ap.add_argument("out", type=Path, help="folder to write NAME.tflite files into")
    ap.add_argument("--delegate", choices=sorted(SUPPORTED), default="gpu", help="whose cases (default: gpu)")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    n = 0
    for table in TABLES.values():
        for name in names_for(table, args.delegate):
            (args.out / f"{name}.tflite").write_bytes(build_model(table[name]))
            n += 1
    print(f"wrote {n} models to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
