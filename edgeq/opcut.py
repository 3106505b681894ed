"""Cut one operator of a TFLite model out into a one-op model (int4 compatibility probes, opcheck)."""
from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from . import tflite_schema as ts


def cut_op(model: Any, op_index: int, *, shapes: Mapping[int, tuple[int, ...]] | None = None,
           name: str = "cut") -> tuple[bytes, list[int]]:
    """A one-op model holding op ``op_index`` of subgraph 0 with its tensors, quantization and constant
    buffers. A non-constant tensor named in ``shapes`` gets that static shape (what the real model had at
    run time); the others keep theirs. The cut's inputs are the op's non-constant inputs, its outputs all
    the op's outputs. Returns (model bytes, original indices of the cut's inputs in order)."""
    s = ts.schema()
    sg = model.subgraphs[0]
    op = sg.operators[op_index]
    out = s.ModelT()
    out.version = model.version
    out.description = f"edgeq {name}"
    out.buffers = [s.BufferT()]
    out.operatorCodes = [model.operatorCodes[op.opcodeIndex]]
    op_inputs = [int(t) for t in (op.inputs if op.inputs is not None else [])]
    ins = [t for t in op_inputs if t >= 0]
    outs = [int(t) for t in op.outputs]
    tensors, remap, feeds = [], {}, []
    for t_idx in ins + outs:
        if t_idx in remap:
            continue
        t = sg.tensors[t_idx]
        nt = s.TensorT()
        for k, v in vars(t).items():
            setattr(nt, k, v)
        data = model.buffers[t.buffer].data if t.buffer else None
        if data is not None and len(data):
            b = s.BufferT()
            b.data = data
            out.buffers.append(b)
            nt.buffer = len(out.buffers) - 1
        else:
            nt.buffer = 0
            if shapes is not None and t_idx in shapes:
                nt.shape = np.array(shapes[t_idx], np.int32)
                nt.shapeSignature = None
            if t_idx in ins:
                feeds.append(t_idx)
        nt.isVariable = False
        remap[t_idx] = len(tensors)
        tensors.append(nt)
    nop = s.OperatorT()
    for k, v in vars(op).items():
        setattr(nop, k, v)
    nop.opcodeIndex = 0
    nop.inputs = [remap[t] if t >= 0 else -1 for t in op_inputs]
    nop.outputs = [remap[t] for t in outs]
    nop.intermediates = None
    nsg = s.SubGraphT()
    nsg.tensors = tensors
    nsg.operators = [nop]
    nsg.inputs = [remap[t] for t in feeds]
    nsg.outputs = [remap[t] for t in outs]
    nsg.name = name
    out.subgraphs = [nsg]
    return ts.write_model(out), feeds
