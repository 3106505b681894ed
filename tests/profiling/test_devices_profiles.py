"""Device profiles: the shipped ones load; malformed ones fail with one clear line; URIs resolve."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from edgeq.errors import EdgeqError
from edgeq.profiling.cli import devices
from edgeq.profiling.devices import PROFILE_DIR, list_profiles, load_profile, resolve_device
from edgeq.profiling.links import parse_uri

GOOD = """name = "b"
class = "mcu"
cores = 1
isa = ["armv7e-m"]
ram_bytes = 262144
flash_bytes = 1048576
transport = "serial"
uri = "serial:///dev/ttyACM0?baud=115200"
energy = "none"
agent = "micro-serial"
"""


def test_every_shipped_profile_is_valid():
    files = sorted(PROFILE_DIR.glob("*.toml"))
    assert len(files) >= 9
    classes = {load_profile(f).cls for f in files}
    assert classes == {"phone", "sbc", "mcu", "host"}
    pixel = next(d for d in list_profiles() if d.name == "pixel-8")
    assert pixel.energy == "odpm" and pixel.cores == 9 and "dotprod" in pixel.isa
    m7 = next(d for d in list_profiles() if d.name == "nucleo-h743zi")
    assert (m7.ram_bytes, m7.flash_bytes) == (1048576, 2097152)


@pytest.mark.parametrize("edit,want", [
    (lambda s: s.replace('name = "b"\n', ""), "lacks 'name'"),
    (lambda s: s.replace("cores = 1", 'cores = "one"'), "'cores' must be a int"),
    (lambda s: s.replace('class = "mcu"', 'class = "toaster"'), "class 'toaster' is not one of"),
    (lambda s: s.replace('energy = "none"', 'energy = "vibes"'), "energy 'vibes' is not one of"),
    (lambda s: s + 'colour = "red"\n', "unknown field(s) colour"),
    (lambda s: s.replace('uri = "serial:', 'uri = "ssh:'), "does not match transport"),
    (lambda s: s.replace("flash_bytes = 1048576", "flash_bytes = 0"), "needs ram_bytes and flash_bytes"),
    (lambda s: s.replace('name = "b"', 'name = "b'), "not valid TOML"),
])
def test_malformed_profiles_are_one_line_errors(tmp_path, edit, want):
    p = tmp_path / "bad.toml"
    p.write_text(edit(GOOD))
    with pytest.raises(EdgeqError) as e:
        load_profile(p)
    assert want in str(e.value) and "\n" not in str(e.value) and str(p) in str(e.value)


def test_extra_profile_folder_and_listing(tmp_path, monkeypatch):
    (tmp_path / "b.toml").write_text(GOOD)
    monkeypatch.setenv("EDGEQ_DEVICE_PROFILES", str(tmp_path))
    assert resolve_device("b").flash_bytes == 1048576
    r = CliRunner().invoke(devices, [])
    assert r.exit_code == 0 and "\nb " in r.output


def test_uris_resolve():
    d = resolve_device("ssh://pi@10.0.0.5:2222?python=/usr/bin/python3")
    assert (d.transport, d.agent) == ("ssh", "python")
    assert resolve_device("local").transport == "local"
    assert resolve_device("adb://emulator-5554").transport == "adb"
    d = resolve_device("nrf52840-dk@serial:///dev/ttyACM3?baud=9600")
    assert d.uri.endswith("ttyACM3?baud=9600") and d.ram_bytes == 262144
    assert resolve_device("serial:///dev/ttyUSB0?emulated=1").emulated
    with pytest.raises(EdgeqError, match="uses serial, not ssh"):
        resolve_device("nrf52840-dk@ssh://x@y")
    with pytest.raises(EdgeqError, match="neither a profile name nor a URI"):
        resolve_device("ftp://x")
    with pytest.raises(EdgeqError, match="has no host"):
        resolve_device("ssh://")


def test_device_uris_parse_into_their_parts():
    u = parse_uri("ssh://pi@10.0.0.5:2222?python=/usr/bin/python3&emulated=1")
    assert (u.scheme, u.user, u.host, u.port, u.options["python"], u.emulated) == \
        ("ssh", "pi", "10.0.0.5", 2222, "/usr/bin/python3", True)
    a = parse_uri("adb://127.0.0.1:5555?server=127.0.0.1:5037&tmp=/sdcard")
    assert (a.netloc + a.path, a.options) == ("127.0.0.1:5555", {"server": "127.0.0.1:5037", "tmp": "/sdcard"})
    assert parse_uri("adb://emulator-5554").netloc == "emulator-5554" and parse_uri("adb://").netloc == ""
    s = parse_uri("serial:///dev/ttyACM0?baud=9600")
    assert (s.scheme, s.path, s.options["baud"], s.emulated) == ("serial", "/dev/ttyACM0", "9600", False)
    assert resolve_device("serial:///dev/ttyACM0").agent == "micro-serial"
    assert resolve_device("local").cls == "host" and resolve_device("local").energy == "auto"
    assert resolve_device("adb://x?energy=battery").energy == "battery"
    for bad, want in (("ssh://pi@host:22x", "port that is not a number"), ("serial://", "has no port path"),
                      ("local://x", "written 'local'"), ("ssh:pi@host", "neither a profile name nor a URI")):
        with pytest.raises(EdgeqError, match=want):
            parse_uri(bad)


def test_devices_check_is_bounded_and_says_why(tmp_path, monkeypatch):
    import time
    (tmp_path / "b.toml").write_text(GOOD.replace("/dev/ttyACM0", str(tmp_path / "nope")))
    monkeypatch.setenv("EDGEQ_DEVICE_PROFILES", str(tmp_path))
    monkeypatch.setenv("EDGEQ_SSH_OPTS", "-o ConnectTimeout=2")
    # the phone profiles make adb start a server: a private one, killed afterwards
    from profiling_helpers import free_port
    import subprocess
    monkeypatch.setenv("ANDROID_ADB_SERVER_PORT", str(free_port()))
    monkeypatch.setenv("HOME", str(tmp_path))
    t0 = time.monotonic()
    try:
        r = CliRunner().invoke(devices, ["--check", "--timeout", "3", "--json"])
    finally:
        subprocess.run(["adb", "kill-server"], capture_output=True, timeout=30)
    assert time.monotonic() - t0 < 60
    assert r.exit_code == 0, r.output
    import json
    rows = {d["name"]: d for d in json.loads(r.output)}
    assert rows["host"]["reachable"] is True
    # it said "cannot open /dev/null (Could not configure port: (25, 'Inappropriate ioctl for device'))"
    assert rows["virtual-board"]["reachable"] is False
    why = rows["virtual-board"]["unreachable_reason"]
    assert "names no port: give the board's, e.g. virtual-board@serial://" in why, why
    assert rows["b"]["reachable"] is False and "cannot open" in rows["b"]["unreachable_reason"]
    assert rows["pixel-8"]["reachable"] is False and "no such device" in rows["pixel-8"]["unreachable_reason"]
