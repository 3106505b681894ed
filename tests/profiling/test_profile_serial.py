"""edgeq profile over a serial line: a pty pair to the virtual board running the model on TFLite Micro."""
from __future__ import annotations

import json
import os
import threading
import time

import pytest
from click.testing import CliRunner

from edgeq.errors import EdgeqError
from edgeq.profiling.cli import profile
from edgeq.profiling.fit import micro_arena_bytes
from profiling_helpers import FAST, VirtualBoard, profile_ok


@pytest.fixture
def board():
    b = VirtualBoard(ram=262144, flash=1048576)  # the virtual-board profile's limits
    yield b
    b.stop()


def _profile_file(tmp_path, ram, flash):
    p = tmp_path / "tiny-board.toml"
    p.write_text(f'name = "tiny-board"\nclass = "mcu"\ncores = 1\nisa = ["armv7e-m"]\nram_bytes = {ram}\n'
                 f'flash_bytes = {flash}\ntransport = "serial"\nuri = "serial:///dev/does-not-exist"\n'
                 'energy = "none"\nagent = "micro-serial"\nemulated = true\n')
    return p


def test_profile_virtual_board_end_to_end(board, tiny_model, tmp_path):
    out = tmp_path / "rep"
    dev = profile_ok(tiny_model, f"virtual-board@serial://{board.path}?baud=115200", out)
    assert dev["emulated"] is True and "NOT hardware timings" in dev["notice"]
    assert dev["board"]["name"] == "edgeq-virtual"
    c = dev["configs"][0]
    assert c["steady"]["count"] >= 20 and c["first_inference_ms"] > 0 and c["load_ms"] > 0
    assert c["window"]["inferences"] == 20 and c["window"]["mean_ms"] > 0
    # the board's arena is TFLite Micro's own figure for this model
    assert c["memory"]["arena_bytes"] == micro_arena_bytes(tiny_model.read_bytes()) > 0
    assert dev["fit"]["model_bytes"] == tiny_model.stat().st_size
    html = (out / "report.html").read_text()
    assert "not hardware timings" in html and "NOT hardware timings" in html


@pytest.mark.parametrize("ram,flash,want", [(262144, 1000, "bytes of flash"), (2000, 1048576, "tensor arena")])
def test_fit_check_runs_before_anything_is_sent(tiny_model, tmp_path, ram, flash, want):
    # the profile's port does not exist: a fit error proves nothing was opened or sent
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", str(_profile_file(tmp_path, ram, flash)),
                                     "-o", str(out), *FAST])
    assert r.exit_code == 2
    err = [ln for ln in r.output.splitlines() if ln.startswith("edgeq: error:")]
    assert len(err) == 1 and want in err[0] and "pick a bigger board" in err[0]
    assert "nothing measured: no report written" in err[0] and not out.exists()  # no empty report


def test_board_itself_enforces_its_ram(tiny_model):
    from edgeq.profiling.links import parse_uri
    from edgeq.profiling.links.serial import SerialLink
    from edgeq.profiling.runners.micro_serial import load
    b = VirtualBoard(ram=2000, flash=1048576)
    try:
        link = SerialLink(parse_uri(f"serial://{b.path}?baud=115200"), timeout=10)
        assert link.command("name") == ["m-name-dut-[edgeq-virtual]"]
        with pytest.raises(EdgeqError, match="does not fit 2000 bytes of RAM"):
            load(link, "model load", tiny_model.read_bytes())
        with pytest.raises(EdgeqError, match="exceeds 1048576 bytes of flash"):
            link.command("model load 2000000")
        link.close()
    finally:
        b.stop()


def test_board_disconnecting_mid_run_keeps_partial_results(board, tiny_model, tmp_path):
    out = tmp_path / "rep"
    args = [str(tiny_model), "-d", f"virtual-board@serial://{board.path}", "-o", str(out), *FAST,
            "--min-secs", "60", "--max-secs", "60"]
    killer = threading.Timer(2.0, board.proc.kill)
    killer.start()
    t0 = time.monotonic()
    r = CliRunner().invoke(profile, args)
    killer.cancel()
    assert time.monotonic() - t0 < 40
    assert r.exit_code == 2
    err = [ln for ln in r.output.splitlines() if ln.startswith("edgeq: error:")]
    assert len(err) == 1 and board.path in err[0], r.output
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "incomplete"
    assert dev["configs"][0]["first_inference_ms"] > 0
    assert "serial link lost" in dev["configs"][0]["incomplete"]


def test_two_devices_in_one_command(board, tiny_model, tmp_path):
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "-d", f"virtual-board@serial://{board.path}",
                                     "--delegate", "none", "-o", str(out), "--no-memory", *FAST])
    assert r.exit_code == 0, r.output
    devs = json.loads((out / "profile.json").read_text())["devices"]
    assert [d["device"]["name"] for d in devs] == ["local", "virtual-board"]
    assert [d["status"] for d in devs] == ["ok", "ok"]
    assert [d["emulated"] for d in devs] == [False, True]
    html = (out / "report.html").read_text()
    assert "local · none/t1" in html and "virtual-board · tflm/t1" in html  # side by side on one axis


class FakeMonitor:
    """An energy monitor on a pty speaking edgeq's 'E?' protocol: a steady 50 mW load, integrated."""

    def __init__(self):
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.t0 = time.monotonic()
        self.stop_flag = False
        self.th = threading.Thread(target=self._serve, daemon=True)
        self.th.start()

    def _serve(self):
        buf = b""
        while not self.stop_flag:
            try:
                buf += os.read(self.master, 64)
            except OSError:
                return
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                t = time.monotonic() - self.t0
                os.write(self.master, f"E {int(50_000 * t)} {int(t * 1e6)}\n".encode())

    def close(self):
        self.stop_flag = True
        os.close(self.master)
        os.close(self.slave)


def test_board_energy_from_an_external_serial_monitor(board, tiny_model, tmp_path):
    mon = FakeMonitor()
    try:
        prof = tmp_path / "metered.toml"
        prof.write_text(_profile_file(tmp_path, 262144, 1048576).read_text()
                        .replace('uri = "serial:///dev/does-not-exist"', f'uri = "serial://{board.path}"')
                        .replace('energy = "none"', f'energy = "serial-monitor"\nenergy_port = "{mon.path}"'))
        out = tmp_path / "rep"
        r = CliRunner().invoke(profile, [str(tiny_model), "-d", str(prof), "-o", str(out), *FAST])
        assert r.exit_code == 0, r.output
    finally:
        mon.close()
    en = json.loads((out / "profile.json").read_text())["devices"][0]["configs"][0]["energy"]
    assert en["available"] and en["meter"]["meter"] == "serial-monitor"
    assert en["inferences"] >= 10 and en["inferences"] % 10 == 0
    assert en["busy_power_mw"] == pytest.approx(50, rel=0.2) and en["idle_power_mw"] == pytest.approx(50, rel=0.2)
    assert en["energy_per_inference_uj"] == pytest.approx(en["busy"]["energy_uj"] / en["inferences"])
