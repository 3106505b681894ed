"""Re-runs issue 12's measured probes against this checkout and writes benchmarks/results/reliability_probes.json:

* ``edgeq inspect``'s reader on N seeded byte mutations of a small int8 model: how many are read, refused in one
  line, or end in a traceback;
* edgeq's adbd under a 100 MiB write flood from an authenticated raw host (RSS growth, connection dropped), and
  under 300 idle connections (threads held, how many were refused at once, threads left after the handshake
  deadline).

Usage: python benchmarks/reliability_probes.py [--mutants 600]
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "profiling"))
sys.path.insert(0, str(REPO / "tests" / "convert"))

from profiling_helpers import Adbd, RawAdb, adb_private_key, build_mixed_model, rss_kib, threads_of  # noqa: E402
from test_fuzz_models import byte_mutants  # noqa: E402


def inspect_fuzz(model: Path, n: int) -> dict:
    from edgeq.analysis.model_info import summarize
    from edgeq.errors import EdgeqError
    counts = {"read": 0, "refused": 0, "traceback": 0}
    kinds: dict[str, int] = {}
    for blob in byte_mutants(model.read_bytes(), n, seed=12):
        try:
            summarize(blob)
            counts["read"] += 1
        except EdgeqError:
            counts["refused"] += 1
        except Exception:  # noqa: BLE001 - what the probe counts
            counts["traceback"] += 1
            k = traceback.format_exc().strip().splitlines()[-1].split(":")[0]
            kinds[k] = kinds.get(k, 0) + 1
    return {"mutants": n, **counts, "traceback_kinds": kinds}


def adbd_probes(d: Path) -> dict:
    subprocess.run(["adb", "keygen", str(d / "key")], check=True, capture_output=True)
    adbd = Adbd(d / "root", d / "key.pub", "--handshake-timeout", "3")
    try:
        key = adb_private_key(d / "key")
        raw = RawAdb(adbd.port)
        assert raw.connect(key)[0] == b"CNXN"
        raw.send(b"OPEN", 7, 0, b"sync:\0")
        local = raw.recv()[1]
        base = rss_kib(adbd.proc.pid)
        sent = 0
        try:
            for _ in range(400):
                raw.send(b"WRTE", 7, local, b"\0" * (256 * 1024))
                sent += 1
        except OSError:
            pass
        while raw.recv() is not None:
            pass
        flood = {"offered_mib": 100, "sent_before_drop_mib": sent / 4, "rss_growth_mib": (rss_kib(adbd.proc.pid) - base) / 1024}
        t0 = threads_of(adbd.proc.pid)
        socks = [socket.create_connection(("127.0.0.1", adbd.port)) for _ in range(300)]
        time.sleep(1.0)
        held = threads_of(adbd.proc.pid) - t0
        refused = 0
        for s in socks:
            s.settimeout(0.2)
            try:
                refused += s.recv(1) == b""
            except (TimeoutError, socket.timeout):
                pass
            except ConnectionResetError:
                refused += 1
        time.sleep(4.0)
        idle = {"connections": 300, "threads_held": held, "refused_at_once": refused,
                "threads_left_after_handshake_deadline": threads_of(adbd.proc.pid) - t0}
        for s in socks:
            s.close()
        return {"write_flood": flood, "idle_connections": idle}
    finally:
        adbd.stop()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mutants", type=int, default=600)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        model = build_mixed_model(d / "mixed_int8.tflite")
        out = {"inspect_fuzz": inspect_fuzz(model, args.mutants), "adbd": adbd_probes(d),
               "machine": {"cores": os.cpu_count(), "load_1min": os.getloadavg()[0]}}
    dest = REPO / "benchmarks" / "results" / "reliability_probes.json"
    dest.write_text(json.dumps(out, indent=1) + "\n")
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
