"""The adbd TCP server: handshake (with optional key auth), stream multiplexing, shell and sync services.

Run: ``python -m edgeq.lab.adbd --port 5555 [--auth-keys adb_keys] [--tmpdir DIR]``; the lab's phone
runs a copy of this package on its own as ``python3 -m adbd``. It prints ``adbd listening on
HOST:PORT`` once it accepts connections.
"""
from __future__ import annotations

import argparse
import os
import queue
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading

from . import auth
from .protocol import (A_AUTH, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_VERSION, A_WRTE, AUTH_RSAPUBLICKEY, AUTH_SIGNATURE,
                       AUTH_TOKEN, MAX_PAYLOAD, ProtocolError, pack, read_message)

ACK_TIMEOUT = 60.0  # seconds to wait for the host's OKAY before giving a stream up
SYNC_DATA_MAX = 64 * 1024


class Stream:
    def __init__(self, conn: "Connection", local_id: int, remote_id: int):
        self.conn, self.local_id, self.remote_id = conn, local_id, remote_id
        self.acks = threading.Semaphore(0)
        self.inbox: "queue.Queue[bytes | None]" = queue.Queue()
        self.closed = threading.Event()
        self._pending = b""
        self.on_close = None

    def write(self, data: bytes) -> bool:
        """Send ``data`` in WRTE packets, one outstanding at a time (adb's flow control)."""
        for i in range(0, len(data), self.conn.max_payload) or [0]:
            if self.closed.is_set():
                return False
            self.conn.send(A_WRTE, self.local_id, self.remote_id, data[i:i + self.conn.max_payload])
            if not self.acks.acquire(timeout=ACK_TIMEOUT) or self.closed.is_set():
                return False
        return True

    def read_exact(self, n: int) -> bytes | None:
        while len(self._pending) < n:
            chunk = self.inbox.get()
            if chunk is None:
                return None
            self._pending += chunk
        out, self._pending = self._pending[:n], self._pending[n:]
        return out

    def close(self) -> None:
        if not self.closed.is_set():
            self.closed.set()
            self.conn.send(A_CLSE, self.local_id, self.remote_id)
            self.conn.streams.pop(self.local_id, None)

    def remote_closed(self) -> None:
        self.closed.set()
        self.inbox.put(None)
        self.acks.release()
        if self.on_close:
            self.on_close()


class Connection:
    def __init__(self, sock: socket.socket, opts: argparse.Namespace):
        self.sock, self.opts = sock, opts
        self.lock = threading.Lock()
        self.streams: dict[int, Stream] = {}
        self.next_id = 1
        self.max_payload = 4096
        self.keys = _load_keys(opts.auth_keys) if opts.auth_keys else None

    def send(self, cmd: int, arg0: int, arg1: int, data: bytes = b"") -> None:
        with self.lock:
            try:
                self.sock.sendall(pack(cmd, arg0, arg1, data))
            except OSError:
                pass  # the reader loop notices the dead socket

    def banner(self) -> bytes:
        props = f"ro.product.name={self.opts.product};ro.product.model={self.opts.model};" \
                f"ro.product.device={self.opts.product};"
        return f"device::{props}features=cmd".encode()

    def run(self) -> None:
        try:
            self._handshake()
            while True:
                cmd, a0, a1, data = read_message(self.sock)
                self._dispatch(cmd, a0, a1, data)
        except (EOFError, OSError, ProtocolError):
            pass
        finally:
            for s in list(self.streams.values()):
                s.remote_closed()
            try:
                self.sock.close()
            except OSError:
                pass

    def _handshake(self) -> None:
        token = b""
        while True:
            cmd, a0, a1, data = read_message(self.sock)
            if cmd == A_CNXN:
                self.max_payload = max(4096, min(a1 or 4096, MAX_PAYLOAD))
                if self.keys is None:
                    break
                token = secrets.token_bytes(20)
                self.send(A_AUTH, AUTH_TOKEN, 0, token)
            elif cmd == A_AUTH and a0 == AUTH_SIGNATURE and token:
                if any(auth.verify(token, data, k) for k in self.keys or []):
                    break
                token = secrets.token_bytes(20)  # wrong key: ask again, the host tries its next key
                self.send(A_AUTH, AUTH_TOKEN, 0, token)
            elif cmd == A_AUTH and a0 == AUTH_RSAPUBLICKEY:
                # a phone would ask its user; we only trust the keys we were given, so the host stays
                # "unauthorized" (it will try again with a new connection)
                continue
        self.send(A_CNXN, A_VERSION, self.max_payload, self.banner())

    def _dispatch(self, cmd: int, a0: int, a1: int, data: bytes) -> None:
        if cmd == A_OPEN:
            dest = data.rstrip(b"\0").decode("utf-8", "replace")
            local = self.next_id
            self.next_id += 1
            stream = Stream(self, local, a0)
            if dest.startswith("shell") and ":" in dest:
                target = lambda: run_shell(stream, dest.split(":", 1)[1], self.opts)  # noqa: E731
            elif dest.startswith("sync:"):
                target = lambda: run_sync(stream)  # noqa: E731
            else:
                self.send(A_CLSE, 0, a0)  # service not offered here
                return
            self.streams[local] = stream
            self.send(A_OKAY, local, a0)
            threading.Thread(target=target, daemon=True).start()
        elif cmd == A_WRTE:
            s = self.streams.get(a1)
            if s is None:
                self.send(A_CLSE, 0, a0)
                return
            s.inbox.put(data)
            self.send(A_OKAY, s.local_id, s.remote_id)
        elif cmd == A_OKAY:
            s = self.streams.get(a1)
            if s:
                s.acks.release()
        elif cmd == A_CLSE:
            s = self.streams.pop(a1, None)
            if s:
                s.remote_closed()
        elif cmd == A_CNXN:  # the host reconnects on the same socket: answer again
            self.send(A_CNXN, A_VERSION, self.max_payload, self.banner())


def run_shell(stream: Stream, command: str, opts: argparse.Namespace) -> None:
    """shell v1 (raw): stdout and stderr merged into the stream, no exit status (adb's own limitation)."""
    if not command.strip():
        stream.write(b"edgeq adbd: interactive shells are not supported, give a command\n")
        stream.close()
        return
    env = dict(os.environ, TMPDIR=opts.tmpdir, HOME=opts.tmpdir)
    proc = subprocess.Popen(["/bin/sh", "-c", command], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, cwd=opts.tmpdir, env=env, start_new_session=True)

    def hangup() -> None:  # the host went away: end the command like adbd does
        try:
            os.killpg(proc.pid, signal.SIGHUP)
        except OSError:
            pass
    stream.on_close = hangup
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    while True:
        chunk = os.read(fd, 65536)
        if not chunk or not stream.write(chunk):
            break
    if stream.closed.is_set():
        hangup()
    proc.stdout.close()
    proc.wait()
    stream.close()


def _sync_reply(stream: Stream, ident: bytes, *words: int, data: bytes = b"") -> bool:
    return stream.write(ident + b"".join(struct.pack("<I", w) for w in words) + data)


def _fail(stream: Stream, msg: str) -> bool:
    m = msg.encode()
    return stream.write(b"FAIL" + struct.pack("<I", len(m)) + m)


def run_sync(stream: Stream) -> None:
    """The file service behind ``adb push``/``adb pull``."""
    try:
        while True:
            hdr = stream.read_exact(8)
            if hdr is None:
                return
            ident, n = hdr[:4], struct.unpack("<I", hdr[4:])[0]
            if ident == b"QUIT":
                return
            arg = stream.read_exact(n) if n else b""
            if arg is None:
                return
            if ident == b"STAT":
                try:
                    st = os.stat(arg.decode())
                    _sync_reply(stream, b"STAT", st.st_mode & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF,
                                int(st.st_mtime) & 0xFFFFFFFF)
                except OSError:
                    _sync_reply(stream, b"STAT", 0, 0, 0)
            elif ident == b"LIST":
                _list(stream, arg.decode())
            elif ident == b"SEND":
                if not _recv_file(stream, arg.decode()):
                    return
            elif ident == b"RECV":
                _send_file(stream, arg.decode())
            else:
                _fail(stream, f"unknown sync request {ident!r}")
                return
    finally:
        stream.close()


def _list(stream: Stream, path: str) -> None:
    try:
        names = os.listdir(path)
    except OSError:
        names = []
    for name in names:
        try:
            st = os.lstat(os.path.join(path, name))
        except OSError:
            continue
        nb = name.encode()
        _sync_reply(stream, b"DENT", st.st_mode & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF,
                    int(st.st_mtime) & 0xFFFFFFFF, len(nb), data=nb)
    _sync_reply(stream, b"DONE", 0, 0, 0, 0)


def _recv_file(stream: Stream, spec: str) -> bool:
    path, _, mode_s = spec.rpartition(",")
    try:
        mode = int(mode_s) & 0o7777
    except ValueError:
        path, mode = spec, 0o644
    error = None
    tmp = None
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".adbd-")
        out = os.fdopen(fd, "wb")
    except OSError as e:
        out, error = None, f"cannot write {path}: {e.strerror}"
    mtime = 0
    while True:
        hdr = stream.read_exact(8)
        if hdr is None:
            break
        ident, n = hdr[:4], struct.unpack("<I", hdr[4:])[0]
        if ident == b"DATA":
            chunk = stream.read_exact(n)
            if chunk is None:
                break
            if out:
                out.write(chunk)
        elif ident == b"DONE":
            mtime = n
            break
        else:
            error = f"unexpected {ident!r} during SEND"
            break
    if out:
        out.close()
    if hdr is None or (error is None and out is None):
        if tmp:
            os.unlink(tmp)
        return False
    if error:
        if tmp and os.path.exists(tmp):
            os.unlink(tmp)
        return _fail(stream, error)
    os.chmod(tmp, mode)
    os.replace(tmp, path)
    if mtime:
        os.utime(path, (mtime, mtime))
    return _sync_reply(stream, b"OKAY", 0)


def _send_file(stream: Stream, path: str) -> None:
    try:
        f = open(path, "rb")
    except OSError as e:
        _fail(stream, f"cannot read {path}: {e.strerror}")
        return
    with f:
        while True:
            chunk = f.read(SYNC_DATA_MAX)
            if not chunk:
                break
            if not _sync_reply(stream, b"DATA", len(chunk), data=chunk):
                return
    _sync_reply(stream, b"DONE", 0)


def _load_keys(path: str) -> list[tuple[int, int]]:
    keys = []
    with open(path) as f:
        for line in f:
            if line.strip():
                keys.append(auth.parse_adb_pubkey(line.strip()))
    return keys


def serve(opts: argparse.Namespace) -> None:
    srv = socket.create_server((opts.host, opts.port))
    host, port = srv.getsockname()[:2]
    print(f"adbd listening on {host}:{port}", flush=True)
    while True:
        sock, _ = srv.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=Connection(sock, opts).run, daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="adbd", description="A small adb daemon over TCP (shell v1 + sync).")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5555, help="0 picks a free port (printed on start)")
    ap.add_argument("--auth-keys", help="adb public keys (adbkey.pub lines) allowed to connect; "
                                        "without it every host is accepted, like ro.adb.secure=0")
    default_tmp = "/data/local/tmp" if os.path.isdir("/data/local/tmp") else tempfile.gettempdir()
    ap.add_argument("--tmpdir", default=default_tmp, help="TMPDIR and working dir of shell commands")
    ap.add_argument("--product", default="edgeq_virtual")
    ap.add_argument("--model", default="edgeq_virtual_phone")
    opts = ap.parse_args(argv)
    if not shutil.which("sh"):
        print("adbd: /bin/sh is needed for shell:", file=sys.stderr)
        return 1
    try:
        serve(opts)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
