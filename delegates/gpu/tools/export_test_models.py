"""Write the GPU delegate test models (tests/test_gpu_delegate.py cases) as .tflite files.

    python delegates/gpu/tools/export_test_models.py OUT_DIR

Needs TensorFlow (conversion). Pair with check_bitexact.py on a machine that only has
LiteRT, e.g. to check a new OpenCL driver.
"""
from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO))


def main(out: Path) -> None:
    import _opmodels as om
    import test_gpu_delegate as t

    out.mkdir(parents=True, exist_ok=True)
    for name, (build, kw, _ops) in t.CASES.items():
        fn, shapes = build()
        (out / f"{name}.tflite").write_bytes(om.convert(fn, shapes, **kw))
    for name, (build, _ops) in t.INT4_CASES.items():
        fn, shapes = build()
        (out / f"{name}.tflite").write_bytes(om.to_int4(om.convert(fn, shapes)))
    print(f"wrote {len(list(out.glob('*.tflite')))} models to {out}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
