"""The embedding example runs as deployed: three files in a folder, no edgeq package importable."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np

import edgeq
from edgeq.runtime import Interpreter

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_classify_app_deployed_standalone(demo, tmp_path):
    from PIL import Image

    app = tmp_path / "device_app"
    app.mkdir()
    result = edgeq.convert(demo.keras_path, demo.calib)
    (app / "model_int8.tflite").write_bytes(result.model)
    shutil.copy(os.path.join(REPO, "apps", "classify", "classify.py"), app)
    shutil.copy(os.path.join(REPO, "edgeq", "runtime.py"), app)
    (app / "labels.txt").write_text("\n".join(f"digit {i}" for i in range(10)))
    with np.load(demo.test) as z:
        images, labels = z["image"][:5], z["labels"][:5]
    paths = []
    for i, img in enumerate(images):
        p = app / f"{i}.png"
        Image.fromarray((img[..., 0] * 255).round().astype(np.uint8)).save(p)
        paths.append(p)
    # as on a device: no .pth processing (-S), so the edgeq package (editable or not) is not importable;
    # only the third-party packages of this environment are on the path
    import sysconfig

    env = {**os.environ, "PYTHONPATH": sysconfig.get_paths()["purelib"]}
    probe = subprocess.run([sys.executable, "-S", "-c", "import edgeq.runtime"], capture_output=True, cwd=str(app),
                           env=env, timeout=60)
    assert probe.returncode != 0  # the app really runs on the copied runtime.py
    res = subprocess.run([sys.executable, "-S", str(app / "classify.py"), str(app / "model_int8.tflite"),
                          *map(str, paths), "--labels", str(app / "labels.txt")],
                         capture_output=True, text=True, cwd=str(app), env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    # the same answers as the int8 model gives through edgeq on the same pixels
    ref = Interpreter(result.model)
    for row, p in zip(rows, paths):
        x = np.asarray(Image.open(p), np.float32)[None, ..., None] / 255.0
        assert row["top"][0]["class"] == int(ref.run_float([x])[0].argmax())
        assert row["top"][0]["label"] == f"digit {row['top'][0]['class']}"
    assert sum(r["top"][0]["class"] == lb for r, lb in zip(rows, labels)) >= 4
