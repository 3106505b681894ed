"""Fake quantization in Keras 3 that computes what the converted integer model computes.

Activations: ``q = clamp(round(x / s) + zp, -128, 127)``, back as ``(q - zp) * s``, at every
tensor the integer model stores (op outputs after TFLite's fusions, the inputs), with the
scale and zero point of edgeq's post-training calibration; a fused ReLU is the clamp at ``zp``.
Weights: symmetric per output channel, ``s = max|w| / 127`` (int8) or ``/ 7`` (int4), as the
converter and edgeq's int4 rewrite quantize them. Biases: int32 at ``s_in * s_w``. Rounding
is half away from zero, as TFLite's requantization rounds. Gradients pass straight through
inside the clamp range and are zero outside (straight-through estimator).
"""
from __future__ import annotations

import keras
from keras import ops

QMAX = {"int8": 127, "int4": 7}


def round_half_away(x):
    return ops.sign(x) * ops.floor(ops.abs(x) + 0.5)


def fake_quant(x, scale: float, zero_point: int):
    """int8 activation fake quantization with a straight-through gradient."""
    lo, hi = (-128 - zero_point) * scale, (127 - zero_point) * scale
    y = ops.clip(x, lo, hi)
    return y + ops.stop_gradient(round_half_away(y / scale) * scale - y)


def weight_scales(w, reduce_axes: tuple[int, ...], bits: str):
    amax = ops.stop_gradient(ops.max(ops.abs(w), axis=reduce_axes, keepdims=True))
    return ops.where(amax > 0, amax / QMAX[bits], ops.ones_like(amax))


def fake_quant_weight(w, reduce_axes: tuple[int, ...], bits: str):
    """Symmetric per-channel weight fake quantization; returns (weight, per-channel scale)."""
    s = weight_scales(w, reduce_axes, bits)
    q = ops.clip(round_half_away(w / s), -QMAX[bits], QMAX[bits]) * s
    return w + ops.stop_gradient(q - w), s


def fake_quant_bias(b, scale):
    """int32 bias at ``scale`` (input scale × weight scale, per channel)."""
    return b + ops.stop_gradient(round_half_away(b / scale) * scale - b)


class ActivationQuant(keras.layers.Layer):
    """An int8 tensor of the converted model: fixed scale and zero point."""

    def __init__(self, scale: float, zero_point: int, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.zero_point = float(scale), int(zero_point)

    def call(self, x):
        return fake_quant(x, self.scale, self.zero_point)

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "zero_point": self.zero_point}


class _QuantWeights:
    """Mixin for Conv2D / DepthwiseConv2D / Dense: quantized kernel and bias, optional pre-activation quant."""

    bits: str = "int8"
    input_scale: float | None = None
    pre: tuple[float, int] | None = None  # (scale, zp) of the weight op's output when the layer's activation is an op of its own

    def _reduce_axes(self) -> tuple[int, ...]:
        rank = len(self.kernel.shape)
        return (0, 1) if isinstance(self, keras.layers.DepthwiseConv2D) else tuple(range(rank - 1))

    def quantized_weights(self):
        """(kernel, bias or None) as the integer model holds them, dequantized."""
        k, s = fake_quant_weight(self.kernel, self._reduce_axes(), self.bits)
        b = None
        if self.use_bias:
            b = self.bias
            if self.input_scale is not None:
                b = fake_quant_bias(b, ops.reshape(s, (-1,)) * self.input_scale)
        return k, b

    def _finish(self, y, b):
        if b is not None:
            y = ops.add(y, b)
        if self.pre is not None:
            y = fake_quant(y, *self.pre)
        return self.activation(y) if self.activation is not None else y


class QuantConv2D(_QuantWeights, keras.layers.Conv2D):
    def call(self, inputs):
        k, b = self.quantized_weights()
        return self._finish(self.convolution_op(inputs, k), b)


class QuantDepthwiseConv2D(_QuantWeights, keras.layers.DepthwiseConv2D):
    def call(self, inputs):
        k, b = self.quantized_weights()
        y = ops.depthwise_conv(inputs, k, strides=self.strides, padding=self.padding,
                               dilation_rate=self.dilation_rate, data_format=self.data_format)
        return self._finish(y, b)


class QuantDense(_QuantWeights, keras.layers.Dense):
    def call(self, inputs):
        k, b = self.quantized_weights()
        return self._finish(ops.matmul(inputs, k), b)


#: plain Keras layer → its fake-quantized twin
QUANT_CLASSES = {keras.layers.Conv2D: QuantConv2D, keras.layers.DepthwiseConv2D: QuantDepthwiseConv2D,
                 keras.layers.Dense: QuantDense}


def quant_class(layer) -> type | None:
    return QUANT_CLASSES.get(type(layer))
