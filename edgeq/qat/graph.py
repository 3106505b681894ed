"""Keras graph surgery for QAT: batch-norm folding, fake-quantized twin, plain export.

All three are clones of a functional model (a Sequential one is wrapped first):

* :func:`fold_batch_norm`: every BatchNormalization right after a Conv2D / DepthwiseConv2D /
  Dense (linear activation, no other consumer) is folded into that layer's kernel and bias
  with its moving statistics, as TFLite's converter folds it; the statistics stay frozen
  during fine-tuning, so the trained model and the converted one fold the same numbers.
* :func:`fake_quant_model`: weight layers become their fake-quantized twins and an
  :class:`~.fake_quant.ActivationQuant` follows every tensor the integer model stores.
* :func:`export_model`: the folded architecture with the quantized weights, plain Keras layers only.
"""
from __future__ import annotations

from typing import Callable

import keras
import numpy as np

from .fake_quant import ActivationQuant, quant_class
from .record import input_key, pre_key

WEIGHT_LAYERS = (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)


def functional(model: keras.Model) -> keras.Model:
    """``model`` as a functional model (a Sequential one is rebuilt over the same layers)."""
    if isinstance(model, keras.Sequential):
        inp = keras.Input(batch_shape=model.inputs[0].shape, name=model.inputs[0].name)
        x = inp
        for layer in model.layers:
            x = layer(x)
        return keras.Model(inp, x, name=model.name)
    return model


def _producer(tensor):
    return tensor._keras_history.operation


def _consumers(model: keras.Model) -> dict[int, int]:
    """id(layer) → how many layer calls take its output."""
    counts: dict[int, int] = {}
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for t in node.input_tensors:
                p = id(_producer(t))
                counts[p] = counts.get(p, 0) + 1
    return counts


def _foldable(model: keras.Model) -> dict[str, keras.layers.Layer]:
    """BatchNormalization layer name → the weight layer it folds into."""
    uses = _consumers(model)
    out = {}
    for layer in model.layers:
        if not isinstance(layer, keras.layers.BatchNormalization) or len(layer._inbound_nodes) != 1:
            continue
        prev = _producer(layer.input)
        axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
        if (type(prev) in (keras.layers.Conv2D, keras.layers.DepthwiseConv2D, keras.layers.Dense)
                and prev.activation in (None, keras.activations.linear) and uses.get(id(prev)) == 1
                and len(prev._inbound_nodes) == 1 and axis in (-1, len(layer.input.shape) - 1)):
            out[layer.name] = prev
    return out


def fold_batch_norm(model: keras.Model) -> tuple[keras.Model, list[str]]:
    """The model with foldable batch norms folded (see the module docstring), and their names."""
    model = functional(model)
    folds = _foldable(model)
    if not folds:
        return model, []
    into = {prev.name: bn for bn, prev in ((model.get_layer(b), p) for b, p in folds.items())}

    def clone(layer):
        cfg = layer.get_config()
        if layer.name in into:
            cfg["use_bias"] = True
        return layer.__class__.from_config(cfg)

    def call(layer, *args, **kwargs):
        if layer.name in folds:
            return args[0]  # the batch norm is gone: its numbers are in the layer before
        return layer(*args, **kwargs)

    new = keras.models.clone_model(model, clone_function=clone, call_function=call)
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer) or layer.name in folds:
            continue
        target = new.get_layer(layer.name)
        if layer.name in into:
            target.set_weights(_folded(layer, into[layer.name]))
        else:
            target.set_weights(layer.get_weights())
    return new, sorted(folds)


def _folded(layer, bn) -> list[np.ndarray]:
    """Kernel and bias of ``layer`` with ``bn`` (inference statistics) folded in."""
    w = layer.get_weights()
    kernel = w[0].astype(np.float64)
    bias = w[1].astype(np.float64) if layer.use_bias else np.zeros(kernel.shape[-1] if not isinstance(
        layer, keras.layers.DepthwiseConv2D) else kernel.shape[2] * kernel.shape[3])
    names = {v.path.split("/")[-1]: np.asarray(v.numpy(), np.float64) for v in bn.weights}
    n = bias.shape[0]
    gamma = names.get("gamma", np.ones(n))
    beta = names.get("beta", np.zeros(n))
    factor = gamma / np.sqrt(names["moving_variance"] + bn.epsilon)
    if isinstance(layer, keras.layers.DepthwiseConv2D):
        kernel = kernel * factor.reshape(1, 1, kernel.shape[2], kernel.shape[3])
    else:
        kernel = kernel * factor
    bias = (bias - names["moving_mean"]) * factor + beta
    return [kernel.astype(np.float32), bias.astype(np.float32)]


def fake_quant_model(model: keras.Model, quant: dict[str, tuple[float, int]], bits: Callable[[str], str],
                     input_scales: dict[str, float]) -> keras.Model:
    """The fake-quantized twin of a folded functional ``model`` (weights copied).

    ``quant``: layer key → (scale, zero point) of the integer model's tensors; ``bits(layer)``:
    "int8" or "int4" for a weight layer; ``input_scales``: layer → its weight op's input scale.
    """
    def clone(layer):
        cls = quant_class(layer)
        if cls is None:
            return layer.__class__.from_config(layer.get_config())
        q = cls.from_config(layer.get_config())
        q.bits = bits(layer.name)
        q.input_scale = input_scales.get(layer.name)
        q.pre = quant.get(pre_key(layer.name))
        return q

    quantized_inputs: dict[int, object] = {}

    def fq_input(t):
        history = getattr(t, "_keras_history", None)
        if history is None or not isinstance(history.operation, keras.layers.InputLayer):
            return t
        if id(t) not in quantized_inputs:
            k = [n for n, x in enumerate(new_inputs) if x is t]
            key = input_key(k[0]) if k else None
            quantized_inputs[id(t)] = ActivationQuant(*quant[key], name=f"fq_input_{k[0]}")(t) \
                if key in quant else t
        return quantized_inputs[id(t)]

    def call(layer, *args, **kwargs):
        args = keras.tree.map_structure(fq_input, args)
        y = layer(*args, **kwargs)
        if layer.name in quant:
            y = ActivationQuant(*quant[layer.name], name=f"fq_{layer.name}")(y)
        return y

    new_inputs = [keras.Input(batch_shape=t.shape, dtype=t.dtype, name=t.name) for t in model.inputs]
    fq = keras.models.clone_model(model, input_tensors=new_inputs if len(new_inputs) > 1 else new_inputs[0],
                                  clone_function=clone, call_function=call)
    for layer in model.layers:
        if not isinstance(layer, keras.layers.InputLayer):
            fq.get_layer(layer.name).set_weights(layer.get_weights())
    return fq


def export_model(folded: keras.Model, fq: keras.Model) -> keras.Model:
    """The folded architecture, plain layers, with the weights the fake-quantized model ends with
    (quantized: the converter finds them on its grid and keeps them)."""
    out = keras.models.clone_model(folded)
    for layer in folded.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        src = fq.get_layer(layer.name)
        if quant_class(layer) is not None:
            k, b = src.quantized_weights()
            weights = [keras.ops.convert_to_numpy(k)] + ([keras.ops.convert_to_numpy(b)] if b is not None else [])
            out.get_layer(layer.name).set_weights(weights)
        else:
            out.get_layer(layer.name).set_weights(src.get_weights())
    return out
