"""INT4 weights: accuracy and size of float / int8 / int4-nearest / int4-GPTQ / mixed (1-point budget).

Four small Keras models trained briefly on the UCI digits (sklearn.datasets.load_digits,
reproducible seeds): the demo-like CNN on 8×8 inputs, and MobileNet-style (depthwise
separable), residual and attention models on 16×16 upsampled digits / row tokens.
The mixed model is chosen on a validation split; every accuracy reported is on the
held-out test split, run by LiteRT's default resolver.

    .venv/bin/python benchmarks/bench_int4.py         # writes benchmarks/results/int4.json
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from edgeq.atomic import write_text_atomic  # noqa: E402
from edgeq.int4.keras_export import keras_to_tflite  # noqa: E402
from edgeq.int4.mixed import mixed_precision  # noqa: E402
from edgeq.int4.transform import emit_int4, plan_int4  # noqa: E402
from edgeq.runtime import Interpreter, find_runtime  # noqa: E402

OUT = Path(__file__).resolve().parent / "results" / "int4.json"
SEED = 0
EPOCHS = 25
BUDGET_POINTS = 1.0


def digits():
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    idx = np.random.default_rng(SEED).permutation(len(x))
    x, y = x[idx], y[idx]
    # train 1200 / validation 250 (calibration, GPTQ, mixed choice) / test 347
    return (x[:1200], y[:1200]), (x[1200:1450], y[1200:1450]), (x[1450:], y[1450:])


def upsample(x):
    return np.repeat(np.repeat(x, 2, axis=1), 2, axis=2)


def build(name: str):
    import keras
    from keras import layers as L

    keras.utils.set_random_seed(SEED)
    if name == "digits_cnn":  # the demo-like model
        i = keras.Input((8, 8, 1))
        h = L.Conv2D(16, 3, padding="same", activation="relu", name="conv1")(i)
        h = L.Conv2D(32, 3, strides=2, padding="same", activation="relu", name="conv2")(h)
        h = L.Flatten()(h)
        h = L.Dense(64, activation="relu", name="fc1")(h)
        o = L.Dense(10, name="logits")(h)
        return keras.Model(i, o), (lambda x: x[..., None])
    if name == "mobilenet_style":
        i = keras.Input((16, 16, 1))
        h = L.Conv2D(32, 3, strides=2, padding="same", activation="relu6", name="stem")(i)
        for k, (c, s) in enumerate([(64, 1), (128, 2), (128, 1), (256, 2)]):
            h = L.DepthwiseConv2D(3, strides=s, padding="same", activation="relu6", name=f"dw{k}")(h)
            h = L.Conv2D(c, 1, activation="relu6", name=f"pw{k}")(h)
        h = L.GlobalAveragePooling2D()(h)
        o = L.Dense(10, name="logits")(h)
        return keras.Model(i, o), (lambda x: upsample(x)[..., None])
    if name == "residual":
        i = keras.Input((16, 16, 1))
        h = L.Conv2D(32, 3, padding="same", activation="relu", name="stem")(i)
        for k in range(2):
            r = L.Conv2D(32, 3, padding="same", activation="relu", name=f"res{k}a")(h)
            r = L.Conv2D(32, 3, padding="same", name=f"res{k}b")(r)
            h = L.ReLU()(L.Add()([h, r]))
            h = L.MaxPooling2D()(h)
        h = L.Flatten()(h)
        h = L.Dense(128, activation="relu", name="fc")(h)
        o = L.Dense(10, name="logits")(h)
        return keras.Model(i, o), (lambda x: upsample(x)[..., None])
    if name == "attention":  # 8 row tokens of 8 pixels
        i = keras.Input((8, 8))
        h = L.Dense(64, name="embed")(i)
        a = L.MultiHeadAttention(num_heads=2, key_dim=32, name="mha")(h, h)
        h = L.LayerNormalization(name="ln")(L.Add()([h, a]))
        f = L.Dense(128, activation="relu", name="ffn1")(h)
        f = L.Dense(64, name="ffn2")(f)
        h = L.Add()([h, f])
        h = L.Flatten()(h)
        o = L.Dense(10, name="logits")(h)
        return keras.Model(i, o), (lambda x: x)
    raise ValueError(name)


def accuracy(model: bytes, x: np.ndarray, y: np.ndarray) -> float:
    out = Interpreter(model).run_float([x])[0]
    return 100.0 * float(np.mean(np.argmax(out.reshape(len(x), -1), axis=1) == y))


def sqnr_db(model: bytes, float_model: bytes, x: np.ndarray) -> float:
    """Output SQNR against the float model: finer than accuracy on an easy task."""
    ref = Interpreter(float_model).run_float([x])[0].astype(np.float64)
    out = Interpreter(model).run_float([x])[0].astype(np.float64)
    return round(10.0 * float(np.log10(np.sum(ref ** 2) / max(np.sum((out - ref) ** 2), 1e-30))), 2)


def bench(name: str, data) -> dict:
    import keras

    (xtr, ytr), (xva, yva), (xte, yte) = data
    model, prep = build(name)
    xtr, xva, xte = prep(xtr), prep(xva), prep(xte)
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    t = time.perf_counter()
    model.fit(xtr, ytr, epochs=EPOCHS, batch_size=64, verbose=0)
    train_s = time.perf_counter() - t
    known = [layer.name for layer in model.layers]
    f, q8 = keras_to_tflite(model, xva)
    row: dict = {"model": name, "train_s": round(train_s, 1), "params": int(model.count_params())}
    row["float"] = {"accuracy": accuracy(f, xte, yte), "bytes": len(f)}
    row["int8"] = {"accuracy": accuracy(q8, xte, yte), "bytes": len(q8), "sqnr_db": sqnr_db(q8, f, xte)}
    for rounding in ("nearest", "gptq"):
        t = time.perf_counter()
        plan = plan_int4(q8, float_model=f, rounding=rounding, samples=xva, known_layers=known)
        m4, rep = emit_int4(plan)
        key = "int4_nearest" if rounding == "nearest" else "int4_gptq"
        row[key] = {"accuracy": accuracy(m4, xte, yte), "bytes": len(m4), "sqnr_db": sqnr_db(m4, f, xte),
                    "transform_s": round(time.perf_counter() - t, 2),
                    "int4_layers": len(rep["int4_layers"]), "kept_int8": rep["kept_int8"],
                    "weight_bytes_by_type": rep["weight_bytes_by_type"]["int4_model"]}
        if rounding == "gptq":
            gptq_plan = plan
            # the op × runtime × resolver verification each layer passed (or failed) before being emitted
            row["runtime_checks"] = {r["layer"]: {"op": r["op"], "shape": r["shape"], **r.get("checks", {})}
                                     for r in rep["layers"]}
    t = time.perf_counter()
    mixed, mrep = mixed_precision(q8, f, xva, yva, max_accuracy_drop=BUDGET_POINTS, plan=gptq_plan, show_table=False)
    row["mixed"] = {"accuracy": accuracy(mixed, xte, yte), "bytes": len(mixed), "sqnr_db": sqnr_db(mixed, f, xte),
                    "select_s": round(time.perf_counter() - t, 2),
                    "budget_points": BUDGET_POINTS, "int4_layers": mrep["int4_layers"],
                    "validation": {"float": mrep["float_value"], "int8": mrep["int8_value"],
                                   "mixed": mrep["final_value"]},
                    "pareto": mrep["pareto"]}
    # the accuracy budget never binds on digits; an SQNR budget halfway between int8 and all-int4
    # (on validation) exercises a binding choice
    mid = (sqnr_db(q8, f, xva) + sqnr_db(emit_int4(gptq_plan)[0], f, xva)) / 2
    sq, srep = mixed_precision(q8, f, xva, min_sqnr_db=mid, plan=gptq_plan, show_table=False)
    row["mixed_sqnr_mid"] = {"accuracy": accuracy(sq, xte, yte), "bytes": len(sq), "sqnr_db": sqnr_db(sq, f, xte),
                             "budget_min_sqnr_db": round(mid, 2), "int4_layers": srep["int4_layers"],
                             "validation_sqnr_db": round(srep["final_value"], 2), "pareto": srep["pareto"],
                             "weight_bytes_by_type": srep["weight_bytes_by_type"]["int4_model"]}
    row["weight_bytes_int8_model"] = rep["weight_bytes_by_type"]["int8_model"]
    _, mixed_rep = emit_int4(gptq_plan, mrep["int4_layers"])
    row["mixed"]["weight_bytes_by_type"] = mixed_rep["weight_bytes_by_type"]["int4_model"]
    i8 = row["int8"]["bytes"]
    w8 = sum(row["weight_bytes_int8_model"].values())
    for k in ("float", "int4_nearest", "int4_gptq", "mixed", "mixed_sqnr_mid"):
        row[k]["size_vs_int8"] = round(row[k]["bytes"] / i8, 3)
        if k != "float":
            row[k]["weight_bytes_vs_int8"] = round(sum(row[k]["weight_bytes_by_type"].values()) / w8, 3)
        row[k]["drop_vs_float_points"] = round(row["float"]["accuracy"] - row[k]["accuracy"], 2)
    row["int8"]["drop_vs_float_points"] = round(row["float"]["accuracy"] - row["int8"]["accuracy"], 2)
    return row


def main(argv: list[str]) -> int:
    import keras
    import tensorflow as tf

    names = argv or ["digits_cnn", "mobilenet_style", "residual", "attention"]
    data = digits()
    rows = []
    for n in names:
        print(f"== {n}", file=sys.stderr, flush=True)
        rows.append(bench(n, data))
    goals = {}
    for r in rows:
        if r["model"] in ("digits_cnn", "mobilenet_style"):
            goals[f"{r['model']}: int4-gptq within 2 points of float"] = r["int4_gptq"]["drop_vs_float_points"] <= 2.0
        goals[f"{r['model']}: mixed within {BUDGET_POINTS} point of float (test split)"] = \
            r["mixed"]["drop_vs_float_points"] <= BUDGET_POINTS
        goals[f"{r['model']}: mixed <= 60% of int8 size (file)"] = r["mixed"]["size_vs_int8"] <= 0.60
    result = {"benchmark": "int4", "seed": SEED, "epochs": EPOCHS, "data": "sklearn load_digits, 1200/250/347 split",
              "runtime": find_runtime().describe(), "resolver": "default",
              "versions": {"tensorflow": tf.__version__, "keras": keras.__version__,
                           "python": platform.python_version()},
              "machine": platform.machine(), "models": rows, "goals_met": goals}
    write_text_atomic(OUT, json.dumps(result, indent=2, default=float) + "\n")
    hdr = (f"{'model':16} {'variant':15} {'acc %':>7} {'drop':>6} {'SQNR dB':>8} {'bytes':>8} {'vs int8':>7} "
           f"{'weights vs int8':>15}")
    print(hdr)
    for r in rows:
        for k in ("float", "int8", "int4_nearest", "int4_gptq", "mixed", "mixed_sqnr_mid"):
            v = r[k]
            wv = v.get("weight_bytes_vs_int8", 1.0 if k == "int8" else None)
            sq = v.get("sqnr_db", "")
            print(f"{r['model']:16} {k:15} {v['accuracy']:7.2f} {v['drop_vs_float_points']:6.2f} {sq:>8} "
                  f"{v['bytes']:8} {v['bytes'] / r['int8']['bytes']:7.3f} {'' if wv is None else f'{wv:.3f}':>15}")
    for g, ok in goals.items():
        print(f"{'MET ' if ok else 'MISS'} {g}")
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
