"""Front ends: the same PyTorch nets converted from a torch.export program (.pt2) and from ONNX (.onnx).

torchvision-shaped nets built from plain torch.nn (tests/frontends/torch_models.py, random weights,
batch-norm statistics randomized): MobileNetV3-small and ResNet-18 (full width, 1000 classes) at
224x224, and a 4-layer transformer encoder (64 tokens x 128). Each is saved both ways from the
same module, then converted with edgeq.convert (per-channel int8, --calibration auto) on N(0, 1)
calibration arrays. Reported per model and path: fully integer yes/no, SQNR of the int8 model
against the source framework's float output (PyTorch for .pt2, onnxruntime for .onnx) on
held-out arrays, and the convert time (front end + calibration + quantization + checks, in this
process after a warm-up; --repeat rounds, the two paths alternating which goes first; median and all).

    nice -n 10 .venv/bin/python benchmarks/bench_frontends.py   # writes benchmarks/results/frontends.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "results" / "frontends.json"
sys.path.insert(0, str(ROOT / "tests" / "frontends"))


def nets(size: int) -> dict:
    import torch
    import torch_models as tm

    def make(name, ctor, shape):
        torch.manual_seed(0)
        return name, (tm._randomize_bn(ctor(), 0), shape)

    return dict([make("mobilenet_v3_small", lambda: tm.MobileNetV3Small(classes=1000), (3, size, size)),
                 make("resnet18", lambda: tm.ResNet18(w=64, classes=1000), (3, size, size)),
                 make("encoder", lambda: tm.Encoder(d=128, heads=4, depth=4), (64, 128))])


def save_both(net, x, folder: Path, name: str) -> dict[str, Path]:
    import torch

    pt2, onnx_path = folder / f"{name}.pt2", folder / f"{name}.onnx"
    torch.export.save(torch.export.export(net, (torch.from_numpy(x),)), pt2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(net, (torch.from_numpy(x),), str(onnx_path), dynamo=False, input_names=["x"],
                          output_names=["y"])
    return {"pt2": pt2, "onnx": onnx_path}


def source_float(kind: str, net, path: Path, ev: np.ndarray) -> np.ndarray:
    import torch

    if kind == "pt2":
        with torch.no_grad():
            return net(torch.from_numpy(ev)).numpy()
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return np.concatenate([sess.run(None, {"x": ev[i:i + 1]})[0] for i in range(len(ev))])


def convert_one(kind: str, net, path: Path, calib: np.ndarray, ev: np.ndarray, calibration: str) -> dict:
    import edgeq
    from edgeq.analysis.evaluate import sqnr_db
    from edgeq.datasets import Samples
    from edgeq.errors import EdgeqError
    from edgeq.runtime import Interpreter

    t0 = time.perf_counter()
    try:
        res = edgeq.convert(path, Samples([calib]), calibration=calibration)
    except EdgeqError as e:
        return {"path": kind, "converted": False, "error": str(e), "convert_s": round(time.perf_counter() - t0, 1)}
    seconds = time.perf_counter() - t0
    interp = Interpreter(res.model)
    got = np.concatenate([interp.run_float([ev[i:i + 1]])[0] for i in range(len(ev))])
    ref = source_float(kind, net, path, ev)
    rep = res.report
    return {"path": kind, "converted": True, "fully_integer": bool(rep["model"]["fully_integer"]),
            "non_integer_ops": rep["model"].get("non_integer_ops", []),
            "sqnr_db_vs_source_float": round(float(sqnr_db(ref.reshape(got.shape), got)), 1),
            "reference": "PyTorch" if kind == "pt2" else "onnxruntime",
            "convert_s": round(seconds, 1), "calibration_chosen": rep.get("calibration", {}).get("method"),
            "graph_rewrites": rep.get("graph_rewrites", {}), "int8_bytes": len(res.model),
            "source_bytes": path.stat().st_size, "inputs_assumed": rep["source"].get("inputs_assumed")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=224, help="image side of the two CNNs")
    ap.add_argument("--samples", type=int, default=32, help="calibration arrays")
    ap.add_argument("--eval", type=int, default=8, help="held-out arrays for SQNR")
    ap.add_argument("--models", default="mobilenet_v3_small,resnet18,encoder")
    ap.add_argument("--calibration", default="auto")
    ap.add_argument("--repeat", type=int, default=3, help="timed conversions per model and path")
    ap.add_argument("-o", "--output", type=Path, default=OUT)
    args = ap.parse_args()

    import onnx2tf
    import torch

    import edgeq
    from edgeq.atomic import write_text_atomic

    # warm-up: TensorFlow, torch and onnx2tf imported, the converters' first-call costs paid outside the timings
    edgeq.convert(torch.nn.Linear(4, 4).eval(), None, example_inputs=(torch.randn(1, 4),), activations="float")
    load0 = os.getloadavg()
    rows = []
    all_nets = nets(args.size)
    with tempfile.TemporaryDirectory(prefix="bench-frontends-") as tmp:
        for k, name in enumerate(args.models.split(",")):
            net, shape = all_nets[name]
            rng = np.random.default_rng(k)
            calib = rng.normal(size=(args.samples, *shape)).astype(np.float32)
            ev = rng.normal(size=(args.eval, *shape)).astype(np.float32)
            paths = save_both(net, calib[:1], Path(tmp), name)
            runs: dict[str, list[dict]] = {"pt2": [], "onnx": []}
            for r in range(args.repeat):
                order = ["pt2", "onnx"] if (k + r) % 2 == 0 else ["onnx", "pt2"]  # neither always runs first
                for kind in order:
                    runs[kind].append(convert_one(kind, net, paths[kind], calib, ev, args.calibration))
                    print(json.dumps({"model": name, **runs[kind][-1]}), flush=True)
            for kind in ("pt2", "onnx"):
                first = runs[kind][0]
                times = [x["convert_s"] for x in runs[kind]]
                rows.append({"model": name, "input_shape": [1, *shape], **first,
                             "convert_s": float(np.median(times)), "convert_s_runs": times,
                             "sqnr_same_every_run": len({x.get("sqnr_db_vs_source_float") for x in runs[kind]}) == 1})
    result = {
        "benchmark": "front ends: .pt2 (litert-torch) and .onnx (onnx2tf) of the same PyTorch nets, int8",
        "data": f"N(0,1) arrays: {args.samples} calibration, {args.eval} held out; random weights, seed 0",
        "calibration": args.calibration,
        "repeat": args.repeat,
        "versions": {"torch": torch.__version__, "onnx2tf": onnx2tf.__version__, "python": platform.python_version()},
        "machine": {"cpus": os.cpu_count(), "loadavg_start": [round(x, 1) for x in load0],
                    "loadavg_end": [round(x, 1) for x in os.getloadavg()],
                    "note": "shared 2-core machine: convert times are under that load"},
        "rows": rows,
    }
    write_text_atomic(args.output, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
