"""Zoo .tflite files in: fp16/int8/sparse weights folded exactly, mediapipe's transposed conv decomposed
exactly, custom ops and TensorFlow failures named in one line."""
from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np
import pytest

import edgeq
from edgeq.datasets import Samples
from edgeq.errors import EdgeqError
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import op_name, read_model, schema, tensor_name, write_model
from edgeq.zoo_tflite import custom_ops, densify, prepare

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "suite"))
from _suite_fetch import fetched  # noqa: E402


def _mp(stem: str) -> bytes:
    from edgeq.suite.registry import mediapipe_file

    return fetched(mediapipe_file, stem).read_bytes()


def _vec(values, kind="Int32VectorT"):
    v = getattr(schema(), kind)()
    v.values = np.asarray(values)
    return v


def _dim(fmt, dense_size=0, segments=None, indices=None):
    s = schema()
    d = s.DimensionMetadataT()
    d.format = fmt
    d.denseSize = dense_size
    if segments is not None:
        d.arraySegmentsType, d.arraySegments = s.SparseIndexVector.Int32Vector, _vec(segments)
        d.arrayIndicesType, d.arrayIndices = s.SparseIndexVector.Uint8Vector, _vec(indices, "Uint8VectorT")
    return d


def test_densify_csr_matrix():
    s = schema()
    dense = np.array([[0, 5, 0, 0], [0, 0, 0, 0], [7, 0, 0, 9]], np.float16)
    sp = s.SparsityParametersT()
    sp.traversalOrder = np.array([0, 1])
    sp.dimMetadata = [_dim(s.DimensionType.DENSE, 3),
                      _dim(s.DimensionType.SPARSE_CSR, segments=[0, 1, 1, 3], indices=[1, 0, 3])]
    got = densify(np.array([5, 7, 9], np.float16), dense.shape, sp)
    assert got.dtype == np.float16 and np.array_equal(got, dense)


def test_densify_block_sparse_with_column_major_traversal():
    s = schema()
    # 4x4 in 2x2 blocks; present blocks (0,1) and (1,0); block rows traversed first, then block columns
    dense = np.zeros((4, 4), np.float32)
    dense[0:2, 2:4] = [[1, 2], [3, 4]]
    dense[2:4, 0:2] = [[5, 6], [7, 8]]
    sp = s.SparsityParametersT()
    sp.traversalOrder = np.array([0, 1, 2, 3])
    sp.blockMap = np.array([0, 1])
    sp.dimMetadata = [_dim(s.DimensionType.DENSE, 2),
                      _dim(s.DimensionType.SPARSE_CSR, segments=[0, 1, 2], indices=[1, 0]),
                      _dim(s.DimensionType.DENSE, 2), _dim(s.DimensionType.DENSE, 2)]
    got = densify(np.arange(1, 9, dtype=np.float32), (4, 4), sp)
    assert np.array_equal(got, dense)


@pytest.mark.parametrize("stem", ["face_detection_short_range", "pose_detection"])
def test_folding_fp16_and_sparse_weights_is_bit_exact(stem):
    raw = _mp(stem)
    prepared, done = prepare(raw)
    m = read_model(prepared)
    ops = {op_name(m, o) for o in m.subgraphs[0].operators}
    assert "DEQUANTIZE" not in ops and "DENSIFY" not in ops
    assert done["folded"]["dequantize"] > 0 and (stem != "pose_detection" or done["folded"]["densify"] > 0)
    a, b = Interpreter(raw, resolver="builtin"), Interpreter(prepared, resolver="builtin")
    from edgeq.suite import data

    shape = a.inputs[0].shape
    x = data.photo_crops(2, shape[1], shape[2], (-1, 1), 3)
    for i in range(2):
        for ya, yb in zip(a.run_float([x[i:i + 1]]), b.run_float([x[i:i + 1]])):
            assert np.array_equal(ya, yb)


def test_int8_weight_only_dequantize_folds_per_channel(tmp_path):
    """A conv whose weights are int8 per output channel behind DEQUANTIZE folds to the values LiteRT computes."""
    raw, _ = prepare(_mp("hand_recrop"))  # plain float32 weights
    m = read_model(raw)
    sg = m.subgraphs[0]
    s = schema()
    conv = next(o for o in sg.operators if op_name(m, o) == "CONV_2D")
    w = sg.tensors[int(conv.inputs[1])]
    wf = np.frombuffer(bytes(np.asarray(m.buffers[w.buffer].data, np.uint8)), np.float32).reshape(w.shape)
    scale = np.abs(wf).reshape(len(wf), -1).max(1) / 127.0
    q = np.clip(np.round(wf / scale[:, None, None, None]), -127, 127).astype(np.int8)
    qt = s.TensorT()
    qt.name, qt.type, qt.shape = b"w_int8", s.TensorType.INT8, np.array(w.shape, np.int32)
    buf = s.BufferT()
    buf.data = np.frombuffer(q.tobytes(), np.uint8)
    m.buffers.append(buf)
    qt.buffer = len(m.buffers) - 1
    qt.quantization = s.QuantizationParametersT()
    qt.quantization.scale, qt.quantization.zeroPoint = scale.astype(np.float32), np.zeros(len(scale), np.int64)
    qt.quantization.quantizedDimension = 0
    sg.tensors.append(qt)
    w.buffer = 0  # the conv's weight is now DEQUANTIZE's output
    deq = s.OperatorT()
    oc = s.OperatorCodeT()
    oc.builtinCode = oc.deprecatedBuiltinCode = s.BuiltinOperator.DEQUANTIZE
    oc.version = 2
    m.operatorCodes.append(oc)
    deq.opcodeIndex = len(m.operatorCodes) - 1
    deq.inputs, deq.outputs = np.array([len(sg.tensors) - 1], np.int32), np.array([int(conv.inputs[1])], np.int32)
    sg.operators.insert(0, deq)
    with_deq = write_model(m)
    prepared, done = prepare(with_deq)
    assert done == {"folded": {"dequantize": 1}}
    x = np.random.default_rng(0).uniform(0, 1, (1, 256, 256, 3)).astype(np.float32)
    ya = Interpreter(with_deq, resolver="reference").run_float([x])[0]
    yb = Interpreter(prepared, resolver="reference").run_float([x])[0]
    assert np.array_equal(ya, yb)


def _mediapipe_transpose_conv(x, w, b, padding, stride_w, stride_h):
    """mediapipe's Convolution2DTransposeBias in numpy: output = bias, then every input pixel
    scatters input x weights (OHWI) to its stride-spaced window, less the SAME pad offset."""
    n, ih, iw, _ = x.shape
    oc, fh, fw, _ = w.shape
    pad_h = max(0, fh - (ih - 1) % stride_h - 1) if padding == 1 else 0
    pad_w = max(0, fw - (iw - 1) % stride_w - 1) if padding == 1 else 0
    oh, ow = stride_h * (ih - 1) + fh - pad_h, stride_w * (iw - 1) + fw - pad_w
    out = np.broadcast_to(b.astype(np.float64), (n, oh, ow, oc)).copy()
    full = np.zeros((n, stride_h * (ih - 1) + fh, stride_w * (iw - 1) + fw, oc))
    for fy in range(fh):
        for fx in range(fw):
            contrib = np.einsum("nhwi,oi->nhwo", x.astype(np.float64), w[:, fy, fx, :].astype(np.float64))
            full[:, fy:fy + stride_h * ih:stride_h, fx:fx + stride_w * iw:stride_w] += contrib
    out += full[:, pad_h // 2:pad_h // 2 + oh, pad_w // 2:pad_w // 2 + ow]
    return out


def test_mediapipe_transpose_conv_bias_becomes_an_exact_transpose_conv():
    raw = _mp("selfie_segmentation")
    m0 = read_model(raw)
    sg0 = m0.subgraphs[0]
    custom = next(o for o in sg0.operators if op_name(m0, o) == "CUSTOM:Convolution2DTransposeBias")
    padding, sw, sh = struct.unpack("<3i", bytes(np.asarray(custom.customOptions, np.uint8))[:12])
    out_name = tensor_name(sg0.tensors[int(custom.outputs[0])])
    prepared, done = prepare(raw)
    assert done["decomposed"] == {"Convolution2DTransposeBias": 1} and not custom_ops(prepared)
    m = read_model(prepared)
    sg = m.subgraphs[0]
    k, op = next((k, o) for k, o in enumerate(sg.operators) if op_name(m, o) == "TRANSPOSE_CONV")
    assert tensor_name(sg.tensors[int(op.outputs[0])]) == out_name
    it = Interpreter(prepared, resolver="builtin", preserve_all_tensors=True)
    from edgeq.suite import data

    it.run_float([data.photo_crops(1, 256, 256, (0, 1), 0)])

    def const(i):
        t = sg.tensors[int(i)]
        return np.frombuffer(bytes(np.asarray(m.buffers[t.buffer].data, np.uint8)), np.float32).reshape(t.shape)

    x = it.tensor(int(op.inputs[2]))
    want = _mediapipe_transpose_conv(x, const(op.inputs[1]), const(op.inputs[3]), padding, sw, sh)
    got = it.tensor(int(op.outputs[0]))
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= 1e-4 * max(1.0, np.abs(want).max())


def test_custom_op_without_kernel_is_one_line_naming_it_and_where(tmp_path):
    """A custom op nobody here runs (the face mesh's TransformLandmarks renamed): the calibrator's
    failure names that op, its position and count, not the ones edgeq's delegate runs."""
    from edgeq.suite.registry import mediapipe_file
    from edgeq.suite import data
    from edgeq.tflite_schema import read_model, write_model

    path = fetched(mediapipe_file, "face_landmark_with_attention")
    m = read_model(path.read_bytes())
    for oc in m.operatorCodes:
        if oc.customCode == b"TransformLandmarks":
            oc.customCode = b"TransformLandmarksV9"
    x = data.photo_crops(2, 192, 192, (0, 1), 0)
    renamed = tmp_path / "renamed.tflite"
    renamed.write_bytes(write_model(m))
    with pytest.raises(EdgeqError) as e:
        edgeq.convert(str(renamed), Samples([x]))
    msg = str(e.value)
    assert "\n" not in msg
    assert "custom op TransformLandmarksV9 (op #" in msg and "TransformLandmarksV9 x4" in msg
    assert "Landmarks2TransformMatrix" not in msg
    assert "data" not in msg  # the data is fine: never blamed


def test_quantizer_failure_names_op_and_tensor_in_tensorflows_words():
    """The shipped fp16 model given straight to TensorFlow's quantizer (what edgeq did before folding)."""
    from edgeq.quantize import tf_bridge
    from edgeq.suite import data

    raw = _mp("face_landmark")
    x = data.photo_crops(2, 192, 192, (0, 1), 0)
    cal = tf_bridge.calibrate(raw, [[x[i:i + 1]] for i in range(2)])
    with pytest.raises(EdgeqError) as e:
        tf_bridge.mlir_quantize(cal)
    msg = str(e.value)
    assert "\n" not in msg
    assert "SUB" in msg and "'conv2d_21/Bias'" in msg and "scale out of expressed type range" in msg


def test_explain_blames_data_only_when_tensorflow_talks_about_inputs():
    from edgeq.quantize.tf_errors import explain

    about_data = explain("calibrator", None, RuntimeError("Cannot set tensor: Dimension mismatch. Got 3 but expected 4"))
    assert "check that the data matches" in about_data
    not_data = explain("calibrator", None, RuntimeError("Failed to allocate tensors"))
    assert "data" not in not_data
    versioned = explain("calibrator", None, RuntimeError(
        "Failed to parse the model: Didn't find op for builtin opcode 'DEQUANTIZE' version '2'"))
    assert "DEQUANTIZE" in versioned and "version 2" in versioned and "data" not in versioned


def test_report_says_what_was_done_to_the_model_as_shipped(tmp_path):
    """Folding fp16 weights and decomposing mediapipe's ops was in no line of edgeq convert's output."""
    import tensorflow as tf
    from edgeq.report import format_conversion

    w = tf.constant(np.random.default_rng(0).normal(size=(3, 3, 3, 4)).astype(np.float32))

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec((1, 8, 8, 3), tf.float32)])
        def f(self, x):
            return tf.nn.relu(tf.nn.conv2d(x, w, 1, "SAME"))
    mod = M()
    conv = tf.lite.TFLiteConverter.from_concrete_functions([mod.f.get_concrete_function()], mod)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.target_spec.supported_types = [tf.float16]
    (tmp_path / "fp16.tflite").write_bytes(conv.convert())
    np.save(tmp_path / "x.npy", np.random.default_rng(1).normal(size=(16, 8, 8, 3)).astype(np.float32))
    res = edgeq.convert(str(tmp_path / "fp16.tflite"), str(tmp_path / "x.npy"), calibration="minmax")
    n = res.report["source"]["prepared"]["folded"]["dequantize"]  # the conv's weights (and bias, TF 2.2x)
    assert n >= 1 and set(res.report["source"]["prepared"]) == {"folded"}
    text = format_conversion(res.report)
    assert f"model as shipped: {n} weight tensors behind DEQUANTIZE (fp16 or int8) folded into float32" in text, text
