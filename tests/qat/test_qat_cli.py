"""edgeq finetune on the command line, and the budget ladder's qat rung."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

import edgeq
from edgeq.datasets import Samples
from edgeq.qat import read_record


def test_finetune_then_convert_on_the_command_line(qat_assets, run_cli, tmp_path):
    out = tmp_path / "sep_qat.keras"
    r = run_cli("finetune", qat_assets.keras_path, "--data", qat_assets.train, "--eval-data", qat_assets.test,
                "--calib-data", qat_assets.calib, "-o", out, "--epochs", "1")
    assert r.code == 0, r.err
    assert "batch norm folded: bn1, bn2a" in r.out and "post-training" in r.out
    assert "predictions equal the fine-tuned model's on" in r.out
    rec = read_record(out)
    assert rec is not None and rec.weights == "int8" and rec.epochs == 1
    tfl = tmp_path / "sep_qat.tflite"
    r = run_cli("convert", out, "--data", qat_assets.calib, "-o", tfl)
    assert r.code == 0, r.err
    assert f"{len(rec.ranges)} of {len(rec.ranges)} activation ranges fixed as trained" in r.out
    assert tfl.stat().st_size > 0


def test_finetune_bad_input_is_one_line_and_writes_nothing(qat_assets, run_cli, tmp_path):
    with np.load(qat_assets.calib) as z:
        np.savez(tmp_path / "nolabels.npz", image=z["image"])
    out = tmp_path / "x.keras"
    r = run_cli("finetune", qat_assets.keras_path, "--data", tmp_path / "nolabels.npz", "-o", out)
    assert r.code == 2 and "training data has no labels" in r.err and "Traceback" not in r.err
    assert len(r.err.strip().splitlines()) == 1
    r = run_cli("finetune", qat_assets.keras_path, "--data", qat_assets.train, "-o", tmp_path / "x.tflite")
    assert r.code == 2 and "give a name ending in .keras" in r.err
    r = run_cli("finetune", qat_assets.calib, "--data", qat_assets.train, "-o", out)
    assert r.code == 2 and "takes a Keras model" in r.err
    assert list(tmp_path.iterdir()) == [tmp_path / "nolabels.npz"]


def test_ladder_qat_rung_is_measured_with_train_data(qat_assets):
    with np.load(qat_assets.test) as z:
        ev = Samples([z["image"][:200]], z["labels"][:200])
    # an impossible budget walks every rung: the qat row carries accuracy and size like the others
    r = edgeq.convert(qat_assets.keras_path, qat_assets.calib, eval_data=ev, max_accuracy_drop=-5.0,
                      train_data=qat_assets.train)
    trail = r.report["budget"]["trail"]
    steps = [t["step"] for t in trail]
    qat = [t for t in trail if t["step"].startswith("qat: ")]
    assert len(qat) == 1, steps
    row = qat[0]
    assert 0.5 < row["accuracy"] <= 1.0 and row["bytes"] > 0 and "drop_points" in row and row["qat_fixed_ranges"] > 0
    assert steps.index("int16 activations (whole model)") < steps.index(row["step"])
    assert r.report["model"]["fully_integer"]


def test_ladder_skips_qat_without_train_data():
    from edgeq.converter.budget import Ladder, _Skip, qat

    ladder = Ladder(SimpleNamespace(train=None), None)
    with pytest.raises(_Skip, match="--train-data"):
        next(qat(ladder))
