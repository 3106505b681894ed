"""Kernel launches per invoke of the GPU delegate on .tflite models (each costs ~9 us on NVIDIA OpenCL).

    python benchmarks/gpu_launches.py MODEL_OR_DIR... [--platform P] [--json OUT]

Builds the delegate's partitions (every claimed node on the device: offload=all) without running the
model, and reads the report: nodes, nodes claimed, partitions, kernel launches per invoke (nodes fused
into another's kernel run none; a split-depth GEMM runs two), and which ops run no kernel of their own.
Needs only numpy, a TFLite runtime and the built delegate; on a machine without a GPU ask for PoCL
(``--platform Portable``). EDGEQ_DELEGATE_DIR picks the delegate build to count.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgeq.runtime import Interpreter, delegate_path  # noqa: E402


def count(path: Path, opts: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "r.json"
        Interpreter(path.read_bytes(), resolver="builtin", delegates=["gpu"],
                    delegate_options={**opts, "offload": "all", "report_path": str(report)})
        rep = json.loads(report.read_text())
    nodes = [n for p in rep["partitions"] for n in p["nodes"]]
    fused = collections.Counter(n["op"] for n in nodes if not n["kernels"])
    return {"nodes": len(rep["claimed"]) + len(rep["rejected"]), "on_gpu": len(rep["claimed"]),
            "partitions": len(rep["partitions"]), "launches": sum(len(n["kernels"]) for n in nodes),
            "nodes_without_kernel": dict(sorted(fused.items()))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--platform")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    opts = {"platform": a.platform} if a.platform else {}
    paths = [q for p in a.models for q in (sorted(p.glob("*.tflite")) if p.is_dir() else [p])]
    out = {"delegate": str(delegate_path("gpu")), "models": {}}
    for p in paths:
        out["models"][p.stem] = r = count(p, opts)
        print(f"{p.stem:32} nodes {r['nodes']:4} on gpu {r['on_gpu']:4} partitions {r['partitions']} "
              f"launches {r['launches']:4} no kernel: {r['nodes_without_kernel']}", flush=True)
    if a.json:
        a.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
