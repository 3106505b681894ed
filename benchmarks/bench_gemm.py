"""Speed of the qs8-gemm / qs8-qc4w-gemm micro-kernels, every ISA variant this host runs, side by side.

One command: ``.venv/bin/python benchmarks/bench_gemm.py``. Builds delegates/kernels with
its timing driver (Release, into build/bench_gemm), then for each shape runs the driver, which
packs one random problem per ISA and times the variants interleaved round by round (one
thread). Reports the median time of the rounds, GOPS (2*m*n*k / median) and the speed-up over
the portable scalar kernel, plus the one-off plan creation (weight packing) time, prints a
table and writes ``benchmarks/results/gemm.json``.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

from interleave import cpu_name

ROOT = Path(__file__).resolve().parents[1]
KERNELS_DIR = ROOT / "delegates" / "kernels"
RESULTS = ROOT / "benchmarks" / "results" / "gemm.json"

#: name → (m, n, k, weight bits): a transformer-sized FC layer decoded one token at a time,
#: a batched FC, and a MobileNet-style 3x3 conv (56x56 output, 64→64 channels) via im2col.
SHAPES = {
    "fc_1x4096x4096_int8": (1, 4096, 4096, 8),
    "fc_1x4096x4096_int4": (1, 4096, 4096, 4),
    "fc_64x1024x1024_int8": (64, 1024, 1024, 8),
    "fc_64x1024x1024_int4": (64, 1024, 1024, 4),
    "conv_3136x64x576_int8": (3136, 64, 576, 8),
    "conv_3136x64x576_int4": (3136, 64, 576, 4),
}


def build() -> Path:
    build_dir = ROOT / "build" / "bench_gemm"
    subprocess.run(["cmake", "-S", str(KERNELS_DIR), "-B", str(build_dir), "-DEDGEQ_KERNELS_BUILD_TESTS=ON",
                    "-DCMAKE_BUILD_TYPE=Release"], check=True, capture_output=True)
    subprocess.run(["cmake", "--build", str(build_dir), "-j2", "--target", "qs8-gemm-bench"],
                   check=True, capture_output=True)
    return build_dir / "qs8-gemm-bench"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9, help="timed rounds per shape (median reported)")
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args(argv)

    exe = build()
    rows = []
    for name, (m, n, k, bits) in SHAPES.items():
        proc = subprocess.run([str(exe), str(m), str(n), str(k), str(bits), str(args.runs)],
                              check=True, capture_output=True, text=True)
        res = json.loads(proc.stdout)
        ops = 2.0 * m * n * k
        medians = {isa: statistics.median(v["seconds"]) for isa, v in res["isas"].items()}
        for isa, v in res["isas"].items():
            med = medians[isa]
            rows.append({
                "shape": name, "m": m, "n": n, "k": k, "weight_bits": bits, "isa": isa,
                "median_ms": med * 1e3, "min_ms": min(v["seconds"]) * 1e3,
                "gops": ops / med / 1e9, "speedup_vs_scalar": medians["scalar"] / med,
                "weight_bytes": v["weight_bytes"], "pack_ms": v["pack_seconds"] * 1e3,
                "runs": len(v["seconds"]),
            })

    report = {
        "benchmark": "qs8-gemm / qs8-qc4w-gemm micro-kernels, single thread, interleaved rounds",
        "cpu": cpu_name(), "machine": platform.machine(), "runs": args.runs,
        "note": "single thread; median of interleaved rounds; GOPS = 2*m*n*k / median; "
                "pack_ms = one plan creation (weight packing)",
        "results": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, args.out)

    print(f"{report['cpu']} ({report['machine']}), {args.runs} rounds, median")
    print(f"{'shape':<24}{'isa':<12}{'median ms':>10}{'GOPS':>9}{'x scalar':>10}{'weight MB':>11}"
          f"{'pack ms':>9}")
    for r in rows:
        print(f"{r['shape']:<24}{r['isa']:<12}{r['median_ms']:>10.3f}{r['gops']:>9.1f}"
              f"{r['speedup_vs_scalar']:>10.1f}{r['weight_bytes'] / 2**20:>11.2f}{r['pack_ms']:>9.1f}")
    print(f"wrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
