#!/usr/bin/env python3
"""Classify images on an edge device with an int8 model: the runtime embedded, nothing else.

Deploy three files next to each other (no TensorFlow, no edgeq install needed on the device):

    classify.py            this script
    runtime.py             a copy of edgeq/runtime.py (picks LiteRT, tflite-runtime or tf.lite)
    model_int8.tflite      from `edgeq convert`   (+ labels.txt, one class name per line, optional)

and optionally libedgeq_cpu.so (built for the device: see delegates/README.md). Then:

    python3 classify.py model_int8.tflite photo.jpg [more.jpg ...] [--labels labels.txt]
                        [--delegate ./libedgeq_cpu.so] [--threads 2] [--top 3] [--normalize 0..1]

It prints one JSON line per image: the top classes with their scores, and how long inference took.
Needs numpy and pillow, plus one TFLite runtime (pip install ai-edge-litert, or tflite-runtime).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

try:  # inside the edgeq repo or an edgeq install
    from edgeq.runtime import EdgeqError, Interpreter
except ImportError:  # deployed: runtime.py copied beside this script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from runtime import EdgeqError, Interpreter  # type: ignore[no-redef]

SCALES = {"0..1": (1 / 255.0, 0.0), "-1..1": (1 / 127.5, -1.0), "0..255": (1.0, 0.0)}


def load_image(path: Path, shape: tuple[int, ...], normalize: str) -> np.ndarray:
    """Image file → float32 (1, H, W, C) in the model's input size and color mode."""
    from PIL import Image

    _, h, w, c = shape
    with Image.open(path) as im:
        im = im.convert("L" if c == 1 else "RGB").resize((w, h), Image.BILINEAR)
        x = np.asarray(im, dtype=np.float32)
    if x.ndim == 2:
        x = x[..., None]
    scale, offset = SCALES[normalize]
    return (x * scale + offset)[None]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", type=Path)
    ap.add_argument("images", type=Path, nargs="+")
    ap.add_argument("--labels", type=Path)
    ap.add_argument("--delegate", action="append", default=[], help="delegate library path (or 'cpu' in a repo)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--top", type=int, default=3)
    ap.add_argument("--normalize", choices=sorted(SCALES), default="0..1")
    args = ap.parse_args(argv)
    try:
        if not args.model.is_file():
            raise EdgeqError(f"model '{args.model}' does not exist: copy it next to this script")
        labels = args.labels.read_text().splitlines() if args.labels else None
        it = Interpreter(args.model.read_bytes(), delegates=args.delegate, num_threads=args.threads,
                         delegate_options={"num_threads": args.threads} if args.threads and args.delegate else None)
        spec = it.inputs[0]
        for path in args.images:
            if not path.is_file():
                raise EdgeqError(f"image '{path}' does not exist")
            x = load_image(path, spec.shape, args.normalize)
            t0 = time.perf_counter()
            scores = it.run_float([x])[0].reshape(-1)
            ms = (time.perf_counter() - t0) * 1e3
            top = np.argsort(-scores)[: args.top]
            print(json.dumps({"image": str(path), "ms": round(ms, 3), "runtime": it.describe()["runtime"],
                              "top": [{"class": int(k), "label": labels[k] if labels and k < len(labels) else None,
                                       "score": round(float(scores[k]), 4)} for k in top]}))
    except EdgeqError as e:
        print(f"classify: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
