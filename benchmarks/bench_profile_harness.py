"""Benchmark of the profiling harness itself, side by side in one run.

1. Model latency by delegate on this host, measured by the harness (median of each run's
   steady-state median, over --repeats runs), with the xnnpack/none ratio.
2. Harness overhead per transport: wall time of a minimal profile (1 run, no memory/energy
   passes) over local, ssh (a private sshd on 127.0.0.1), adb (edgeq's adbd + a private adb
   server) and serial (the virtual board on a pty); medians over --repeats, ratio to local.

Writes benchmarks/results/profile_harness.json. Needs sshd, ssh-keygen and adb installed.
Usage: python benchmarks/bench_profile_harness.py [--model M.tflite] [--repeats 3]
"""
from __future__ import annotations

import argparse
import getpass
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "profiling"))

from edgeq.profiling.devices import resolve_device  # noqa: E402
from edgeq.profiling.profile import run_profile  # noqa: E402
from profiling_helpers import (Adbd, VirtualBoard, build_int8_model, free_port, ssh_client_config,  # noqa: E402
                               start_sshd)

MINIMAL = {"warmup_runs": 1, "warmup_min_secs": 0.0, "min_runs": 1, "min_secs": 0.0, "rounds": 1,
           "memory": False, "energy_window_s": 0.0}
LATENCY = {"warmup_runs": 10, "warmup_min_secs": 0.2, "min_runs": 200, "min_secs": 1.0, "rounds": 3,
           "memory": False, "energy_window_s": 0.0}


def _start_sshd(d: Path) -> tuple[subprocess.Popen, str]:
    proc, port = start_sshd(d)
    os.environ["EDGEQ_SSH_OPTS"] = f"-F {ssh_client_config(d)}"
    return proc, f"ssh://{getpass.getuser()}@127.0.0.1:{port}?python={sys.executable}"


def _start_adbd(d: Path) -> tuple[Adbd, str]:
    os.environ["ANDROID_ADB_SERVER_PORT"] = str(free_port())
    subprocess.run(["adb", "start-server"], check=True, capture_output=True)  # makes ~/.android/adbkey if absent
    adbd = Adbd(d / "tmp", Path.home() / ".android" / "adbkey.pub")
    return adbd, f"adb://127.0.0.1:{adbd.port}?python={sys.executable}"


def _wall(uri: str, model: Path, delegates: list[str], opts: dict) -> tuple[float, dict]:
    t0 = time.perf_counter()
    rep = run_profile(model, [resolve_device(uri)], delegates, [1], opts, show_progress=False)
    wall = time.perf_counter() - t0
    dev = rep["devices"][0]
    if dev["status"] != "ok":
        raise SystemExit(f"{uri}: {dev['error']}")
    return wall, dev


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="edgeq-bench-"))
    if a.model:
        model = Path(a.model)
    else:
        model = build_int8_model(work / "tiny_int8.tflite", width=32)
    result: dict = {"benchmark": "profile_harness", "host": platform.node(), "machine": platform.machine(),
                    "cpu_count": os.cpu_count(), "model": str(model), "model_bytes": model.stat().st_size,
                    "repeats": a.repeats}

    # 1. latency by delegate, as the harness measures it (both configs in every run, interleaved)
    per = {"none/t1": [], "xnnpack/t1": []}
    for _ in range(a.repeats):
        _, dev = _wall("local", model, ["none", "xnnpack"], LATENCY)
        for c in dev["configs"]:
            per[c["label"]].append(c["steady"]["median"])
    med = {k: statistics.median(v) for k, v in per.items()}
    result["latency_ms"] = {"per_run_medians": per, "median": med,
                            "ratio_xnnpack_over_none": med["xnnpack/t1"] / med["none/t1"]}

    # 2. harness overhead per transport, all started here, measured in one interleaved loop
    sshd, ssh_uri = _start_sshd(work)
    adbd, adb_uri = _start_adbd(work)
    board = VirtualBoard(ram=262144, flash=1048576)  # the virtual-board profile's limits
    serial_uri = f"virtual-board@serial://{board.path}"
    uris = {"local": "local", "ssh": ssh_uri, "adb": adb_uri, "serial": serial_uri}
    walls: dict[str, list[float]] = {k: [] for k in uris}
    try:
        for _ in range(a.repeats):
            for name, uri in uris.items():
                walls[name].append(_wall(uri, model, ["none"], MINIMAL)[0])
    finally:
        subprocess.run(["adb", "kill-server"], capture_output=True)
        sshd.kill()
        sshd.wait()
        adbd.stop()
        board.stop()
    wmed = {k: statistics.median(v) for k, v in walls.items()}
    result["overhead_s"] = {"per_run": walls, "median": wmed,
                            "ratio_to_local": {k: v / wmed["local"] for k, v in wmed.items()},
                            "note": "serial includes the hex model upload at 31 bytes per command over a pty"}
    import shutil
    shutil.rmtree(work, ignore_errors=True)
    out = REPO / "benchmarks" / "results" / "profile_harness.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(result, indent=1))
    os.replace(tmp, out)
    print(json.dumps({"latency_ms": result["latency_ms"]["median"],
                      "ratio_xnnpack_over_none": result["latency_ms"]["ratio_xnnpack_over_none"],
                      "overhead_s": wmed, "ratio_to_local": result["overhead_s"]["ratio_to_local"]}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
