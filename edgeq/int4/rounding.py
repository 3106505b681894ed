"""GPTQ rounding for int4 weights: better than round-to-nearest.

Per channel, the scale is first chosen by an input-weighted clipping search
(:func:`search_scales`); then GPTQ rounds onto that grid.

Layer by layer, the Hessian ``H = XᵀX`` of the layer's float input activations
(``X``: FC input rows, conv im2col patches, per-channel patches for depthwise) is
gathered by running the float model on calibration samples. Columns are then
quantized in order and each column's rounding error is pushed onto the columns
not yet quantized through the Cholesky factor of ``H⁻¹`` (Frantar et al., 2022),
which minimizes the layer's output error ‖XWᵀ − XŴᵀ‖ rather than the weight error.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .. import tflite_schema as ts
from ..errors import DataError
from ..progress import progress as progress_bar
from ..runtime import Interpreter
from . import graph, symmetric
from .reference import _patches

DAMPING = 0.01  # fraction of mean diag(H) added to the diagonal, keeps H invertible
CLIP_GRID = np.linspace(1.0, 0.5, 11)  # candidate fractions of max|w| for the ±7 grid


def search_scales(w: np.ndarray, hdiag: np.ndarray, grid: np.ndarray = CLIP_GRID) -> np.ndarray:
    """Per-row int4 scale minimizing the input-weighted rounding error Σ_k H_kk (w_k − ŵ_k)².

    Clipping the largest weights buys a finer grid for all others; H's diagonal
    (the input energy per column; [K] shared or [O, K] per row) says which
    columns' errors matter.
    """
    w = w.astype(np.float64)
    amax = np.abs(w).max(axis=1)
    amax = np.where(amax > 0, amax, 1.0)
    hd = np.broadcast_to(hdiag, w.shape)
    best_err = np.full(w.shape[0], np.inf)
    best = amax / symmetric.QSYM
    for a in grid:
        s = (a * amax / symmetric.QSYM)[:, None]
        err = np.sum(hd * (w - np.clip(np.round(w / s), symmetric.QMIN, symmetric.QMAX) * s) ** 2, axis=1)
        better = err < best_err
        best_err = np.where(better, err, best_err)
        best = np.where(better, s[:, 0], best)
    return best.astype(np.float32)


def gptq_quantize(w: np.ndarray, h: np.ndarray, scales: np.ndarray, damping: float = DAMPING) -> np.ndarray:
    """Quantize rows of ``w`` [O, K] to int4 given ``h`` [K, K] (shared) or [O, K, K] (per row).

    Returns int8-stored int4 values [O, K] on the grid ``scales[o]`` clipped to [-8, 7].
    """
    w = w.astype(np.float64).copy()
    o, k = w.shape
    hs = np.broadcast_to(h, (o, k, k)) if h.ndim == 2 else h
    shared = h.ndim == 2
    hinv = _inverse_cholesky(h.astype(np.float64), w, damping) if shared else \
        np.stack([_inverse_cholesky(hs[r].astype(np.float64), w[r:r + 1], damping) for r in range(o)])
    s = scales.astype(np.float64).reshape(o)
    q = np.zeros((o, k), np.int8)
    for i in range(k):
        col = w[:, i]
        qi = np.clip(np.round(col / s), symmetric.QMIN, symmetric.QMAX)
        q[:, i] = qi
        if shared:
            err = (col - qi * s) / hinv[i, i]
            w[:, i + 1:] -= np.outer(err, hinv[i, i + 1:])
        else:
            err = (col - qi * s) / hinv[:, i, i]
            w[:, i + 1:] -= err[:, None] * hinv[:, i, i + 1:]
    return q


def _inverse_cholesky(h: np.ndarray, w: np.ndarray, damping: float) -> np.ndarray:
    """Upper Cholesky factor of (H + λI)⁻¹; inputs that never fire get their weights zeroed (in ``w``)."""
    h = h.copy()
    dead = np.diag(h) <= 0
    h[dead, dead] = 1.0
    w[:, dead] = 0.0
    h[np.diag_indices_from(h)] += damping * float(np.mean(np.diag(h)))
    lower = np.linalg.cholesky(np.linalg.inv(h))
    return lower.T


def _float_op_for_weight(fmodel: Any, weight_name: str) -> tuple[int, Any] | None:
    sg = fmodel.subgraphs[0]
    for i, op in enumerate(sg.operators):
        ins = [int(t) for t in op.inputs]
        if len(ins) > 1 and ins[1] >= 0 and ts.tensor_name(sg.tensors[ins[1]]) == weight_name:
            return i, op
    return None


def _rows(kind: str, x: np.ndarray, w_shape: tuple[int, ...], opts: Any) -> np.ndarray:
    """Layer input → rows whose Gram matrix is the layer's Hessian ([R, K], or [C, R, K] for depthwise)."""
    if kind == "FULLY_CONNECTED":
        return x.reshape(-1, w_shape[1])
    kh, kw = w_shape[1], w_shape[2]
    pad = "SAME" if int(opts.padding) == ts.schema().Padding.SAME else "VALID"
    p = _patches(x.astype(np.float32), kh, kw, (int(opts.strideH), int(opts.strideW)),
                 (int(opts.dilationHFactor or 1), int(opts.dilationWFactor or 1)), pad, 0)
    if kind == "CONV_2D":
        return p.reshape(-1, kh * kw * x.shape[-1])
    mult = w_shape[3] // x.shape[-1]  # depthwise: per output channel, its input channel's window
    p = np.repeat(p, mult, axis=-1).reshape(-1, kh * kw, w_shape[3])
    return p.transpose(2, 0, 1)


def layer_hessians(float_model: bytes, weight_names: dict[int, str], samples: Sequence[np.ndarray] | np.ndarray,
                   *, max_samples: int = 128, max_rows: int = 4096, progress: bool = False,
                   seed: int = 0) -> dict[int, np.ndarray]:
    """op index (key of ``weight_names``) → Hessian from the float model's input to the op using that weight."""
    fmodel = ts.read_model(float_model, "float_model")
    it = Interpreter(float_model, resolver="builtin", preserve_all_tensors=True)
    spec = it.inputs[0]
    xs = np.asarray(samples, dtype=np.float32)
    if xs.ndim == len(spec.shape) - 1:
        xs = xs[:, None]
    if xs.shape[1:] != spec.shape[1:] and xs.shape[1:] != spec.shape:
        raise DataError(f"samples have shape {xs.shape}, float model input needs (N, {spec.shape[1:]}): "
                        "pass inputs in the model's layout")
    xs = xs[:max_samples]
    found = {}
    for key, name in weight_names.items():
        hit = _float_op_for_weight(fmodel, name)
        if hit is not None:
            found[key] = hit
    hs: dict[int, np.ndarray] = {}
    rng = np.random.default_rng(seed)
    per_sample = max(1, max_rows // max(len(xs), 1))
    sg = fmodel.subgraphs[0]
    for x in progress_bar(xs, total=len(xs), desc="GPTQ activations", show=progress):
        it.run([x.reshape(spec.shape)])
        for key, (_, op) in found.items():
            w_shape = graph.shape(sg.tensors[int(op.inputs[1])])
            kind = ts.op_name(fmodel, op)
            rows = _rows(kind, it.tensor(int(op.inputs[0])).astype(np.float64), w_shape, op.builtinOptions)
            n = rows.shape[-2]
            if n > per_sample:  # bound the work: a random subset of patches per sample
                rows = np.take(rows, rng.choice(n, per_sample, replace=False), axis=-2)
            g = np.einsum("...ri,...rj->...ij", rows, rows)
            hs[key] = hs[key] + g if key in hs else g
    return hs


def gptq_layers(model: Any, float_model: bytes, cands: Sequence[Any], samples: Any, *, max_rows: int = 4096,
                progress: bool = False) -> None:
    """Replace ``c.q`` of each FC / conv / depthwise candidate with GPTQ's rounding (others keep nearest)."""
    sg = model.subgraphs[0]
    usable = [c for c in cands if c.kind in graph.WEIGHT_OPS]
    names = {c.op: ts.tensor_name(sg.tensors[c.weight]) for c in usable}
    hs = layer_hessians(float_model, names, samples, max_rows=max_rows, progress=progress)
    for c in progress_bar(usable, total=len(usable), desc="GPTQ layers", show=progress):
        if c.op not in hs:
            continue  # no matching float op: keep nearest
        w, h = c.w_float, hs[c.op]
        w2 = w.reshape(-1, w.shape[3]).T if c.kind == "DEPTHWISE_CONV_2D" else w.reshape(w.shape[0], -1)
        hdiag = np.diagonal(h, axis1=-2, axis2=-1)
        if c.axis is None:  # per-tensor weights: one scale shared by every row
            row_scales = np.repeat(c.scales, w2.shape[0])
        else:
            if np.all(np.abs(w2).max(axis=1) > 0):  # all-zero channels keep their fallback scale
                c.scales = search_scales(w2, hdiag)
            row_scales = c.scales
        q = gptq_quantize(w2, h, row_scales)
        c.q = q.T.reshape(w.shape) if c.kind == "DEPTHWISE_CONV_2D" else q.reshape(w.shape)
