"""How informative each suite model's outputs are at benchmark sizes: distinct values and share at the
zero point of the model output, its logits and (where those collapse) the deepest tensor that does not
(edgeq.suite.informative), on the probe's random int8 inputs (seed 1) and on the suite's own inputs,
builtin kernels.

    python benchmarks/suite_output_spread.py [OUT.json]   # default benchmarks/results/suite_output_spread.json

Random-weight keras nets give a softmax of one value (-128) everywhere: equal outputs prove nothing there.
"""
from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
OUT = Path(__file__).resolve().parent / "results" / "suite_output_spread.json"


def measure(name: str, size: int, variant: str) -> dict:
    import numpy as np

    from edgeq import suite
    from edgeq import tflite_schema as ts
    from edgeq.runtime import Interpreter
    from edgeq.suite.informative import informative_tensors, logits_tensor, spread, with_outputs
    from edgeq.suite.probe import fixed_inputs

    t0 = time.time()
    m = suite.get(name, size, variant)
    it = Interpreter(m.bytes, resolver="builtin")
    xs = fixed_inputs(it)
    extra = informative_tensors(m.bytes, xs)
    it2 = Interpreter(with_outputs(m.bytes, extra), resolver="builtin")
    outs, k = it2.run(xs), len(it.outputs)
    model = ts.read_model(m.bytes)
    lg = logits_tensor(model)
    row = {"output": spread(outs[0], it2.outputs[0].zero_point)}
    for t, o, sp in zip(extra, outs[k:], it2.outputs[k:]):
        label = "logits" if t == lg else \
            f"deepest informative: {ts.tensor_name(model.subgraphs[0].tensors[t])[:60]}"
        row[label] = spread(o, sp.zero_point)
    xq = [sp.quantize(np.asarray(x).reshape(sp.shape)) for sp, x in zip(it.inputs, m.inputs(1))]
    row["suite_inputs"] = [spread(o, sp.zero_point)["distinct"] for o, sp in zip(it2.run(xq), it2.outputs)]
    row["seconds"] = round(time.time() - t0, 1)
    return row


def main() -> int:
    from edgeq import suite

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT
    rows = {}
    for n in suite.CORE:
        s = suite.spec(n)
        sizes = [4096] if n == "mlp" else sorted({s.bench_size, s.armcount_size})
        for size in sizes:
            for v in (("int8", "int4") if n == "mlp" else ("int8",)):
                rows[f"{n}:{v}@{size}"] = measure(n, size, v)
                print(f"{n}:{v}@{size}", json.dumps(rows[f'{n}:{v}@{size}']), flush=True)
    out.write_text(json.dumps({"what": __doc__.split("\n\n")[0].replace("\n", " "), "models": rows}, indent=1) + "\n")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
