"""The QAT tests' model and data, trained once per session."""
from __future__ import annotations

import os
import subprocess
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

    d = tmp_path_factory.mktemp("qat")
    # trained in a fresh process: the demo's single-threaded, deterministic TensorFlow settings only take before
    # TensorFlow first runs, and earlier tests in this process have run it (multi-threaded training gives another
    # model, one that loses too little to post-training int4 to test recovery)
    keras_path = d / "sep.keras"
    code = ("import sys; from pathlib import Path; sys.path.insert(0, sys.argv[1]); import model; "
            "model.train(Path(sys.argv[2]), epochs=int(sys.argv[3]), builder=model.build_separable, seed=1)")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    r = subprocess.run([sys.executable, "-c", code, str(REPO / "apps" / "demo"), str(keras_path), str(EPOCHS)],
                       capture_output=True, text=True, timeout=900, env=env)
    assert r.returncode == 0, r.stderr[-3000:]
    paths = digits.write_npz(d)
    np.savez(d / "train.npz", image=digits.load_splits()["train"][0], labels=digits.load_splits()["train"][1])
    return Assets(keras_path, d / "train.npz", paths["calib"], paths["test"])
