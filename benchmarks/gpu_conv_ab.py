"""Direct vs tiled int8 CONV_2D on the device (EDGEQ_GPU_CONV_KERNEL), per model: interleaved end-to-end
medians of the choices (auto = the size rule; tiled splits the depth of few-tile layers, tiled_whole never:
EDGEQ_GPU_KSPLIT=1) and each CONV_2D node's device time (profile=1,
OpenCL events), with its kernel's global size and ops. Needs only numpy, LiteRT and the built delegate.

    python benchmarks/gpu_conv_ab.py OUT.json MODEL.tflite...
"""
import json, os, random, statistics, sys, tempfile, time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from edgeq.runtime import Interpreter  # noqa: E402

MODES = ("auto", "direct", "tiled", "tiled_whole")
if len(sys.argv) < 3:
    sys.exit("usage: python benchmarks/gpu_conv_ab.py OUT.json MODEL.tflite...")
tmp = Path(tempfile.mkdtemp())
res = {}


def make(model, mode, **extra):
    os.environ["EDGEQ_GPU_CONV_KERNEL"] = {"auto": "", "tiled_whole": "tiled"}.get(mode, mode)
    os.environ["EDGEQ_GPU_KSPLIT"] = "1" if mode == "tiled_whole" else ""
    return Interpreter(model, resolver="builtin", delegates=["gpu"],
                       delegate_options={"cache_dir": str(tmp / "cache"), **extra})


for p in map(Path, sys.argv[2:]):
    model = p.read_bytes()
    its = {m: make(model, m) for m in MODES}
    x = [np.random.default_rng(1).integers(-128, 128, s.shape).astype(s.dtype) for s in its["auto"].inputs]
    for it in its.values():
        for _ in range(3):
            it.run(x)
    samples = {m: [] for m in MODES}
    rng = random.Random(0)
    for _ in range(9):
        order = list(MODES)
        rng.shuffle(order)
        for m in order:
            for _ in range(5):
                t0 = time.perf_counter()
                its[m].run(x)
                samples[m].append(time.perf_counter() - t0)
    entry = {"e2e_median_ms": {m: 1e3 * statistics.median(s) for m, s in samples.items()}, "nodes": {}}
    for m in MODES:
        rp = tmp / f"{p.stem}_{m}.json"
        it = make(model, m, profile="1", report_path=str(rp))
        for _ in range(6):
            it.run(x)
        rep = json.loads(rp.read_text())
        prof = {n["node"]: n["ms"] for n in rep["op_profile"]["nodes"]}
        conv_ms = 0.0
        for part in rep["partitions"]:
            for n in part["nodes"]:
                if n["op"] != "CONV_2D":
                    continue
                k = n["kernels"][0] if n["kernels"] else {}
                k = dict(k, kernel="+".join(x["kernel"] for x in n["kernels"]))
                e = entry["nodes"].setdefault(str(n["node"]), {"ops": k.get("ops")})
                e[m] = {"ms": prof.get(n["node"]), "kernel": k.get("kernel"), "global": k.get("global")}
                conv_ms += prof.get(n["node"]) or 0.0
        entry.setdefault("conv_device_ms", {})[m] = conv_ms
        del it
    res[p.stem] = entry
    faster = sum(1 for e in entry["nodes"].values() if e["direct"]["ms"] < e["tiled"]["ms"])
    print(p.stem, json.dumps({k: {m: round(v, 3) for m, v in d.items()} for k, d in entry.items() if k != "nodes"}),
          f"direct faster on {faster}/{len(entry['nodes'])} conv nodes", flush=True)
    Path(sys.argv[1]).write_text(json.dumps(res, indent=1))
