"""Run the float model over calibration samples and collect per-tensor statistics.

The float model runs in edgeq's own interpreter with all intermediate tensors
kept, so every activation the quantizer will assign a range to is visible. Only
running statistics are stored (min/max/histogram), never the activations.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence

import numpy as np

from ...errors import DataError
from ...progress import progress as progress_bar
from ...runtime import Interpreter
from ...tflite_schema import read_model, tensor_name, tensor_type_code
from .stats import TensorStats

SampleSource = Iterable[Sequence[np.ndarray]] | Callable[[], Iterable[Sequence[np.ndarray]]]


def activation_tensors(model: bytes) -> dict[int, str]:
    """Float32 tensors of the main subgraph that carry activations: its inputs and op outputs.

    Constants (weights, shapes) have data in a buffer and are left to the weight quantizer.
    """
    m = read_model(model)
    sg = m.subgraphs[0]
    f32 = tensor_type_code("float32")
    wanted: list[int] = list(sg.inputs if sg.inputs is not None else [])
    for op in sg.operators or []:
        wanted.extend(int(i) for i in (op.outputs if op.outputs is not None else []) if i >= 0)
    out: dict[int, str] = {}
    for i in wanted:
        t = sg.tensors[i]
        buf = m.buffers[t.buffer] if t.buffer is not None and t.buffer < len(m.buffers) else None
        has_data = buf is not None and buf.data is not None and len(buf.data) > 0
        if t.type == f32 and not has_data:
            out[int(i)] = tensor_name(t)
    return out


def iterate_samples(samples: SampleSource) -> Iterable[list[np.ndarray]]:
    """Normalize the accepted sample forms to lists of float32 arrays, one per model input."""
    it = samples() if callable(samples) else samples
    for s in it:
        if isinstance(s, np.ndarray):
            s = [s]
        yield [np.asarray(x, dtype=np.float32) for x in s]


def collect_statistics(float_model: bytes, samples: SampleSource, *, progress: bool = False,
                       tensors: Sequence[int] | None = None) -> tuple[dict[int, TensorStats], dict[int, str]]:
    """Statistics of every activation tensor over ``samples`` (batch-1 lists of float32 arrays).

    Returns ``(stats, names)`` keyed by tensor index of ``float_model``.
    """
    names = activation_tensors(float_model)
    if tensors is not None:
        names = {i: names[i] for i in tensors if i in names}
    interp = Interpreter(float_model, resolver="builtin", preserve_all_tensors=True)
    want = [s.shape for s in interp.inputs]
    stats = {i: TensorStats() for i in names}
    it: Any = progress_bar(iterate_samples(samples), desc="calibrating", show=progress)  # terminals only
    n = 0
    for sample in it:
        _check_sample(sample, want, n)
        interp.run_float(sample)
        for i, st in stats.items():
            st.update(interp.tensor(i))
        n += 1
    if n == 0:
        raise DataError("calibration data is empty: give at least one sample (100-500 is typical)")
    return stats, names


def _check_sample(sample: list[np.ndarray], want: list[tuple[int, ...]], n: int) -> None:
    if len(sample) != len(want):
        raise DataError(f"calibration sample {n} has {len(sample)} arrays but the model has {len(want)} inputs: "
                        "yield one array per model input")
    for k, (x, shape) in enumerate(zip(sample, want)):
        if tuple(x.shape[1:]) != tuple(shape[1:]) or (x.ndim and x.shape[0] != 1):
            raise DataError(f"calibration sample {n} input {k} has shape {tuple(x.shape)}, the model needs "
                            f"(1, {', '.join(map(str, shape[1:]))}): yield batch-1 arrays of the input shape")
