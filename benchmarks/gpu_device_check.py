"""Check and time the GPU delegate on a machine that has a GPU but no TensorFlow.

Two steps, because GPU machines (and phones) rarely have TensorFlow:

    # here, with TensorFlow: convert the models and record LiteRT reference outputs
    python benchmarks/gpu_device_check.py export --out ASSETS

    # on the GPU machine: numpy + a LiteRT runtime + the built delegates only
    python benchmarks/gpu_device_check.py run --assets ASSETS --out RESULT.json [--platform NAME]

``run`` compares every model's outputs through the GPU delegate with LiteRT's reference
kernels on the same inputs (bit-exact is the claim), separates the first run's kernel
compile time from cached starts, and times edgeq-gpu, edgeq-cpu and LiteRT's default
path (XNNPACK) in interleaved, shuffled rounds (medians; ratios from the same run).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import numpy as np  # noqa: E402

CHECK_INPUTS = 8


def export(out: Path, quick: bool, mlp_width: int) -> None:
    """Convert the benchmark models (needs TensorFlow) and store inputs and reference outputs."""
    import edgeq
    from edgeq import zoo
    from edgeq.datasets import Samples
    from edgeq.runtime import Interpreter

    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    models = {}
    sys.path.insert(0, str(REPO / "apps" / "demo"))
    import digits
    import model as demo_model

    keras_path = demo_model.train(out / "digits.keras", epochs=20)
    calib = digits.load_splits()["calib"][0]
    models["digits_cnn"] = edgeq.convert(keras_path, Samples([calib])).model
    ms = zoo.mobilenet_style()
    models["mobilenet_style_32"] = edgeq.convert(ms, Samples([rng.random((16, 32, 32, 3), np.float32)])).model
    res = 96 if quick else 224
    mv2 = zoo.mobilenet_v2((res, res, 3))
    models[f"mobilenet_v2_{res}"] = edgeq.convert(mv2, Samples([rng.random((4, res, res, 3), np.float32)])).model
    width = 1024 if quick else mlp_width
    mlp = zoo.mlp(inputs=width, hidden=width, layers=3)
    r = edgeq.convert(mlp, Samples([rng.standard_normal((8, width)).astype(np.float32)]))
    models[f"mlp{width}_int8"] = r.model
    try:
        from edgeq.int4 import to_int4

        models[f"mlp{width}_int4"] = to_int4(r.model, float_model=r.float_model)[0]
    except ImportError:
        pass
    manifest = {}
    for name, data in models.items():
        path = out / f"{name}.tflite"
        path.write_bytes(data)
        it = Interpreter(data, resolver="builtin")
        xs = [rng.integers(-128, 128, (CHECK_INPUTS, *s.shape[1:])).astype(s.dtype) for s in it.inputs]
        np.save(out / f"{name}.x.npy", xs[0])
        # LiteRT's reference kernels abort (SIGABRT, no message) while preparing some large models
        # (our int8 MobileNet-V2 with its classifier): record them in a child process so we can tell
        ok = _reference_outputs(path, out / f"{name}.x.npy", out / f"{name}.y.npy")
        manifest[name] = {"bytes": len(data), "inputs": [list(s.shape) for s in it.inputs], "reference": ok}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    print(f"exported {len(models)} models to {out}")


def _reference_outputs(model: Path, x_path: Path, y_path: Path) -> bool:
    import subprocess

    code = ("import sys, numpy as np; sys.path.insert(0, %r); from edgeq.runtime import Interpreter; "
            "it = Interpreter(open(%r, 'rb').read(), resolver='reference'); x = np.load(%r); "
            "np.save(%r, np.concatenate([it.run([x[i:i + 1]])[0] for i in range(len(x))]))"
            % (str(REPO), str(model), str(x_path), str(y_path)))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=1200)
    return res.returncode == 0


def _interp(model: bytes, path: str, opts: dict, threads: int = 1):
    from edgeq.runtime import Interpreter

    if path == "gpu":
        return Interpreter(model, resolver="builtin", delegates=["gpu"], delegate_options=opts)
    if path == "gpu-ref":
        return Interpreter(model, resolver="reference", delegates=["gpu"], delegate_options=opts)
    if path == "cpu":
        return Interpreter(model, resolver="builtin", delegates=["cpu"], delegate_options={"num_threads": threads},
                           num_threads=threads)
    return Interpreter(model, resolver="default", num_threads=threads)


def run(assets: Path, out: Path, platform: str | None, rounds: int, min_time: float) -> dict:
    from edgeq.runtime import DelegateError, Interpreter, delegate_path, find_runtime

    manifest = json.loads((assets / "manifest.json").read_text())
    cache = Path(tempfile.mkdtemp(prefix="edgeq-cl-cache-"))
    base_opts = {"cache_dir": str(cache)}
    if platform:
        base_opts["platform"] = platform
    try:
        delegate_path("cpu")
        have_cpu = True
    except DelegateError:
        have_cpu = False
    result: dict = {"runtime": find_runtime().describe(), "gpu_delegate": str(delegate_path("gpu")),
                    "method": "interleaved shuffled rounds; medians of all timed inferences", "models": {}}
    for name in manifest:
        model = (assets / f"{name}.tflite").read_bytes()
        xs = np.load(assets / f"{name}.x.npy")
        ys = np.load(assets / f"{name}.y.npy") if manifest[name]["reference"] else None
        entry: dict = {}
        # 1. correctness: the GPU delegate against BUILTIN_REF outputs recorded on the exporting machine
        report1 = cache / f"{name}.cold.json"
        t0 = time.perf_counter()
        kind = "gpu-ref" if ys is not None else "gpu"  # LiteRT's reference SOFTMAX aborts on some models
        g = _interp(model, kind, {**base_opts, "report_path": str(report1)})
        entry["create_cold_ms"] = 1e3 * (time.perf_counter() - t0)
        got = np.concatenate([g.run([xs[i:i + 1]])[0] for i in range(len(xs))])
        if ys is not None:
            entry["bit_exact_vs_reference"] = bool(np.array_equal(got, ys))
            entry["max_abs_diff"] = int(np.abs(got.astype(np.int32) - ys.astype(np.int32)).max())
        else:
            entry["bit_exact_vs_reference"] = None  # LiteRT's reference kernels cannot run this model
        del g
        try:
            entry["delegate_report_cold"] = json.loads(report1.read_text())
        except (OSError, ValueError):
            entry["delegate_report_cold"] = None
        report2 = cache / f"{name}.warm.json"
        t0 = time.perf_counter()
        g2 = _interp(model, kind, {**base_opts, "report_path": str(report2)})
        entry["create_warm_ms"] = 1e3 * (time.perf_counter() - t0)
        g2.run([xs[:1]])
        del g2
        try:
            entry["delegate_report_warm"] = json.loads(report2.read_text())
        except (OSError, ValueError):
            entry["delegate_report_warm"] = None
        # 2. latency, interleaved
        paths = ["gpu", "xnnpack"] + (["cpu"] if have_cpu else [])
        interps = {p: _interp(model, p, base_opts) for p in paths}
        samples: dict[str, list[float]] = {p: [] for p in paths}
        x = [xs[:1]]
        for it in interps.values():
            for _ in range(3):
                it.run(x)
        rng = random.Random(len(name))
        for _ in range(rounds):
            order = list(paths)
            rng.shuffle(order)
            for p in order:
                t_end = time.perf_counter() + min_time
                while True:
                    t0 = time.perf_counter()
                    interps[p].run(x)
                    samples[p].append(time.perf_counter() - t0)
                    if time.perf_counter() >= t_end:
                        break
        entry["median_ms"] = {p: 1e3 * statistics.median(v) for p, v in samples.items()}
        entry["runs"] = {p: len(v) for p, v in samples.items()}
        med = entry["median_ms"]
        entry["ratios"] = {f"gpu/{p}": med["gpu"] / med[p] for p in paths if p != "gpu"}
        result["models"][name] = entry
        print(f"{name:<22} exact={entry['bit_exact_vs_reference']} cold={entry['create_cold_ms']:.0f}ms "
              f"warm={entry['create_warm_ms']:.0f}ms " + " ".join(f"{p}={v:.3f}ms" for p, v in med.items()),
              flush=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1, default=str))
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    e = sub.add_parser("export")
    e.add_argument("--out", type=Path, required=True)
    e.add_argument("--quick", action="store_true")
    e.add_argument("--mlp-width", type=int, default=2048,
                   help="hidden width of the FC-heavy MLP (2048 keeps int8+int4 under the device transfer limit)")
    r = sub.add_parser("run")
    r.add_argument("--assets", type=Path, required=True)
    r.add_argument("--out", type=Path, required=True)
    r.add_argument("--platform", default=os.environ.get("EDGEQ_GPU_PLATFORM"))
    r.add_argument("--rounds", type=int, default=5)
    r.add_argument("--min-time", type=float, default=0.3)
    args = ap.parse_args(argv)
    if args.cmd == "export":
        export(args.out, args.quick, args.mlp_width)
    else:
        run(args.assets, args.out, args.platform, args.rounds, args.min_time)
    return 0


if __name__ == "__main__":
    sys.exit(main())
