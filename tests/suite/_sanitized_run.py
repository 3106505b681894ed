"""Run one model with a sanitized libedgeq_cpu (libasan preloaded by the caller), no TensorFlow.

python _sanitized_run.py LIB MODEL [BATCH ...]: loads the delegate (2 threads), runs the model once on
random int8 inputs at its own shape, then at each extra batch size (a resize: the kernels rebuild),
and prints one JSON line with the output shapes and how many nodes the delegate claimed and declined (a
delegate that claims nothing runs no kernel to check). Undefined behaviour or a memory error aborts the
process with the report on stderr."""
import json
import os
import sys
import tempfile

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType, load_delegate

lib, model, *batches = sys.argv[1:]
report = os.path.join(tempfile.mkdtemp(prefix="edgeq-asan-"), "claims.json")
it = Interpreter(model_path=model,
                 experimental_delegates=[load_delegate(lib, {"num_threads": "2", "report_path": report})],
                 experimental_op_resolver_type=OpResolverType.BUILTIN)
with open(report) as f:
    claims = json.load(f)
it.allocate_tensors()
rng = np.random.default_rng(0)
shapes = []
for batch in [None, *map(int, batches)]:
    for d in it.get_input_details():
        shape = list(d["shape"]) if batch is None else [batch, *d["shape"][1:]]
        if batch is not None:
            it.resize_tensor_input(d["index"], shape)
    if batch is not None:
        it.allocate_tensors()
    for d in it.get_input_details():
        info = np.iinfo(d["dtype"]) if np.issubdtype(d["dtype"], np.integer) else None
        x = (rng.integers(max(info.min, -128), min(info.max, 127) + 1, d["shape"]) if info
             else rng.standard_normal(d["shape"]))
        it.set_tensor(d["index"], x.astype(d["dtype"]))
    it.invoke()
    shapes.append([int(v) for v in it.get_tensor(it.get_output_details()[0]["index"]).shape])
print(json.dumps({"output_shapes": shapes, "claimed": len(claims.get("claimed") or []),
                  "declined": len(claims.get("rejected") or [])}))
