"""INT4 packing byte for byte, and against how LiteRT itself reads packed nibbles."""
from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from edgeq import tflite_schema as ts
from edgeq.errors import EdgeqError
from edgeq.int4 import pack_int4, unpack_int4
from edgeq.int4.compat import check_op_model
from edgeq.runtime import Interpreter


def test_known_bytes():
    assert pack_int4(np.array([1, -1])) == bytes([0xF1])
    assert pack_int4(np.array([2, 1, 4, 3])) == bytes([0x12, 0x34])
    assert pack_int4(np.array([-8, 7])) == bytes([0x78])
    assert pack_int4(np.array([7, -8])) == bytes([0x87])
    assert pack_int4(np.array([0, 0])) == bytes([0x00])


def test_odd_count_uses_low_nibble_of_last_byte():
    assert pack_int4(np.array([5])) == bytes([0x05])
    assert pack_int4(np.array([-1, 2, -3])) == bytes([0x2F, 0x0D])
    assert unpack_int4(bytes([0x2F, 0x0D]), 3).tolist() == [-1, 2, -3]


def test_unpack_sign_extends():
    assert unpack_int4(bytes([0x12, 0x34]), 4).tolist() == [2, 1, 4, 3]
    assert unpack_int4(bytes([0x8F]), 2).tolist() == [-1, -8]
    assert unpack_int4(bytes([0x78]), 2).tolist() == [-8, 7]


@pytest.mark.parametrize("n", [0, 1, 2, 3, 7, 16, 33, 1001])
def test_round_trip(n):
    v = np.random.default_rng(n).integers(-8, 8, size=n)
    data = pack_int4(v)
    assert len(data) == (n + 1) // 2
    assert np.array_equal(unpack_int4(data, n), v)


def test_multidimensional_input_flattens_in_c_order():
    v = np.array([[1, 2, 3], [-4, -5, -6]])
    assert pack_int4(v) == pack_int4(v.reshape(-1))
    assert np.array_equal(unpack_int4(pack_int4(v), 6).reshape(2, 3), v)


def test_bad_input_raises():
    with pytest.raises(EdgeqError, match="\\[-8, 7\\]"):
        pack_int4(np.array([8]))
    with pytest.raises(EdgeqError, match="\\[-8, 7\\]"):
        pack_int4(np.array([-9, 0]))
    with pytest.raises(EdgeqError, match="integer"):
        pack_int4(np.array([0.5]))
    with pytest.raises(EdgeqError, match="at most"):
        unpack_int4(bytes([0x11]), 3)


def _int4_fc_model(w: np.ndarray) -> bytes:
    """A one-op int8 FULLY_CONNECTED model with int4 weights ``w`` [O, K], all scales 1, zero points 0."""
    s = ts.schema()
    m = s.ModelT()
    m.version = 3
    m.buffers = [s.BufferT(), s.BufferT()]
    m.buffers[1].data = np.frombuffer(pack_int4(w), np.uint8).copy()
    code = s.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = s.BuiltinOperator.FULLY_CONNECTED
    code.version = 1
    m.operatorCodes = [code]

    def tensor(name, shape, ttype, buf):
        t = s.TensorT()
        t.name, t.shape, t.type, t.buffer = name, np.array(shape, np.int32), ttype, buf
        q = s.QuantizationParametersT()
        q.scale, q.zeroPoint = [1.0], [0]
        t.quantization = q
        return t

    o, k = w.shape
    sg = s.SubGraphT()
    sg.tensors = [tensor("x", [1, k], s.TensorType.INT8, 0), tensor("w", [o, k], s.TensorType.INT4, 1),
                  tensor("y", [1, o], s.TensorType.INT8, 0)]
    op = s.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = 0, [0, 1, -1], [2]
    op.builtinOptionsType = s.BuiltinOptions.FullyConnectedOptions
    op.builtinOptions = s.FullyConnectedOptionsT()
    sg.operators, sg.inputs, sg.outputs = [op], [0], [2]
    m.subgraphs = [sg]
    return ts.write_model(m)


@pytest.mark.parametrize("resolver", ["reference", "builtin", "default"])
def test_litert_reads_our_nibbles(resolver):
    """One-hot inputs make LiteRT's FC output column k of the weights: it must see exactly what we packed."""
    w = np.array([[-8, 7, -1, 0, 3], [1, -2, 5, -7, -8], [7, 7, -8, 2, -3]])  # odd count (15) and extremes
    it = Interpreter(_int4_fc_model(w), resolver=resolver, runtime="ai-edge-litert")
    for k in range(w.shape[1]):
        x = np.zeros((1, w.shape[1]), np.int8)
        x[0, k] = 1
        assert it.run([x])[0][0].tolist() == w[:, k].tolist()


def test_hand_built_int4_fc_matches_reference_everywhere():
    w = np.random.default_rng(3).integers(-8, 8, size=(6, 9))
    checks = check_op_model(_int4_fc_model(w))
    assert checks and all(c.detail == "exact" for c in checks), checks
