"""The QAT tests' model and data, trained once per session."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
EPOCHS = 30


@dataclass
class Assets:
    keras_path: Path
    train: Path
    calib: Path
    test: Path


@pytest.fixture(scope="session")
def qat_assets(tmp_path_factory) -> Assets:
    sys.path.insert(0, str(REPO / "apps" / "demo"))
    import digits
    import model as demo_model

    d = tmp_path_factory.mktemp("qat")
    keras_path = demo_model.train(d / "sep.keras", epochs=EPOCHS, builder=demo_model.build_separable, seed=1)
    paths = digits.write_npz(d)
    np.savez(d / "train.npz", image=digits.load_splits()["train"][0], labels=digits.load_splits()["train"][1])
    return Assets(keras_path, d / "train.npz", paths["calib"], paths["test"])
