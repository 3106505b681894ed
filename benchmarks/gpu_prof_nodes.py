"""Per-node device time of the GPU delegate (OpenCL profiling events), for finding which kernels dominate.

    python benchmarks/gpu_prof_nodes.py OUT.json MODEL... [--platform P] [--runs N]

Every claimed node on the device (offload=all), profile=1; after 3 warm-up invokes and N timed ones (default 10)
it reads the report: each node's device time of the last run, its op and kernels. Writes per model the top 40
nodes [us, node, op, kernels], device time by kernel (a node's kernels joined by '+') and by op, the launches, and
the median wall time per invoke with profiling on (events cost time: not the model's speed; gpu_suite.py is).
Needs only numpy, a TFLite runtime and the built delegate (the device kit's environment). On the H200 in session
6 it showed EfficientNetV2B0's 7x7x1152 1x1 convs on the direct kernel at ~38 us each
(benchmarks/results/gpu_prof_nodes_h200_s6_gpu3.json).
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from edgeq.runtime import Interpreter  # noqa: E402


def profile(path: Path, opts: dict, runs: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        rp = Path(tmp) / "r.json"
        it = Interpreter(path.read_bytes(), resolver="builtin", delegates=["gpu"],
                         delegate_options={**opts, "offload": "all", "profile": "1", "report_path": str(rp)})
        rng = np.random.default_rng(0)
        x = [rng.integers(-128, 128, size=s.shape).astype(s.dtype) if np.issubdtype(s.dtype, np.integer)
             else rng.standard_normal(s.shape).astype(s.dtype) for s in it.inputs]
        for _ in range(3):
            it.run(x)
        wall = []
        for _ in range(runs):
            t0 = time.perf_counter()
            it.run(x)
            wall.append((time.perf_counter() - t0) * 1e3)
        rep = json.loads(rp.read_text())
    by_kernel, by_op, rows = collections.Counter(), collections.Counter(), []
    for n in (n for p in rep["partitions"] for n in p["nodes"]):
        us = (n.get("device_ns") or 0) / 1e3
        kernels = [k["kernel"] for k in n["kernels"]]
        if kernels:
            by_kernel["+".join(kernels)] += us
        by_op[n["op"]] += us
        rows.append((round(us, 2), n["node"], n["op"], kernels))
    rows.sort(reverse=True)
    return {"wall_ms_median_profiled": round(float(np.median(wall)), 3),
            "device_us_total": round(sum(r[0] for r in rows), 1),
            "launches": sum(p["launches"] for p in rep["partitions"]),
            "by_kernel_us": {k: round(v, 1) for k, v in by_kernel.most_common()},
            "by_op_us": {k: round(v, 1) for k, v in by_op.most_common()},
            "top_nodes": rows[:40]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("models", type=Path, nargs="+")
    ap.add_argument("--platform")
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args()
    opts = {"platform": a.platform} if a.platform else {}
    res = {}
    for p in a.models:
        res[p.stem] = r = profile(p, opts, a.runs)
        print(f"{p.stem}: {r['device_us_total']} us device, {r['launches']} launches, top kernels "
              f"{list(r['by_kernel_us'].items())[:5]}", flush=True)
        a.out.write_text(json.dumps({"models": res}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
