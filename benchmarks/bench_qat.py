"""Quantization-aware training against post-training quantization, int8 and int4 weights, same model and data.

Models: the demo's separable CNN variant (``apps/demo/model.py build_separable``, batch norms and
depthwise-separable blocks, where post-training int4 costs points) and the demo CNN itself, both
trained deterministically on the demo's digits split (1347 train / 200 calibration / 450 test).
Per model and weight precision: post-training ``edgeq.convert`` (default options: auto calibration,
equalization, GPTQ for int4) and ``edgeq finetune`` (``--epochs``) then ``edgeq convert`` of its
output; accuracy on the 450 held-out samples by LiteRT's builtin kernels, converted-vs-fake-quant
agreement, model sizes and the seconds each step took (this machine is shared: load is recorded).

    .venv/bin/python benchmarks/bench_qat.py [--epochs 3] [--models separable,demo]  # benchmarks/results/qat.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "apps" / "demo"))

import numpy as np  # noqa: E402

OUT = REPO / "benchmarks" / "results" / "qat.json"
#: model name → (builder attribute in apps/demo/model.py, float training epochs, seed)
MODELS = {"separable": ("build_separable", 30, 1), "demo": ("build", 60, None)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3, help="QAT epochs")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--weights", default="int8,int4")
    ap.add_argument("-o", "--output", default=str(OUT))
    args = ap.parse_args()

    import digits
    import model as demo_model

    import edgeq
    from edgeq.atomic import write_text_atomic
    from edgeq.qat import finetune

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-qat-") as tmp:
        d = Path(tmp)
        paths = digits.write_npz(d)
        x, y = digits.load_splits()["train"]
        np.savez(d / "train.npz", image=x, labels=y)
        for name in args.models.split(","):
            builder, epochs, seed = MODELS[name]
            t = time.perf_counter()
            kp = demo_model.train(d / f"{name}.keras", epochs=epochs, builder=getattr(demo_model, builder), seed=seed)
            train_s = time.perf_counter() - t
            for w in args.weights.split(","):
                t = time.perf_counter()
                ptq = edgeq.convert(kp, paths["calib"], eval_data=paths["test"], weights=w)
                ptq_s = time.perf_counter() - t
                o = ptq.report["evaluation"]["outputs"][0]
                t = time.perf_counter()
                ft = finetune(kp, d / "train.npz", eval_data=paths["test"], calib_data=paths["calib"], weights=w,
                              epochs=args.epochs)
                ft_s = time.perf_counter() - t
                qp = ft.save(d / f"{name}_{w}_qat.keras")
                t = time.perf_counter()
                qat = edgeq.convert(qp, paths["calib"], eval_data=paths["test"])
                qat_s = time.perf_counter() - t
                q = qat.report["evaluation"]["outputs"][0]
                row = {"model": name, "weights": w, "float_accuracy": o["float_accuracy"],
                       "ptq_accuracy": o["quant_accuracy"], "ptq_bytes": len(ptq.model),
                       "ptq_calibration": ptq.report["calibration"]["method"],
                       "qat_fake_quant_accuracy_before": ft.report["fake_quant_accuracy_before"],
                       "qat_fake_quant_accuracy": ft.report["fake_quant_accuracy_after"],
                       "qat_accuracy": q["quant_accuracy"], "qat_bytes": len(qat.model),
                       "qat_agreement_with_fake_quant": ft.report["converted"]["agreement_with_fake_quant"],
                       "qat_int4_layers": list(ft.record.int4_layers), "qat_epochs": args.epochs,
                       "folded_batch_norm": ft.report["folded_batch_norm"],
                       "seconds": {"float_training": round(train_s, 1), "ptq_convert": round(ptq_s, 1),
                                   "finetune": round(ft_s, 1), "qat_convert": round(qat_s, 1)}}
                rows.append(row)
                print(f"{name:9s} {w}: float {100 * row['float_accuracy']:.2f}%  PTQ {100 * row['ptq_accuracy']:.2f}%  "
                      f"QAT {100 * row['qat_accuracy']:.2f}%  (agreement {100 * row['qat_agreement_with_fake_quant']:.2f}%,"
                      f" {row['qat_bytes']} B)", flush=True)
    result = {"benchmark": "bench_qat", "eval_samples": 450, "train_samples": int(len(y)), "calibration_samples": 200,
              "host": {"machine": platform.machine(), "cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0]},
              "versions": {"edgeq": edgeq.__version__}, "rows": rows}
    write_text_atomic(Path(args.output), json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
