"""edgeq's adbd (shipped in the wheel, run as root by the lab) holds no open door: key auth always, file
access confined to its tmpdir, bounded messages, memory, pushes and connections. Checked with the real
``adb`` client and with a raw-socket host that sends what the real client never would."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

from profiling_helpers import Adbd, RawAdb, adb_private_key, rss_kib, threads_of


def _adb(serial: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["adb", "-s", serial, *args], capture_output=True, text=True, timeout=30)


def _connected(adb_server, d: Adbd) -> str:
    serial = f"127.0.0.1:{d.port}"
    out = subprocess.run(["adb", "connect", serial], capture_output=True, text=True, timeout=30).stdout
    assert "connected to" in out, out
    assert _adb(serial, "wait-for-device", "shell", "echo ok").stdout.strip() == "ok"
    return serial


@pytest.mark.parametrize("keys", [None, "missing", "garbage"])
def test_adbd_refuses_to_start_without_valid_keys(tmp_path, keys):
    args = [sys.executable, "-m", "edgeq.lab.adbd", "--port", "0", "--tmpdir", str(tmp_path)]
    if keys == "missing":
        args += ["--auth-keys", str(tmp_path / "nope.pub")]
    elif keys == "garbage":
        (tmp_path / "bad.pub").write_text("not-base64!! user@host\n")
        args += ["--auth-keys", str(tmp_path / "bad.pub")]
    p = subprocess.run(args, capture_output=True, text=True, timeout=30)
    assert p.returncode == 2 and p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("adbd: ") and "Traceback" not in p.stderr, p.stderr
    assert "--auth-keys" in lines[0] or "adb public key" in lines[0]


def test_unauthenticated_host_gets_nothing(adb_server, tmp_path):
    d = Adbd(tmp_path / "t", adb_server["pub"], "--handshake-timeout", "2")
    try:
        raw = RawAdb(d.port)
        # the shell is asked for before any handshake: ignored; CNXN is answered with a token to sign, never CNXN
        raw.send(b"OPEN", 1, 0, b"shell:touch " + str(tmp_path / "pwned").encode() + b"\0")
        msg = raw.connect()
        assert msg is not None and msg[0] == b"AUTH" and msg[1] == 1 and len(msg[3]) == 20
        raw.send(b"OPEN", 1, 0, b"shell:touch " + str(tmp_path / "pwned").encode() + b"\0")
        t0 = time.monotonic()
        assert raw.recv() is None  # closed by the handshake deadline, with no OKAY for the OPEN
        assert time.monotonic() - t0 < 10
        assert not (tmp_path / "pwned").exists()
        # a host signing with a key adbd does not list is asked again, then dropped
        stranger = tmp_path / "stranger"
        subprocess.run(["adb", "keygen", str(stranger)], check=True, capture_output=True, timeout=30)
        key = adb_private_key(stranger)
        raw = RawAdb(d.port)
        msg = raw.connect(key)
        for _ in range(40):
            if msg is None:
                break
            assert msg[0] == b"AUTH" and msg[1] == 1, msg[0]  # never CNXN
            n, dd = key
            k = (n.bit_length() + 7) // 8
            raw.send(b"AUTH", 2, 0, pow(12345, dd, n).to_bytes(k, "big"))
            msg = raw.recv()
        assert msg is None, "adbd kept answering a host that cannot sign"
        # the test's own signer is right: with the listed key the same raw host is let in
        raw = RawAdb(d.port)
        msg = raw.connect(adb_private_key(adb_server["key"]))
        assert msg is not None and msg[0] == b"CNXN"
    finally:
        d.stop()


def test_sync_is_confined_to_the_tmpdir(adb_server, tmp_path):
    root = tmp_path / "root"
    d = Adbd(root, adb_server["pub"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret").write_text("secret")
    (root / "link").symlink_to(outside)
    src = tmp_path / "payload"
    src.write_bytes(b"x" * 1000)
    try:
        serial = _connected(adb_server, d)
        for remote in (str(outside / "evil"), str(root / ".." / "outside" / "evil"), "../outside/evil",
                       str(root / "link" / "evil")):
            p = _adb(serial, "push", str(src), remote)
            assert p.returncode != 0, remote
            assert "outside" in p.stderr + p.stdout, p.stderr
        assert sorted(os.listdir(outside)) == ["secret"]
        for remote in (str(outside / "secret"), str(root / "link" / "secret"), "/etc/shadow", "../outside/secret"):
            back = tmp_path / "back"
            p = _adb(serial, "pull", remote, str(back))
            assert p.returncode != 0 and not back.exists(), remote
        # inside the root, push and pull work; set-id bits never arrive
        src.chmod(0o6755)
        p = _adb(serial, "push", str(src), str(root / "sub" / "tool"))
        assert p.returncode == 0, p.stderr
        assert (root / "sub" / "tool").read_bytes() == src.read_bytes()
        assert (root / "sub" / "tool").stat().st_mode & 0o7777 == 0o755
    finally:
        d.stop()


def test_setid_bits_from_a_raw_sync_send_are_dropped(adb_server, tmp_path):
    d = Adbd(tmp_path / "root", adb_server["pub"])
    try:
        raw = RawAdb(d.port)
        assert raw.connect(adb_private_key(adb_server["key"]))[0] == b"CNXN"
        raw.send(b"OPEN", 7, 0, b"sync:\0")
        okay = raw.recv()
        assert okay[0] == b"OKAY"
        local = okay[1]
        spec = f"{tmp_path / 'root' / 'suid'},{0o104755}".encode()
        body = b"SEND" + len(spec).to_bytes(4, "little") + spec + b"DATA\x02\x00\x00\x00hi" + b"DONE\x00\x00\x00\x00"
        raw.send(b"WRTE", 7, local, body)
        got = b""
        while b"OKAY" not in got and b"FAIL" not in got:
            m = raw.recv()
            assert m is not None
            if m[0] == b"WRTE":
                got += m[3]
                raw.send(b"OKAY", 7, local)
        assert b"OKAY" in got
        st = (tmp_path / "root" / "suid").stat()
        assert st.st_mode & 0o7777 == 0o755 and (tmp_path / "root" / "suid").read_bytes() == b"hi"
    finally:
        d.stop()


def test_write_flood_and_oversized_messages_are_bounded(adb_server, tmp_path):
    d = Adbd(tmp_path / "root", adb_server["pub"])
    try:
        key = adb_private_key(adb_server["key"])
        raw = RawAdb(d.port)
        assert raw.connect(key)[0] == b"CNXN"
        raw.send(b"OPEN", 7, 0, b"sync:\0")
        local = raw.recv()[1]
        base = rss_kib(d.proc.pid)
        chunk = b"\0" * (256 * 1024)
        sent = 0
        try:
            for _ in range(400):  # 100 MiB without waiting for a single OKAY
                raw.send(b"WRTE", 7, local, chunk)
                sent += 1
        except OSError:
            pass  # adbd hung up on us
        while raw.recv() is not None:
            pass
        assert sent < 400 or raw.recv() is None
        assert rss_kib(d.proc.pid) - base < 32 * 1024, "adbd's memory grew with the flood"
        # a message larger than negotiated ends the connection before its payload is read
        raw = RawAdb(d.port)
        assert raw.connect(key)[0] == b"CNXN"
        raw.sock.sendall(int.from_bytes(b"WRTE", "little").to_bytes(4, "little") + bytes(8)
                         + (64 << 20).to_bytes(4, "little") + bytes(4)
                         + (int.from_bytes(b"WRTE", "little") ^ 0xFFFFFFFF).to_bytes(4, "little"))
        assert raw.recv() is None
    finally:
        d.stop()


def test_pushed_file_size_is_bounded(adb_server, tmp_path):
    d = Adbd(tmp_path / "root", adb_server["pub"], "--max-push-bytes", "100000")
    try:
        serial = _connected(adb_server, d)
        src = tmp_path / "big"
        src.write_bytes(os.urandom(300_000))
        p = _adb(serial, "push", str(src), str(tmp_path / "root" / "big"))
        assert p.returncode != 0 and "limit" in p.stderr + p.stdout, p.stderr
        assert os.listdir(tmp_path / "root") == []  # nothing half-written, no temp file left
        src.write_bytes(os.urandom(90_000))
        assert _adb(serial, "push", str(src), str(tmp_path / "root" / "small")).returncode == 0
    finally:
        d.stop()


def test_connections_are_bounded_and_idle_ones_closed(adb_server, tmp_path):
    d = Adbd(tmp_path / "root", adb_server["pub"], "--max-connections", "4", "--handshake-timeout", "1.5",
             "--idle-timeout", "1.5")
    try:
        base = threads_of(d.proc.pid)
        socks = [socket.create_connection(("127.0.0.1", d.port), timeout=10) for _ in range(60)]
        time.sleep(0.5)
        assert threads_of(d.proc.pid) <= base + 4
        refused = 0
        for s in socks[4:]:
            s.settimeout(1)
            try:
                refused += s.recv(1) == b""
            except (TimeoutError, socket.timeout):
                pass
            except ConnectionResetError:
                refused += 1
        assert refused == 56
        # the four silent ones are dropped at the handshake deadline, freeing their threads
        for s in socks[:4]:
            s.settimeout(8)
            assert s.recv(1) == b""
        time.sleep(0.3)
        assert threads_of(d.proc.pid) == base
        # an authenticated host that opens nothing is dropped once idle
        raw = RawAdb(d.port)
        assert raw.connect(adb_private_key(adb_server["key"]))[0] == b"CNXN"
        t0 = time.monotonic()
        assert raw.recv() is None
        assert 1.0 < time.monotonic() - t0 < 8
    finally:
        d.stop()
