"""Helpers of the profiling and lab tests: a tiny int8 model, free ports, short measurement windows."""
from __future__ import annotations

import os
import socket
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[2]


def build_int8_model(dest: Path, width: int = 8) -> Path:
    """A tiny conv net, converted from a SavedModel to full-integer TFLite with int8 I/O."""
    import tensorflow as tf
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((16, 16, 1)),
        keras.layers.Conv2D(width, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(4),
    ])
    saved = dest.parent / (dest.stem + "_saved")
    model.export(str(saved), verbose=False)
    conv = tf.lite.TFLiteConverter.from_saved_model(str(saved))
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    conv.representative_dataset = lambda: ([rng.standard_normal((1, 16, 16, 1)).astype(np.float32)]
                                           for _ in range(20))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    dest.write_bytes(conv.convert())
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: short measurement windows so the suite stays fast; the method is the same as the defaults
FAST = ["--warmup-runs", "2", "--warmup-secs", "0.05", "--min-runs", "20", "--min-secs", "0.1",
        "--rounds", "2", "--energy-window", "0.3", "--no-progress"]


TAP_PYTHON = r'''#!{real}
"""Stands in for the device's python: runs the agent for real, forwarding its output; after the
first finished configuration it touches FLAG, then SIGKILLs the agent (crash mode) or holds
its output back for 5 s (flag mode)."""
import os, subprocess, sys
REAL, FLAG, MODE = {real!r}, {flag!r}, {mode!r}
if len(sys.argv) < 2 or sys.argv[1] != "python_agent.py":
    os.execv(REAL, [REAL] + sys.argv[1:])
p = subprocess.Popen([REAL] + sys.argv[1:], stdout=subprocess.PIPE, text=True)
for line in p.stdout:
    sys.stdout.write(line)
    sys.stdout.flush()
    if '"event": "config"' in line and not os.path.exists(FLAG):
        open(FLAG, "w").close()
        if MODE == "crash":
            p.kill()
            p.wait()
            sys.exit(137)
        import time
        time.sleep(5)  # hold the rest back so the test can cut the link while the run is unfinished
sys.exit(p.wait())
'''


def tap_python(tmp: Path, mode: str) -> tuple[Path, Path]:
    """A python wrapper (see TAP_PYTHON) and the flag file it touches."""
    import sys
    flag = tmp / f"tap-{mode}.flag"
    script = tmp / f"tap-{mode}-python"
    script.write_text(TAP_PYTHON.format(real=sys.executable, flag=str(flag), mode=mode))
    script.chmod(0o755)
    return script, flag
