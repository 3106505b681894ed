"""Tiny int8 TFLite models for testing the edgeq CPU delegate op by op.

Each model is a ``tf.function`` over constant weights, converted with a representative
dataset to full-integer int8 (int8 I/O unless ``float_io``). ``to_int4`` rewrites a
converted model's weights to the TFLite INT4 type (packed two per byte) with the
flatbuffer object API, requantizing weights and bias consistently.
"""
from __future__ import annotations

import os
from typing import Callable, Sequence

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _tf():
    import tensorflow as tf
    return tf


def convert(fn: Callable, input_shapes: Sequence[Sequence[int]], *, seed: int = 0,
            float_io: bool = False, scale: float | Sequence[float] = 1.0, per_tensor: bool = False) -> bytes:
    """Full-integer conversion of ``fn(*inputs)`` with a random representative dataset."""
    tf = _tf()
    specs = [tf.TensorSpec(shape=s, dtype=tf.float32) for s in input_shapes]
    concrete = tf.function(fn, input_signature=specs).get_concrete_function()
    rng = np.random.default_rng(seed)
    scales = list(scale) if isinstance(scale, (list, tuple)) else [scale] * len(input_shapes)

    def rep():  # a dynamic (None) batch is calibrated at batch 1
        for _ in range(8):
            yield [(rng.standard_normal([d or 1 for d in s]) * k).astype(np.float32)
                   for s, k in zip(input_shapes, scales)]

    conv = tf.lite.TFLiteConverter.from_concrete_functions([concrete])
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = rep
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if per_tensor:  # one weight scale per tensor instead of per output channel
        conv._experimental_disable_per_channel = True
    if not float_io:
        conv.inference_input_type = tf.int8
        conv.inference_output_type = tf.int8
    return conv.convert()


def rand_w(rng: np.random.Generator, *shape: int, scale: float = 0.5) -> np.ndarray:
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def _act(x, act: str):
    tf = _tf()
    if act == "relu":
        return tf.nn.relu(x)
    if act == "relu6":
        return tf.nn.relu6(x)
    if act == "relu_n1_to_1":
        return tf.clip_by_value(x, -1.0, 1.0)
    return x


# ---- single-op builders: each returns (fn, input_shapes) ----

def conv2d(n=1, h=9, w=9, cin=5, cout=7, k=(3, 3), stride=1, padding="SAME", dilation=1,
           act="none", seed=0, bias=True, groups=1):
    tf = _tf()
    rng = np.random.default_rng(seed)
    W = rand_w(rng, k[0], k[1], cin // groups, cout)
    B = rand_w(rng, cout)

    def fn(x):
        y = tf.nn.conv2d(x, W, strides=stride, padding=padding, dilations=dilation)
        if bias:
            y = tf.nn.bias_add(y, B)
        return _act(y, act)
    return fn, [(n, h, w, cin)]


def depthwise(n=1, h=9, w=9, c=5, mult=1, k=(3, 3), stride=1, padding="SAME", dilation=1,
              act="none", seed=0):
    tf = _tf()
    rng = np.random.default_rng(seed)
    W = rand_w(rng, k[0], k[1], c, mult)
    B = rand_w(rng, c * mult)

    def fn(x):
        y = tf.nn.depthwise_conv2d(x, W, strides=[1, stride, stride, 1], padding=padding,
                                   dilations=[dilation, dilation])
        return _act(tf.nn.bias_add(y, B), act)
    return fn, [(n, h, w, c)]


def dense(batch=1, cin=33, cout=17, act="none", seed=0):
    tf = _tf()
    rng = np.random.default_rng(seed)
    W = rand_w(rng, cin, cout)
    B = rand_w(rng, cout)

    def fn(x):
        return _act(tf.matmul(x, W) + B, act)
    return fn, [(batch, cin)]


def binary(op="add", a=(1, 4, 4, 6), b=(1, 4, 4, 6), act="none"):
    tf = _tf()

    def fn(x, y):
        z = x + y * 0.5 if op == "add" else x - y * 0.5 if op == "sub" else x * y
        return _act(z, act)
    return fn, [a, b]


def const_binary(op="add", shape=(1, 13, 11, 7), c=3.0, const_first=False, act="none"):
    """x (op) c or c (op) x with a scalar constant c (keras Rescaling, hard-sigmoid's + 3)."""
    def fn(x):
        if op == "add":
            z = c + x if const_first else x + c
        elif op == "sub":
            z = c - x if const_first else x - c
        else:
            z = c * x if const_first else x * c
        return _act(z, act)
    return fn, [shape]


def pool(kind="avg", n=1, h=9, w=9, c=5, k=3, stride=2, padding="SAME"):
    tf = _tf()

    def fn(x):
        f = tf.nn.avg_pool2d if kind == "avg" else tf.nn.max_pool2d
        return f(x, ksize=k, strides=stride, padding=padding)
    return fn, [(n, h, w, c)]


def mean(shape=(1, 5, 6, 7), axis=(1, 2), keepdims=True):
    tf = _tf()

    def fn(x):
        return tf.reduce_mean(x * 0.7, axis=list(axis), keepdims=keepdims)
    return fn, [shape]


def unary(kind="softmax", shape=(2, 37)):
    tf = _tf()

    def fn(x):
        if kind == "softmax":
            return tf.nn.softmax(x * 1.5)
        if kind == "logistic":
            return tf.math.sigmoid(x * 2.0)
        if kind == "hard_swish":
            y = x * 2.0
            return y * tf.nn.relu6(y + 3.0) * (1.0 / 6.0)
        raise ValueError(kind)
    return fn, [shape]


def reshape_concat(shape=(2, 3, 4, 5)):
    tf = _tf()

    def fn(x, y):
        z = tf.concat([x, y * 2.0], axis=3)
        return tf.reshape(z, [shape[0], -1])
    return fn, [shape, shape]


def concat_requantize(shape=(1, 3, 4, 5)):
    """Concatenation of a fixed-scale LOGISTIC output with a wider tensor: the converter
    inserts an int8 -> int8 QUANTIZE (requantization) in front of the concatenation."""
    tf = _tf()

    def fn(x, y):
        return tf.concat([tf.math.sigmoid(x), y * 4.0], axis=3)
    return fn, [shape, shape]


def pad(shape=(1, 5, 6, 3), paddings=((0, 0), (1, 2), (2, 0), (0, 1))):
    tf = _tf()

    def fn(x):
        return tf.pad(x * 1.3, paddings)
    return fn, [shape]


def pad_pool(shape=(1, 12, 11, 5), paddings=((0, 0), (1, 1), (1, 1), (0, 0)), k=3, stride=2):
    """PAD then a VALID MAX_POOL_2D (ResNet's stem); no ReLU before, so the padding's zeros win at borders."""
    tf = _tf()

    def fn(x):
        return tf.nn.max_pool2d(tf.pad(x, paddings), ksize=k, strides=stride, padding="VALID")
    return fn, [shape]


# ---- whole small models ----

def mobilenet_block(seed=0, size=16, width=16):
    """conv -> hard-swish -> depthwise -> SE (mean, FC-as-conv, logistic, mul) -> conv + residual add."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    c, h = width, max(width // 2, 1)
    W1, B1 = rand_w(rng, 3, 3, 3, c), rand_w(rng, c)
    Wd, Bd = rand_w(rng, 3, 3, c, 1), rand_w(rng, c)
    Ws1, Bs1 = rand_w(rng, 1, 1, c, h), rand_w(rng, h)
    Ws2, Bs2 = rand_w(rng, 1, 1, h, c), rand_w(rng, c)
    W2, B2 = rand_w(rng, 1, 1, c, c, scale=0.5 / np.sqrt(c / 16)), rand_w(rng, c)
    Wf, Bf = rand_w(rng, c, 10), rand_w(rng, 10)

    def hswish(x):
        return x * tf.nn.relu6(x + 3.0) * (1.0 / 6.0)

    def fn(x):
        y = hswish(tf.nn.bias_add(tf.nn.conv2d(x, W1, 2, "SAME"), B1))
        d = tf.nn.relu(tf.nn.bias_add(tf.nn.depthwise_conv2d(y, Wd, [1, 1, 1, 1], "SAME"), Bd))
        s = tf.reduce_mean(d, axis=[1, 2], keepdims=True)
        s = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(s, Ws1, 1, "SAME"), Bs1))
        s = tf.math.sigmoid(tf.nn.bias_add(tf.nn.conv2d(s, Ws2, 1, "SAME"), Bs2))
        z = tf.nn.bias_add(tf.nn.conv2d(d * s, W2, 1, "SAME"), B2) + y
        g = tf.reduce_mean(z, axis=[1, 2])
        return tf.nn.softmax(tf.matmul(g, Wf) + Bf)
    return fn, [(1, size, size, 3)]


def residual_net(seed=1):
    tf = _tf()
    rng = np.random.default_rng(seed)
    W1, B1 = rand_w(rng, 3, 3, 4, 8), rand_w(rng, 8)
    W2, B2 = rand_w(rng, 3, 3, 8, 8), rand_w(rng, 8)
    W3, B3 = rand_w(rng, 1, 1, 16, 8), rand_w(rng, 8)

    def fn(x):
        a = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, W1, 1, "SAME"), B1))
        b = tf.nn.relu6(tf.nn.bias_add(tf.nn.conv2d(a, W2, 1, "SAME"), B2))
        c = tf.concat([a, b], axis=3)
        d = tf.nn.bias_add(tf.nn.conv2d(c, W3, 1, "VALID"), B3) + a
        e = tf.nn.max_pool2d(d, 2, 2, "VALID")
        return tf.nn.avg_pool2d(tf.pad(e, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 1, "VALID")
    return fn, [(2, 12, 12, 4)]


def mlp(seed=2):
    tf = _tf()
    rng = np.random.default_rng(seed)
    W1, B1 = rand_w(rng, 64, 48), rand_w(rng, 48)
    W2, B2 = rand_w(rng, 48, 32), rand_w(rng, 32)
    W3, B3 = rand_w(rng, 32, 10), rand_w(rng, 10)

    def fn(x):
        h = tf.nn.relu(tf.matmul(x, W1) + B1)
        h = tf.nn.relu6(tf.matmul(h, W2) + B2)
        return tf.nn.softmax(tf.matmul(h, W3) + B3)
    return fn, [(4, 64)]


# ---- INT4 rewrite ----

_INT4_OPS = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 3, "FULLY_CONNECTED": 0}


def pack_int4(values: np.ndarray) -> bytes:
    """TFLite INT4 packing: element 2i in the low nibble of byte i, 2i+1 in the high nibble."""
    flat = values.astype(np.int8).reshape(-1)
    if flat.size % 2:
        flat = np.concatenate([flat, np.zeros(1, np.int8)])
    lo = flat[0::2].astype(np.uint8) & 0x0F
    hi = (flat[1::2].astype(np.uint8) & 0x0F) << 4
    return (lo | hi).astype(np.uint8).tobytes()


def to_int4(model_bytes: bytes) -> bytes:
    """Rewrite the weights of every CONV_2D/DEPTHWISE_CONV_2D/FULLY_CONNECTED to INT4.

    Weights are requantized symmetrically per channel to [-7, 7]; the int32 bias is
    requantized to the new scale (input_scale * weight_scale)."""
    from edgeq import tflite_schema as ts

    m = ts.read_model(model_bytes)
    int4 = ts.tensor_type_code("INT4")
    sg = m.subgraphs[0]
    for op in sg.operators:
        name = ts.op_name(m, op)
        if name not in _INT4_OPS:
            continue
        qdim = _INT4_OPS[name]
        x_t, w_t = sg.tensors[op.inputs[0]], sg.tensors[op.inputs[1]]
        b_t = sg.tensors[op.inputs[2]] if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        shape = list(w_t.shape)
        w = np.frombuffer(bytes(m.buffers[w_t.buffer].data), np.int8).reshape(shape).astype(np.float64)
        old = np.asarray(w_t.quantization.scale, np.float64)
        nch = shape[qdim]
        old_c = old if old.size == nch else np.full(nch, old[0])
        bshape = [1] * len(shape)
        bshape[qdim] = nch
        real = w * old_c.reshape(bshape)
        amax = np.max(np.abs(np.moveaxis(real, qdim, 0).reshape(nch, -1)), axis=1)
        new = np.where(amax > 0, amax / 7.0, 1e-6).astype(np.float32)
        q = np.clip(np.round(real / new.astype(np.float64).reshape(bshape)), -7, 7).astype(np.int8)
        m.buffers[w_t.buffer].data = np.frombuffer(pack_int4(q), np.uint8)
        w_t.type = int4
        w_t.quantization.scale = [float(s) for s in new]
        w_t.quantization.zeroPoint = [0] * nch
        w_t.quantization.quantizedDimension = qdim
        if b_t is not None:
            in_scale = float(x_t.quantization.scale[0])
            b = np.frombuffer(bytes(m.buffers[b_t.buffer].data), np.int32).astype(np.float64)
            b_old = np.asarray(b_t.quantization.scale, np.float64)
            real_b = b * (b_old if b_old.size == b.size else np.full(b.size, b_old[0]))
            b_scale = (np.float64(in_scale) * new.astype(np.float64)).astype(np.float32)
            nb = np.round(real_b / b_scale.astype(np.float64)).astype(np.int32)
            m.buffers[b_t.buffer].data = np.frombuffer(nb.tobytes(), np.uint8)
            b_t.quantization.scale = [float(s) for s in b_scale]
            b_t.quantization.zeroPoint = [0] * nch
            b_t.quantization.quantizedDimension = 0
    return ts.write_model(m)


def op_names(model_bytes: bytes) -> list[str]:
    from edgeq import tflite_schema as ts

    m = ts.read_model(model_bytes)
    return [ts.op_name(m, op) for op in m.subgraphs[0].operators]


def convert_float(fn: Callable, input_shapes: Sequence[Sequence[int]]) -> bytes:
    """Plain float32 conversion (no quantization): nothing in it is int8."""
    tf = _tf()
    specs = [tf.TensorSpec(shape=s, dtype=tf.float32) for s in input_shapes]
    concrete = tf.function(fn, input_signature=specs).get_concrete_function()
    return tf.lite.TFLiteConverter.from_concrete_functions([concrete]).convert()


def prelu(shape=(1, 5, 7, 6), shared_axes=(1, 2), seed=0):
    """Keras PReLU (TFLite PRELU) with random alphas of both signs; ``shared_axes`` as in Keras."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    layer = tf.keras.layers.PReLU(shared_axes=list(shared_axes) if shared_axes else None)
    layer.build(shape)
    (alpha,) = layer.get_weights()
    layer.set_weights([(rng.standard_normal(alpha.shape) * 0.4).astype(np.float32)])
    return (lambda x: layer(x)), [shape]


def swish(n=1, h=9, w=7, c=6, shared=False, seed=0):
    """conv -> x * sigmoid(x) (EfficientNet's activation); ``shared``: the sigmoid also feeds an ADD,
    so it cannot be folded into the multiply."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    W = rand_w(rng, 1, 1, 3, c)

    def fn(x):
        y = tf.nn.conv2d(x, W, strides=1, padding="SAME")
        s = tf.sigmoid(y)
        return (y * s, s + y) if shared else y * s
    return fn, [(n, h, w, 3)]


def table_after(producer="conv", kind="hard_swish", batch=1, seed=0):
    """A CONV_2D / DEPTHWISE_CONV_2D / FULLY_CONNECTED whose only reader is a table op (HARD_SWISH,
    LOGISTIC, GELU): the GPU applies the table as the producer stores (its epilogue)."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    if producer == "conv":
        W, shape = rand_w(rng, 3, 3, 4, 12), (batch, 9, 8, 4)
    elif producer == "depthwise":
        W, shape = rand_w(rng, 3, 3, 6, 1), (batch, 10, 9, 6)
    else:
        W, shape = rand_w(rng, 200, 40, scale=0.1), (batch, 200)

    def fn(x):
        if producer == "conv":
            y = tf.nn.conv2d(x, W, strides=1, padding="SAME")
        elif producer == "depthwise":
            y = tf.nn.depthwise_conv2d(x, W, strides=[1, 2, 2, 1], padding="SAME")
        else:
            y = tf.matmul(x, W)
        if kind == "hard_swish":
            return y * tf.nn.relu6(y + 3.0) * (1.0 / 6.0)
        if kind == "logistic":
            return tf.sigmoid(y)
        return tf.nn.gelu(y)
    return fn, [shape]


def elementwise_chain(kind="unary", seed=0):
    """Elementwise ops the GPU runs inside another node's kernel. ``unary``: x * 0.5 + 1 (MUL, ADD by
    one-element constants: one table lookup), a conv, then * (1/6) and a sigmoid (the conv's epilogue
    table). ``residual``: a = relu(conv(x)), hard_swish(a + conv(a)) (the ADD and HARD_SWISH in the
    second conv's epilogue, reading a at each stored element). ``sub``: conv(x) - conv(x * 0.5 + 1),
    ``mul``: conv(x) * conv(x) with two filters, the same-shape binary op on either side. ``bcast``: a
    LayerNorm-like column step, rsqrt(mean(x over axis 1) + 2) * gamma (a per-channel constant, broadcast)
    - x: the ADD and RSQRT one table, the broadcasting MUL joins them (table2_s8); the SUB runs alone (a MEAN
    over the last axis would make it all one row program, row_norm).
    ``fc_residual``: x [1, 12, 16] + FC(x as [12, 16] rows): the ADD in the FC's epilogue (same elements)."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    W1, W2 = rand_w(rng, 3, 3, 4, 8), rand_w(rng, 1, 1, 8, 8)
    W3 = rand_w(rng, 3, 3, 4, 8)
    W_fc, B_fc = rand_w(rng, 16, 16, scale=0.3), rand_w(rng, 16)

    def fn(x):
        if kind == "unary":
            y = tf.nn.conv2d(x * 0.5 + 1.0, W1, strides=1, padding="SAME")
            return tf.sigmoid(tf.nn.relu6(y) * (1.0 / 6.0))
        if kind == "residual":
            a = tf.nn.relu(tf.nn.conv2d(x, W1, strides=1, padding="SAME"))
            z = a + tf.nn.conv2d(a, W2, strides=1, padding="SAME")
            return z * tf.nn.relu6(z + 3.0) * (1.0 / 6.0)
        if kind == "fc_residual":  # the encoder's attention output: FC over [seq, d] rows + the [1, seq, d] input
            y = tf.matmul(tf.reshape(x, (12, 16)), W_fc) + B_fc
            return x + y
        if kind == "bcast":
            m = tf.reduce_mean(x, axis=1, keepdims=True)
            return tf.math.rsqrt(m + 2.0) * tf.constant(rng.uniform(0.2, 2.0, 4).astype(np.float32)) - x
        a = tf.nn.conv2d(x, W1, strides=1, padding="SAME")
        if kind == "sub":
            return a - tf.nn.conv2d(x * 0.5 + 1.0, W3, strides=1, padding="SAME")
        return a * tf.nn.conv2d(x, W3, strides=1, padding="SAME")
    return fn, [(1, 12, 16) if kind == "fc_residual" else (1, 9, 8, 4)]


def squeeze_excite_conv(kind="sigmoid", n=1, seed=4):
    """A squeeze-excite block with 1x1 convs as Keras' MobileNetV3 / EfficientNet write it: x = conv(input),
    s = MEAN(x) kept as [n,1,1,c], relu(conv 1x1), conv 1x1, then a sigmoid gate (EfficientNet) or
    relu6(. + 3) * 1/6 (MobileNetV3's hard sigmoid), times x (a broadcasting MUL)."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    W, W1, W2 = rand_w(rng, 3, 3, 4, 12), rand_w(rng, 1, 1, 12, 5), rand_w(rng, 1, 1, 5, 12)
    B2 = rand_w(rng, 12)

    def fn(inp):
        x = tf.nn.relu(tf.nn.conv2d(inp, W, strides=1, padding="SAME"))
        s = tf.reduce_mean(x, axis=[1, 2], keepdims=True)
        s = tf.nn.relu(tf.nn.conv2d(s, W1, strides=1, padding="VALID"))
        g = tf.nn.conv2d(s, W2, strides=1, padding="VALID") + B2
        g = tf.sigmoid(g) if kind == "sigmoid" else tf.nn.relu6(g + 3.0) * (1.0 / 6.0)
        return x * g
    return fn, [(n, 7, 6, 4)]


def squeeze_excite_dynbatch(seed=3, size=6, c=8):
    """A squeeze-excite block as TensorFlow writes it for a dynamic batch: the pooled vector is
    reshaped to ``[tf.shape(x)[0], 1, 1, c]``, a SHAPE -> STRIDED_SLICE -> PACK -> RESHAPE chain whose
    output shape exists only at run time. Convert with ``convert(fn, shapes)`` (batch ``None``)."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    W1, W2, W3 = rand_w(rng, 1, 1, 3, c), rand_w(rng, c, c // 2), rand_w(rng, c // 2, c)

    def fn(x):
        y = tf.nn.conv2d(x, W1, strides=1, padding="SAME")
        y = y * tf.sigmoid(y)  # swish: fused into one table inside the partition
        s = tf.reduce_mean(y, axis=[1, 2])
        s = tf.sigmoid(tf.matmul(tf.nn.relu(tf.matmul(s, W2)), W3))
        s = tf.reshape(s, tf.stack([tf.shape(x)[0], 1, 1, c]))
        return y * s
    return fn, [(None, size, size, 3)]


def with_output_scale(model_bytes: bytes, op: str, scale: float) -> bytes:
    """The model with the output scale of its first ``op`` node set to ``scale`` (extreme-scale cases)."""
    from edgeq import tflite_schema as ts

    m = ts.read_model(model_bytes)
    sg = m.subgraphs[0]
    node = next(o for o in sg.operators if ts.op_name(m, o) == op)
    sg.tensors[node.outputs[0]].quantization.scale = [float(scale)]
    return ts.write_model(m)


def transpose(shape=(1, 6, 3, 5), perm=(0, 2, 1, 3)):
    tf = _tf()

    def fn(x):
        return tf.transpose(x * 0.9, perm=list(perm))
    return fn, [shape]


def batch_matmul(a=(1, 3, 7, 5), b=(1, 3, 5, 6), adj_x=False, adj_y=False, b_offset=0.0, b_softmax=False):
    """x @ y of two activations (BATCH_MATMUL); b_offset shifts y's range so its zero point moves,
    b_softmax makes y a softmax output (zero point -128)."""
    tf = _tf()

    def fn(x, y):
        y = tf.nn.softmax(y * 2.0) if b_softmax else y + b_offset
        return tf.linalg.matmul(x * 0.8, y, adjoint_a=adj_x, adjoint_b=adj_y)
    return fn, [a, b]


def attention(n=1, seq=12, heads=2, dim=8, seed=0):
    """One self-attention core as the suite's encoder writes it: per-head split by RESHAPE and
    TRANSPOSE, Q.K^T (BATCH_MATMUL), SOFTMAX, P.V (BATCH_MATMUL), heads merged back."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    wq, wk, wv = (rand_w(rng, heads * dim, heads * dim, scale=0.3) for _ in range(3))

    def split(t):
        return tf.transpose(tf.reshape(t, (n, seq, heads, dim)), (0, 2, 1, 3))

    def fn(x):
        q, k, v = (split(tf.matmul(tf.reshape(x, (n * seq, heads * dim)), w)) for w in (wq, wk, wv))
        s = tf.matmul(q, tf.transpose(k, (0, 1, 3, 2))) * (dim ** -0.5)
        o = tf.matmul(tf.nn.softmax(s), v)
        return tf.reshape(tf.transpose(o, (0, 2, 1, 3)), (n, seq, heads * dim))
    return fn, [(n, seq, heads * dim)]


def gelu(shape=(2, 9, 40), approximate=False):
    tf = _tf()

    def fn(x):
        return tf.nn.gelu(x * 1.3, approximate=approximate)
    return fn, [shape]


def layer_norm(shape=(1, 12, 48), seed=0):
    """A dense layer, then LayerNorm over the last axis as TensorFlow's converter writes it: MEAN,
    SQUARED_DIFFERENCE, MEAN, ADD epsilon, RSQRT, MUL, SUB (the suite's encoder and ConvNeXt carry it)."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    w = rand_w(rng, shape[-1], shape[-1], scale=0.3)
    gamma = (1 + 0.2 * rng.standard_normal(shape[-1])).astype(np.float32)
    beta = (0.1 * rng.standard_normal(shape[-1])).astype(np.float32)

    def fn(x):
        x = tf.reshape(tf.matmul(tf.reshape(x, (-1, shape[-1])), w), shape) + 0.3
        mean = tf.reduce_mean(x, axis=-1, keepdims=True)
        var = tf.reduce_mean(tf.math.squared_difference(x, mean), axis=-1, keepdims=True)
        return (x - mean) * tf.math.rsqrt(var + 1e-6) * gamma + beta
    return fn, [shape]


def row_norm(kind="keras", shape=(1, 5, 6, 40), seed=5):
    """LayerNorm over the last axis as the GPU's row program runs it (one work group per row). ``keras``:
    the form of the converter's Keras LayerNormalization in the suite's ConvNeXt and encoder (x * 0.9
    first): MEAN, MUL by -1, SQUARED_DIFFERENCE, MEAN, ADD epsilon, RSQRT, MUL by gamma, MUL, ADD beta,
    MUL, ADD, then a LOGISTIC (a unary op after the norm joins it). ``wide``: the TensorFlow formula (SUB)
    over 300 channels (128 lanes, several elements each). ``two_outputs``: that formula, returning the norm
    and its LOGISTIC (both model outputs: the program stops at the norm, the LOGISTIC runs its own lookup)."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    c = shape[-1]
    gamma = (1 + 0.3 * rng.standard_normal(c)).astype(np.float32)
    beta = (0.2 * rng.standard_normal(c)).astype(np.float32)
    if kind == "keras":
        def fn(x):
            x = x * 0.9
            mean = tf.reduce_mean(x, axis=-1, keepdims=True)
            var = tf.reduce_mean(tf.math.squared_difference(x, mean), axis=-1, keepdims=True)
            s = tf.math.rsqrt(var + 1e-6) * gamma
            return tf.math.sigmoid(x * s + ((mean * -1.0) * s + beta))
        return fn, [shape]

    def fn(x):
        mean = tf.reduce_mean(x, axis=-1, keepdims=True)
        var = tf.reduce_mean(tf.math.squared_difference(x, mean), axis=-1, keepdims=True)
        y = (x - mean) * tf.math.rsqrt(var + 1e-5) * gamma + beta
        return (y, tf.math.sigmoid(y)) if kind == "two_outputs" else y
    return fn, [shape]


def rsqrt(shape=(3, 50)):
    """RSQRT of a square (input zero point -128, as LayerNorm's variance has)."""
    tf = _tf()

    def fn(x):
        return tf.math.rsqrt(x * x + 0.05)
    return fn, [shape]


def squared_difference(a=(2, 5, 7), b=(2, 5, 1)):
    tf = _tf()

    def fn(x, y):
        return tf.math.squared_difference(x, y * 0.3)
    return fn, [a, b]


def grouped_conv(n=1, h=10, w=9, c=6, mult=1, k=(7, 7), stride=1, act="none", seed=0):
    """CONV_2D with one input channel per group (Keras Conv2D(groups=c), ConvNeXt's 7x7)."""
    tf = _tf()
    rng = np.random.default_rng(seed)
    wt = rand_w(rng, k[0], k[1], 1, c * mult)
    b = rand_w(rng, c * mult, scale=0.1)

    def fn(x):
        return _act(tf.nn.conv2d(x, wt, strides=stride, padding="SAME") + b, act)
    return fn, [(n, h, w, c)]


def slice_(shape=(1, 4, 4, 64), begin=(0, 0, 0, 0), size=(1, 4, 4, 32)):
    """SLICE with constant begin / size (mediapipe's hand recrop splits channels this way)."""
    tf = _tf()

    def fn(x):
        return tf.slice(x * 0.9, list(begin), list(size))
    return fn, [shape]


def resize_bilinear(shape=(1, 6, 5, 8), size=(12, 10), half_pixel_centers=True, align_corners=False):
    """RESIZE_BILINEAR (Keras UpSampling2D bilinear: half_pixel_centers) after a MUL, so it reads an int8 tensor
    the delegate wrote."""
    tf = _tf()

    def fn(x):
        return tf.compat.v1.image.resize_bilinear(x * 1.1, list(size), align_corners=align_corners,
                                                  half_pixel_centers=half_pixel_centers)
    return fn, [shape]
