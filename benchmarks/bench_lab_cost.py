"""What ``edgeq lab`` costs in wall time: a cold start (rootfs built from nothing) vs. warm starts (cached).

Run as root: ``.venv/bin/python benchmarks/bench_lab_cost.py [--warm-runs 3] [--cold]``.
Warm: ``edgeq lab start`` then ``edgeq lab stop`` several times with the cached rootfs, medians
reported. Cold (``--cold``, tens of minutes on two cores): one start with an empty cache dir
(``EDGEQ_LAB_CACHE`` pointed at a fresh temp folder), so debootstrap, the emulated second
stage, the wheel and the delegate cross-build all run; one run only, it is that expensive.
Writes ``benchmarks/results/lab_cost.json`` (merging with earlier results of the other kind).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "lab_cost.json"
EDGEQ = [sys.executable, "-m", "edgeq.cli", "lab"]


def _timed(env: dict, cmd: str) -> float:
    t0 = time.perf_counter()
    p = subprocess.run([*EDGEQ, cmd], env=env, capture_output=True, text=True, timeout=7200)
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"edgeq lab {cmd} failed: {p.stderr.strip()[-2000:]}")
    return dt


def start_stop(env: dict) -> tuple[float, float]:
    try:
        up = _timed(env, "start")
    finally:
        down = _timed(env, "stop")
    return up, down


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warm-runs", type=int, default=3)
    ap.add_argument("--cold", action="store_true", help="also time one start with an empty cache (slow)")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root: the lab needs namespaces and mounts")
    result = json.loads(OUT.read_text()) if OUT.is_file() else {}
    result["host"] = {"cpus": os.cpu_count(), "machine": os.uname().machine}
    with tempfile.TemporaryDirectory(prefix="edgeq-lab-bench-") as tmp:
        base = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", EDGEQ_LAB_DIR=str(Path(tmp) / "state"))
        if a.cold:
            cold_env = dict(base, EDGEQ_LAB_CACHE=str(Path(tmp) / "cache"))
            up, down = start_stop(cold_env)
            marker = json.loads((Path(tmp) / "cache" / "rootfs-arm64" / ".edgeq-rootfs.json").read_text())
            result["cold"] = {"runs": 1, "start_s": round(up, 1), "stop_s": round(down, 1),
                              "rootfs_build_s": marker["build_s"], "start_min": round(up / 60, 2)}
            shutil.rmtree(Path(tmp) / "cache", ignore_errors=True)
        _timed(base, "start")  # make sure the shared cache is built before timing warm starts
        _timed(base, "stop")
        ups, downs = [], []
        for _ in range(a.warm_runs):
            up, down = start_stop(base)
            ups.append(up)
            downs.append(down)
        result["warm"] = {"runs": a.warm_runs, "start_s_median": round(statistics.median(ups), 1),
                          "stop_s_median": round(statistics.median(downs), 1),
                          "start_s_all": [round(x, 1) for x in ups], "stop_s_all": [round(x, 1) for x in downs]}
    if "cold" in result:
        result["cold_over_warm_start"] = round(result["cold"]["start_s"] / result["warm"]["start_s_median"], 1)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = OUT.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(result, indent=1) + "\n")
    os.replace(tmp_out, OUT)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
