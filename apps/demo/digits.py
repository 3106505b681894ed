"""The demo's data: the UCI handwritten digits that scikit-learn ships (1,797 8x8 images).

Split reproducibly into train / calibration / held-out test sets and saved as .npz
files in the layout ``edgeq convert`` reads (``image`` array plus ``labels``).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

SEED = 1234


def load_splits() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{'train', 'calib', 'test'} → (images (N, 8, 8, 1) float32 in 0..1, labels int64)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[..., None]  # pixel values are 0..16
    y = d.target.astype(np.int64)
    order = np.random.default_rng(SEED).permutation(len(x))
    x, y = x[order], y[order]
    test = slice(0, 450)  # held out: never seen by training or calibration
    calib = slice(450, 650)  # calibration samples come from the training distribution
    train = slice(450, None)
    return {"train": (x[train], y[train]), "calib": (x[calib], y[calib]), "test": (x[test], y[test])}


def write_npz(folder: Path) -> dict[str, Path]:
    """Write calib.npz and test.npz for the CLI; returns their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    splits = load_splits()
    paths = {}
    for name in ("calib", "test"):
        x, y = splits[name]
        p = folder / f"{name}.npz"
        np.savez(p, image=x, labels=y)
        paths[name] = p
    return paths
