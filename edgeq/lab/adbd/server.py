"""The adbd TCP server: handshake with RSA key auth, stream multiplexing, shell and sync services.

Run: ``python -m edgeq.lab.adbd --port 5555 --auth-keys adb_keys [--tmpdir DIR]``; the lab's phone
runs a copy of this package on its own as ``python3 -m adbd``. It prints ``adbd listening on
HOST:PORT`` once it accepts connections.

It runs as root in the lab, so nothing is open by default: only hosts holding a listed key get past
CNXN; file transfers stay inside ``--tmpdir`` (paths resolved, symlinks followed before the check,
set-id bits dropped); connections, streams, messages, unacknowledged data and pushed files are bounded,
and connections that do not finish the handshake or sit idle are closed.
"""
from __future__ import annotations

import argparse
import os
import queue
import secrets
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from . import auth
from .protocol import (A_AUTH, A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_VERSION, A_WRTE, AUTH_RSAPUBLICKEY, AUTH_SIGNATURE,
                       AUTH_TOKEN, MAX_PAYLOAD, ProtocolError, pack, read_message)

ACK_TIMEOUT = 60.0  # seconds to wait for the host's OKAY before giving a stream up
SYNC_DATA_MAX = 64 * 1024
SYNC_PATH_MAX = 1024       # adb's own limit on a sync path
HANDSHAKE_MAX = 4096       # CNXN banner, AUTH token/signature/public key all fit
MESSAGE_TIMEOUT = 30.0     # seconds a started message may take to arrive whole
AUTH_ATTEMPTS = 16         # signatures per connection before it is dropped (a host tries each of its keys)
STREAMS_MAX = 16           # open streams per connection
INBOX_MAX = 4              # WRTE packets a host may send ahead of our OKAY (adb sends one at a time)


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
            # acknowledged only once taken: a host cannot grow our memory faster than we write
            if not self.closed.is_set():
                self.conn.send(A_OKAY, self.local_id, self.remote_id)
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
        self.keys: list[tuple[int, int]] = opts.keys

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
            while self._wait_for_message():
                self.sock.settimeout(MESSAGE_TIMEOUT)
                cmd, a0, a1, data = read_message(self.sock, self.max_payload)
                self._dispatch(cmd, a0, a1, data)
        except (EOFError, OSError, ProtocolError):
            pass  # socket.timeout is an OSError: a stalled message ends the connection
        finally:
            for s in list(self.streams.values()):
                s.remote_closed()
            try:
                self.sock.close()
            except OSError:
                pass

    def _wait_for_message(self) -> bool:
        """Wait for the next message; False when the connection sat idle (no open stream) too long."""
        while True:
            ready, _, _ = select.select([self.sock], [], [], self.opts.idle_timeout)
            if ready:
                return True
            if not self.streams:
                return False

    def _handshake(self) -> None:
        """CNXN, then AUTH until a listed key signs our token; anything else before that is ignored."""
        deadline = time.monotonic() + self.opts.handshake_timeout
        token = b""
        attempts = 0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise ProtocolError("handshake not finished in time")
            self.sock.settimeout(left)
            cmd, a0, a1, data = read_message(self.sock, HANDSHAKE_MAX)
            if cmd == A_CNXN:
                self.max_payload = max(4096, min(a1 or 4096, MAX_PAYLOAD))
                token = secrets.token_bytes(20)
                self.send(A_AUTH, AUTH_TOKEN, 0, token)
            elif cmd == A_AUTH and a0 == AUTH_SIGNATURE and token:
                attempts += 1
                if any(auth.verify(token, data, k) for k in self.keys):
                    break
                if attempts >= AUTH_ATTEMPTS:
                    raise ProtocolError("too many signatures")
                token = secrets.token_bytes(20)  # wrong key: ask again, the host tries its next key
                self.send(A_AUTH, AUTH_TOKEN, 0, token)
            # AUTH_RSAPUBLICKEY: a phone would ask its user; we only trust the keys we were given,
            # so the host stays "unauthorized" until the handshake times out
        self.send(A_CNXN, A_VERSION, self.max_payload, self.banner())

    def _dispatch(self, cmd: int, a0: int, a1: int, data: bytes) -> None:
        if cmd == A_OPEN:
            dest = data.rstrip(b"\0").decode("utf-8", "replace")
            if len(self.streams) >= STREAMS_MAX:
                self.send(A_CLSE, 0, a0)
                return
            local = self.next_id
            self.next_id += 1
            stream = Stream(self, local, a0)
            if dest.startswith("shell") and ":" in dest:
                target = lambda: run_shell(stream, dest.split(":", 1)[1], self.opts)  # noqa: E731
            elif dest.startswith("sync:"):
                target = lambda: run_sync(stream, self.opts)  # noqa: E731
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
            if s.inbox.qsize() >= INBOX_MAX:
                raise ProtocolError("host writes without waiting for OKAY")
            s.inbox.put(data)
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


def confine(root: str, path: str) -> str | None:
    """``path`` (absolute, or relative to ``root``) with every symlink resolved, or None if it leaves ``root``."""
    if not path or "\0" in path:
        return None
    full = os.path.realpath(os.path.join(root, path))
    return full if full == root or full.startswith(root.rstrip(os.sep) + os.sep) else None


def run_sync(stream: Stream, opts: argparse.Namespace) -> None:
    """The file service behind ``adb push``/``adb pull``, confined to ``opts.tmpdir``."""
    root = os.path.realpath(opts.tmpdir)
    try:
        while True:
            hdr = stream.read_exact(8)
            if hdr is None:
                return
            ident, n = hdr[:4], struct.unpack("<I", hdr[4:])[0]
            if ident == b"QUIT":
                return
            if n > SYNC_PATH_MAX:
                _fail(stream, f"sync request of {n} bytes is over {SYNC_PATH_MAX}")
                return
            arg = stream.read_exact(n) if n else b""
            if arg is None:
                return
            spec = arg.decode("utf-8", "surrogateescape")
            if ident == b"STAT":
                path = confine(root, spec)
                try:
                    st = os.stat(path) if path else None
                except OSError:
                    st = None
                words = (st.st_mode & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF, int(st.st_mtime) & 0xFFFFFFFF) if st \
                    else (0, 0, 0)
                _sync_reply(stream, b"STAT", *words)
            elif ident == b"LIST":
                _list(stream, confine(root, spec))
            elif ident == b"SEND":
                if not _recv_file(stream, root, spec, opts.max_push_bytes):
                    return
            elif ident == b"RECV":
                _send_file(stream, root, spec)
            else:
                _fail(stream, f"unknown sync request {ident!r}")
                return
    finally:
        stream.close()


def _list(stream: Stream, path: str | None) -> None:
    try:
        names = os.listdir(path) if path else []
    except OSError:
        names = []
    for name in names:
        try:
            st = os.lstat(os.path.join(path, name))
        except OSError:
            continue
        nb = name.encode("utf-8", "surrogateescape")
        _sync_reply(stream, b"DENT", st.st_mode & 0xFFFFFFFF, st.st_size & 0xFFFFFFFF,
                    int(st.st_mtime) & 0xFFFFFFFF, len(nb), data=nb)
    _sync_reply(stream, b"DONE", 0, 0, 0, 0)


def _recv_file(stream: Stream, root: str, spec: str, max_bytes: int) -> bool:
    """SEND: DATA chunks into a temp file beside the target, renamed into place on DONE; False ends the stream."""
    name, _, mode_s = spec.rpartition(",")
    try:
        mode = int(mode_s) & 0o777  # no setuid/setgid/sticky bits, whatever the host sends
    except ValueError:
        name, mode = spec, 0o644
    path = confine(root, name)
    if path is None:
        _fail(stream, f"{name}: outside {root}, the only place files may be written")
        return False
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".adbd-")
    except OSError as e:
        _fail(stream, f"cannot write {name}: {e.strerror}")
        return False
    error, size, mtime = None, 0, 0
    with os.fdopen(fd, "wb") as out:
        while True:
            hdr = stream.read_exact(8)
            if hdr is None:
                break
            ident, n = hdr[:4], struct.unpack("<I", hdr[4:])[0]
            if ident == b"DONE":
                mtime = n
                break
            if ident != b"DATA" or n > SYNC_DATA_MAX:
                error = f"unexpected {ident!r} of {n} bytes during SEND"
                break
            size += n
            if size > max_bytes:
                error = f"{name}: over the {max_bytes}-byte limit on pushed files"
                break
            chunk = stream.read_exact(n)
            if chunk is None:
                hdr = None
                break
            try:
                out.write(chunk)
            except OSError as e:
                error = f"cannot write {name}: {e.strerror}"
                break
    if hdr is None or error:
        os.unlink(tmp)
        if error:
            _fail(stream, error)
        return False
    try:
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        if mtime:
            os.utime(path, (mtime, mtime))
    except OSError as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        _fail(stream, f"cannot write {name}: {e.strerror}")
        return False
    return _sync_reply(stream, b"OKAY", 0)


def _send_file(stream: Stream, root: str, name: str) -> None:
    path = confine(root, name)
    if path is None:
        _fail(stream, f"{name}: outside {root}, the only place files may be read")
        return
    try:
        f = open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb")
    except OSError as e:
        _fail(stream, f"cannot read {name}: {e.strerror}")
        return
    with f:
        while True:
            chunk = f.read(SYNC_DATA_MAX)
            if not chunk:
                break
            if not _sync_reply(stream, b"DATA", len(chunk), data=chunk):
                return
    _sync_reply(stream, b"DONE", 0)


def load_keys(path: str) -> list[tuple[int, int]]:
    """The adb public keys in ``path`` (adbkey.pub lines); ValueError names the bad line."""
    keys = []
    with open(path) as f:
        for i, line in enumerate(f, 1):
            if line.strip():
                try:
                    n, e = auth.parse_adb_pubkey(line.strip())
                except (ValueError, struct.error, IndexError):
                    n = e = 0
                if n < 3 or e < 3:
                    raise ValueError(f"{path}:{i} is not an adb public key (an adbkey.pub line)")
                keys.append((n, e))
    if not keys:
        raise ValueError(f"{path} holds no adb public key")
    return keys


def serve(opts: argparse.Namespace) -> None:
    srv = socket.create_server((opts.host, opts.port))
    host, port = srv.getsockname()[:2]
    print(f"adbd listening on {host}:{port}", flush=True)
    slots = threading.BoundedSemaphore(opts.max_connections)

    def handle(sock: socket.socket) -> None:
        try:
            Connection(sock, opts).run()
        finally:
            slots.release()
    while True:
        sock, _ = srv.accept()
        if not slots.acquire(blocking=False):
            sock.close()  # full: refused at once rather than holding a thread
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=handle, args=(sock,), daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="adbd", description="A small adb daemon over TCP (shell v1 + sync).")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=5555, help="0 picks a free port (printed on start)")
    ap.add_argument("--auth-keys", help="required: adb public keys (adbkey.pub lines) allowed to connect")
    default_tmp = "/data/local/tmp" if os.path.isdir("/data/local/tmp") else tempfile.gettempdir()
    ap.add_argument("--tmpdir", default=default_tmp,
                    help="TMPDIR and working dir of shell commands; the only folder push and pull reach")
    ap.add_argument("--product", default="edgeq_virtual")
    ap.add_argument("--model", default="edgeq_virtual_phone")
    ap.add_argument("--max-connections", type=int, default=16)
    ap.add_argument("--handshake-timeout", type=float, default=10.0,
                    help="seconds a host has to connect and authenticate")
    ap.add_argument("--idle-timeout", type=float, default=600.0,
                    help="seconds a connection with no open stream may stay silent")
    ap.add_argument("--max-push-bytes", type=int, default=1 << 30, help="largest file adb push may write")
    opts = ap.parse_args(argv)
    if not opts.auth_keys:
        print("adbd: no --auth-keys: give a file of adb public keys (e.g. ~/.android/adbkey.pub) allowed to "
              "connect; unauthenticated access is not offered", file=sys.stderr)
        return 2
    try:
        opts.keys = load_keys(opts.auth_keys)
    except OSError as e:
        print(f"adbd: cannot read --auth-keys {opts.auth_keys} ({e.strerror}): give a readable adbkey.pub file",
              file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"adbd: {e}: pass the .pub file adb made (adb keygen, or ~/.android/adbkey.pub)", file=sys.stderr)
        return 2
    if not os.path.isdir(opts.tmpdir):
        print(f"adbd: --tmpdir {opts.tmpdir} is not a folder: create it first", file=sys.stderr)
        return 2
    if not shutil.which("sh"):
        print("adbd: /bin/sh is needed for shell:", file=sys.stderr)
        return 1
    try:
        serve(opts)
    except KeyboardInterrupt:
        pass
    except OSError as e:
        print(f"adbd: cannot listen on {opts.host}:{opts.port} ({e.strerror}): choose another --port",
              file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
