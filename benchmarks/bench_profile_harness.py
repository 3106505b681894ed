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
import json
import os
import platform
import socket
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

MINIMAL = {"warmup_runs": 1, "warmup_min_secs": 0.0, "min_runs": 1, "min_secs": 0.0, "rounds": 1,
           "memory": False, "energy_window_s": 0.0}
LATENCY = {"warmup_runs": 10, "warmup_min_secs": 0.2, "min_runs": 200, "min_secs": 1.0, "rounds": 3,
           "memory": False, "energy_window_s": 0.0}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_sshd(d: Path) -> tuple[subprocess.Popen, str]:
    for k in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / k)], check=True)
    (d / "authorized_keys").write_text((d / "user_key.pub").read_text())
    port = _port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n"
        f"AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\nPermitRootLogin prohibit-password\n"
        "StrictModes no\nUsePAM no\n")
    os.makedirs("/run/sshd", exist_ok=True)
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-f", str(d / "sshd_config")], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.05)
    host = (d / "host_key.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host[0]} {host[1]}\n")
    (d / "ssh_config").write_text(f"Host *\n  IdentityFile {d}/user_key\n  IdentitiesOnly yes\n"
                                  f"  UserKnownHostsFile {d}/known_hosts\n  StrictHostKeyChecking yes\n")
    os.environ["EDGEQ_SSH_OPTS"] = f"-F {d}/ssh_config"
    import getpass
    return proc, f"ssh://{getpass.getuser()}@127.0.0.1:{port}?python={sys.executable}"


def _start_adbd(d: Path) -> tuple[subprocess.Popen, str]:
    (d / "tmp").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "edgeq.lab.adbd", "--port", "0", "--tmpdir", str(d / "tmp")],
                            stdout=subprocess.PIPE, text=True)
    port = int(proc.stdout.readline().rsplit(":", 1)[1])
    os.environ["ANDROID_ADB_SERVER_PORT"] = str(_port())
    subprocess.run(["adb", "start-server"], check=True, capture_output=True)
    return proc, f"adb://127.0.0.1:{port}?python={sys.executable}"


def _start_board() -> tuple[subprocess.Popen, str, int]:
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "edgeq.lab.virtual_board", "--fd", str(master),
                             "--ram", "262144", "--flash", "1048576"], pass_fds=(master,))
    os.close(master)
    return proc, f"virtual-board@serial://{os.ttyname(slave)}", slave


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
        from profiling_helpers import build_int8_model
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
    board, serial_uri, slave = _start_board()
    uris = {"local": "local", "ssh": ssh_uri, "adb": adb_uri, "serial": serial_uri}
    walls: dict[str, list[float]] = {k: [] for k in uris}
    try:
        for _ in range(a.repeats):
            for name, uri in uris.items():
                walls[name].append(_wall(uri, model, ["none"], MINIMAL)[0])
    finally:
        subprocess.run(["adb", "kill-server"], capture_output=True)
        for p in (sshd, adbd, board):
            p.kill()
            p.wait()
        os.close(slave)
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
