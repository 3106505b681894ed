"""The serial link against a scripted board on a pty: known laps (the timing arithmetic), a board that never stops
talking (the deadline holds), malformed answers (one device's error, the others kept), a bare serial:// URI."""
from __future__ import annotations

import os
import threading
import time

import pytest

from edgeq.profiling.devices import resolve_device
from edgeq.profiling.profile import run_profile

LAP_US = 2500          # what one inference takes on the scripted board
T0 = (1 << 32) - 4000  # its µs counter wraps during the first 'infer'
OPTS = {"warmup_runs": 2, "warmup_min_secs": 0.0, "min_runs": 5, "min_secs": 0.0, "max_secs": 5.0, "rounds": 1,
        "energy_window_s": 0.3, "check_timeout_s": 2.0}


class ScriptedBoard:
    """MLPerf Tiny's serial protocol on the master side of a pty, with laps of exactly LAP_US per inference.

    ``fault`` (command, kind): on that command the board answers with endless slow lines, a flood of lines,
    bytes with no newline (slow or flooding), or a malformed lap / arena line."""

    def __init__(self, fault: tuple[str, str] | None = None):
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.fault = fault
        self.clock = T0
        self.expect = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _send(self, lines: list[str]) -> None:
        os.write(self.master, "".join(ln + "\r\n" for ln in lines).encode())

    def _babble(self, kind: str) -> None:
        t_end = time.monotonic() + 30
        while not self.stop.is_set() and time.monotonic() < t_end:
            try:
                if kind == "slow-lines":
                    self._send(["m-still-working"])
                    time.sleep(0.05)
                elif kind == "line-flood":
                    self._send(["m-still-working"] * 200)
                elif kind == "slow-bytes":
                    os.write(self.master, b"x")
                    time.sleep(0.02)
                else:  # byte flood, never a newline
                    os.write(self.master, b"x" * 1024)
            except OSError:
                return

    def _answer(self, cmd: str) -> list[str] | None:
        op = cmd.split()
        name = op[0]
        if self.fault and self.fault[0] == name and self.fault[1] not in ("bad-lap", "bad-arena"):
            self._babble(self.fault[1])
            return None
        if name == "name":
            return ["m-name-dut-[scripted]"]
        if name == "profile":
            return ["m-profile-[scripted-fw]", "m-model-[custom]"]
        if name in ("model", "db") and op[1] == "load":
            self.expect = int(op[2])
            return [f"m-[Expecting {self.expect} bytes]"]
        if name == "db":
            self.expect -= len(op[1]) // 2
            if self.expect > 0:
                return []
            return ["m-load-done", "m-model-ready-arena-4096-init-us-1500"]
        if name == "infer":
            n = int(op[1])
            t0 = self.clock & 0xFFFFFFFF
            self.clock += n * LAP_US
            t1 = self.clock & 0xFFFFFFFF
            if self.fault == ("infer", "bad-lap") and self.clock > T0 + 3 * LAP_US:
                t1 = f"{t1}x"
            return [f"m-warmup-start-{op[2]}", "m-warmup-done", f"m-infer-start-{n}", f"m-lap-us-{t0}",
                    f"m-lap-us-{t1}", "m-infer-done", "m-results-[1,2]"]
        if name == "arena":
            return ["m-arena-used-lots" if self.fault == ("arena", "bad-arena") else "m-arena-used-3000"]
        return [f"e-[unknown command '{name}']"]

    def _serve(self) -> None:
        pending = b""
        while not self.stop.is_set():
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                return
            if not chunk:
                return
            pending += chunk
            while b"%" in pending:
                raw, pending = pending.split(b"%", 1)
                lines = self._answer(raw.decode().strip())
                if lines is None:
                    return
                self._send(lines + ["m-ready"])

    def close(self) -> None:
        self.stop.set()
        for fd in (self.master, self.slave):
            try:
                os.close(fd)
            except OSError:
                pass


@pytest.fixture
def boards():
    made: list[ScriptedBoard] = []
    yield lambda fault=None: made.append(ScriptedBoard(fault)) or made[-1]
    for b in made:
        b.close()


def _run(model, *bs: ScriptedBoard) -> list[dict]:
    devs = [resolve_device(f"virtual-board@serial://{b.path}") for b in bs]
    return run_profile(model, devs, ["none"], [1], OPTS, show_progress=False)["devices"]


def test_timings_are_the_boards_laps_divided_by_the_run_count(boards, tiny_model):
    dev = _run(tiny_model, boards())[0]
    assert dev["status"] == "ok", dev["error"]
    c = dev["configs"][0]
    lap_ms = LAP_US / 1e3
    assert c["first_inference_ms"] == pytest.approx(lap_ms)  # across the counter's wrap
    assert c["steady"]["samples_ms"] and all(s == pytest.approx(lap_ms) for s in c["steady"]["samples_ms"])
    assert c["steady"]["median"] == pytest.approx(lap_ms)
    assert c["window"]["inferences"] == 5 and c["window"]["mean_ms"] == pytest.approx(lap_ms)
    assert c["load_ms"] == pytest.approx(1.5) and c["memory"]["arena_bytes"] == 3000


@pytest.mark.parametrize("fault, want", [
    (("name", "slow-lines"), "no complete answer to 'name' within 2 s: the board sent"),
    (("profile", "slow-bytes"), "no complete answer to 'profile' within 2 s: the board sent"),
    (("name", "line-flood"), "ran past 10000 lines"),
    (("infer", "byte-flood"), "line over 4096 bytes"),
])
def test_a_board_that_keeps_talking_cannot_hang_the_run(boards, tiny_model, fault, want):
    t0 = time.monotonic()
    dev = _run(tiny_model, boards(fault))[0]
    assert time.monotonic() - t0 < 15
    assert dev["status"] in ("failed", "incomplete") and want in dev["error"], dev["error"]
    assert "\n" not in dev["error"]


@pytest.mark.parametrize("fault, want", [(("infer", "bad-lap"), "malformed answer line 'm-lap-us-"),
                                         (("arena", "bad-arena"), "malformed answer line 'm-arena-used-lots'")])
def test_a_malformed_line_fails_that_device_only(boards, tiny_model, fault, want):
    bad, good = boards(fault), boards()
    devs = _run(tiny_model, bad, good)
    assert devs[0]["status"] in ("failed", "incomplete") and want in devs[0]["error"], devs[0]["error"]
    assert "\n" not in devs[0]["error"]
    assert devs[1]["status"] == "ok" and devs[1]["configs"][0]["steady"]["median"] == pytest.approx(LAP_US / 1e3)


def test_bare_serial_uri_profiles_a_working_board(boards, tiny_model):
    b = boards()
    rep = run_profile(tiny_model, [resolve_device(f"serial://{b.path}")], ["none"], [1], OPTS, show_progress=False)
    dev = rep["devices"][0]
    assert dev["status"] == "ok", dev["error"]
    assert dev["fit"]["checked"] is False and "not checked" in dev["fit"]["note"]
