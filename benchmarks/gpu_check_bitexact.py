"""Run .tflite models through BUILTIN_REF alone and with the edgeq GPU delegate; compare.

    python benchmarks/gpu_check_bitexact.py MODEL_DIR_OR_FILE... [--platform P] [--device D] [--integer-dot MODE]

Needs only numpy, a TFLite runtime and the built delegate (no TensorFlow): the check to run
on a new OpenCL device, e.g. on the delegate test models that
``python tests/delegates/delegate_cases.py OUT_DIR`` writes on a machine with TensorFlow.
Prints one line per model and exits 1 if any output differs or a model's nodes did not run on
the device. A model ending in SOFTMAX also has its logits compared (edgeq.suite.informative): the
softmax of a random-weight net is one value everywhere; each line says how many distinct values the
compared outputs had.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgeq.runtime import Interpreter  # noqa: E402
from edgeq.suite.informative import informative_tensors, spread, with_outputs  # noqa: E402


def _inputs(ref: Interpreter, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, size=s.shape).astype(s.dtype) if np.issubdtype(s.dtype, np.integer)
            else rng.standard_normal(s.shape).astype(s.dtype) for s in ref.inputs]


def check(path: Path, opts: dict, tmp: Path) -> tuple[bool, str, bool]:
    """(equal and ran on the device, one line, weak: every compared output too uniform to tell)."""
    model = path.read_bytes()
    # a random-weight classifier's SOFTMAX is -128 everywhere: compare its logits (or, where they
    # collapse, the deepest tensor that does not) as extra outputs too
    extra = informative_tensors(model, _inputs(Interpreter(model, resolver="builtin"), 0))
    if extra:
        model = with_outputs(model, extra)
    report = tmp / f"{path.stem}.json"
    ref = Interpreter(model, resolver="reference")
    gpu = Interpreter(model, resolver="reference", delegates=["gpu"],
                      delegate_options={**opts, "report_path": str(report)})
    ok, worst, distinct, weak = True, 0, [], True
    for seed in (0, 1):
        x = _inputs(ref, seed)
        for a, b, sp in zip(ref.run(x), gpu.run(x), ref.outputs):
            sd = spread(a, sp.zero_point)
            weak &= sd["degenerate"]
            distinct.append(sd["distinct"])
            d = np.abs(a.astype(np.int32) - b.astype(np.int32))
            worst = max(worst, int(d.max()) if d.size else 0)
            ok &= bool(np.array_equal(a, b))
    rep = json.loads(report.read_text())
    ran = sum(p["invocations"] > 0 for p in rep["partitions"])
    claimed = sorted({c["op"] for c in rep["claimed"]})
    ok &= rep["status"] == "ok" and ran == len(rep["partitions"]) and bool(claimed)
    return ok, (f"max diff {worst}, claimed {','.join(claimed) or '-'}, {ran} partition(s) ran, {rep['message']}, "
                f"distinct values per compared output {distinct[:len(ref.outputs)]}"
                + (" (WEAK: no compared output is informative)" if weak else "")), weak


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("models", type=Path, nargs="+", help=".tflite files or folders of them")
    ap.add_argument("--platform")
    ap.add_argument("--device")
    ap.add_argument("--integer-dot", default=None)
    ap.add_argument("--offload", default=None,
                    help="all: every partition on the device (the test models are too small for the offload model)")
    args = ap.parse_args()
    opts = {k: v for k, v in (("platform", args.platform), ("device", args.device),
                              ("integer_dot", args.integer_dot), ("offload", args.offload)) if v}
    bad = weak = 0
    with tempfile.TemporaryDirectory() as tmp:
        opts.setdefault("cache_dir", str(Path(tmp) / "cache"))
        paths = [q for p in args.models for q in (sorted(p.glob("*.tflite")) if p.is_dir() else [p])]
        for path in paths:
            ok, detail, w = check(path, opts, Path(tmp))
            bad += not ok
            weak += w
            print(f"{'OK  ' if ok else 'FAIL'} {path.stem:28} {detail}", flush=True)
    print(f"{bad} failing model(s), {weak} whose compared outputs are all degenerate (equality there proves little)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
