"""Helpers of the profiling and lab tests (and the harness benchmark): a tiny int8 model, free ports,
short measurement windows, and the real peers devices are reached through: sshd, edgeq's adbd, the
virtual MCU board."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO = Path(__file__).resolve().parents[2]


def build_int8_model(dest: Path, width: int = 8) -> Path:
    """A tiny conv net, converted from a SavedModel to full-integer TFLite with int8 I/O."""
    import tensorflow as tf
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.Input((16, 16, 1)),
        keras.layers.Conv2D(width, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(4),
    ])
    saved = dest.parent / (dest.stem + "_saved")
    model.export(str(saved), verbose=False)
    conv = tf.lite.TFLiteConverter.from_saved_model(str(saved))
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    conv.representative_dataset = lambda: ([rng.standard_normal((1, 16, 16, 1)).astype(np.float32)]
                                           for _ in range(20))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    dest.write_bytes(conv.convert())
    return dest


def build_mixed_model(dest: Path) -> Path:
    """Conv, depthwise conv, tanh, global average pooling and a dense head, full-integer with int8 I/O, static
    shapes: edgeq's delegates take every node but the TANH, which they decline with a reason."""
    import tensorflow as tf
    import keras

    keras.utils.set_random_seed(0)
    inp = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(8, 3, activation="relu", name="stem")(inp)
    x = keras.layers.DepthwiseConv2D(3, padding="same", name="dw")(x)
    x = keras.layers.Activation("tanh", name="act_tanh")(x)
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    model = keras.Model(inp, keras.layers.Dense(4, name="head")(x))
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    rng = np.random.default_rng(0)
    conv.representative_dataset = lambda: ([rng.standard_normal((1, 16, 16, 3)).astype(np.float32)]
                                           for _ in range(20))
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    conv.inference_input_type = tf.int8
    conv.inference_output_type = tf.int8
    dest.write_bytes(conv.convert())
    return dest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


#: short measurement windows so the suite stays fast; the method is the same as the defaults
FAST = ["--warmup-runs", "2", "--warmup-secs", "0.05", "--min-runs", "20", "--min-secs", "0.1",
        "--rounds", "2", "--energy-window", "0.3", "--no-progress"]


def profile_ok(model: Path, device: str, out: Path, *args: str) -> dict:
    """``edgeq profile MODEL -d DEVICE -o OUT ARGS`` with FAST windows; the device's result, which must be ok."""
    from click.testing import CliRunner

    from edgeq.profiling.cli import profile
    r = CliRunner().invoke(profile, [str(model), "-d", device, "-o", str(out), *args, *FAST])
    assert r.exit_code == 0, r.output
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "ok", dev["error"]
    return dev


def _keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


def start_sshd(d: Path) -> tuple[subprocess.Popen, int]:
    """A real OpenSSH sshd on 127.0.0.1 (key auth only) with its files in ``d``: host_key, user_key (the key
    it accepts), known_hosts with its host key; stop it with ``terminate()``."""
    _keygen(d / "host_key")
    _keygen(d / "user_key")
    (d / "authorized_keys").write_text((d / "user_key.pub").read_text())
    port = free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d}/host_key\nPidFile {d}/sshd.pid\n"
        f"AuthorizedKeysFile {d}/authorized_keys\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PubkeyAuthentication yes\nPermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n")
    os.makedirs("/run/sshd", exist_ok=True)  # sshd's privilege-separation dir
    proc = subprocess.Popen(["/usr/sbin/sshd", "-D", "-e", "-f", str(d / "sshd_config")],
                            stdout=subprocess.DEVNULL, stderr=open(d / "sshd.log", "w"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            assert proc.poll() is None, (d / "sshd.log").read_text()
            time.sleep(0.05)
    host_pub = (d / "host_key.pub").read_text().split()
    (d / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
    return proc, port


def ssh_client_config(d: Path, key: str = "user_key", known: str = "known_hosts", strict: str | None = None) -> Path:
    """An ssh client config using key ``d/key`` and known_hosts ``d/known``. It leaves StrictHostKeyChecking to
    edgeq unless ``strict`` sets it (as a user's config might: edgeq's own setting must win)."""
    cfg = d / f"ssh_config_{key}_{known}_{strict}"
    cfg.write_text(f"Host *\n  IdentityFile {d}/{key}\n  IdentitiesOnly yes\n  UserKnownHostsFile {d}/{known}\n"
                   + (f"  StrictHostKeyChecking {strict}\n" if strict else "") + "  GlobalKnownHostsFile /dev/null\n")
    return cfg


class Adbd:
    """edgeq's adb daemon (``python -m edgeq.lab.adbd``) on a free port of 127.0.0.1, trusting ``auth_keys``."""

    def __init__(self, tmpdir: Path, auth_keys: Path, *extra: str):
        self.tmpdir = tmpdir
        tmpdir.mkdir(parents=True, exist_ok=True)
        args = [sys.executable, "-m", "edgeq.lab.adbd", "--port", "0", "--tmpdir", str(tmpdir),
                "--auth-keys", str(auth_keys), *extra]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        assert line.startswith("adbd listening on"), line
        self.port = int(line.rsplit(":", 1)[1])

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)


class VirtualBoard:
    """The virtual MCU board (``python -m edgeq.lab.virtual_board``) behind a pty; ``path`` is its tty."""

    def __init__(self, ram: int, flash: int):
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.proc = subprocess.Popen([sys.executable, "-m", "edgeq.lab.virtual_board",
                                      "--fd", str(self.master), "--ram", str(ram), "--flash", str(flash)],
                                     pass_fds=(self.master,))
        os.close(self.master)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        os.close(self.slave)


TAP_PYTHON = r'''#!{real}
"""Stands in for the device's python: runs the agent for real, forwarding its output; after the
first finished configuration it touches FLAG, then SIGKILLs the agent (crash mode), the agent and
itself (selfkill mode: a process killed on the device, as seen by the link) or holds its output back
for up to 60 s (flag mode: the test cuts the run meanwhile, however slow the machine)."""
import os, subprocess, sys
REAL, FLAG, MODE = {real!r}, {flag!r}, {mode!r}
if len(sys.argv) < 2 or sys.argv[1] != "python_agent.py":
    os.execv(REAL, [REAL] + sys.argv[1:])
p = subprocess.Popen([REAL] + sys.argv[1:], stdout=subprocess.PIPE, text=True)
for line in p.stdout:
    sys.stdout.write(line)
    sys.stdout.flush()
    if '"event": "config"' in line and not os.path.exists(FLAG):
        open(FLAG, "w").close()
        if MODE in ("crash", "selfkill"):
            p.kill()
            p.wait()
            if MODE == "selfkill":
                import signal
                os.kill(os.getpid(), signal.SIGKILL)
            sys.exit(137)
        import time
        time.sleep(60)  # hold the rest back so the test can cut the link while the run is unfinished
sys.exit(p.wait())
'''


def tap_python(tmp: Path, mode: str) -> tuple[Path, Path]:
    """A python wrapper (see TAP_PYTHON) and the flag file it touches."""
    flag = tmp / f"tap-{mode}.flag"
    script = tmp / f"tap-{mode}-python"
    script.write_text(TAP_PYTHON.format(real=sys.executable, flag=str(flag), mode=mode))
    script.chmod(0o755)
    return script, flag


def _der(buf: bytes, i: int) -> tuple[int, int, int]:
    """(tag, start of content, end of content) of the DER element at ``i``."""
    tag, n = buf[i], buf[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7F
        n = int.from_bytes(buf[i:i + k], "big")
        i += k
    return tag, i, i + n


def adb_private_key(path: Path) -> tuple[int, int]:
    """(n, d) of the PKCS#8 RSA key ``adb keygen`` writes: the test's own signer, independent of adbd."""
    import base64
    der = base64.b64decode("".join(ln for ln in path.read_text().splitlines() if "-----" not in ln))
    _, i, _ = _der(der, 0)                  # PrivateKeyInfo SEQUENCE
    for _ in range(2):                      # version, AlgorithmIdentifier
        i = _der(der, i)[2]
    _, i, _ = _der(der, i)                  # OCTET STRING holding RSAPrivateKey
    _, i, _ = _der(der, i)                  # RSAPrivateKey SEQUENCE
    ints = []
    for _ in range(4):                      # version, n, e, d
        _, s, e = _der(der, i)
        ints.append(int.from_bytes(der[s:e], "big"))
        i = e
    return ints[1], ints[3]


class RawAdb:
    """A raw-socket adb host: speaks the transport itself, to send what the real client never would."""

    def __init__(self, port: int, timeout: float = 10):
        import struct
        self._hdr = struct.Struct("<6I")
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)

    def send(self, cmd: bytes, a0: int, a1: int, data: bytes = b"") -> None:
        c = int.from_bytes(cmd, "little")
        self.sock.sendall(self._hdr.pack(c, a0, a1, len(data), sum(data) & 0xFFFFFFFF, c ^ 0xFFFFFFFF) + data)

    def recv(self) -> tuple[bytes, int, int, bytes] | None:
        """The next message, or None when adbd closed the connection."""
        head = self._exact(24)
        if head is None:
            return None
        c, a0, a1, n, _, _ = self._hdr.unpack(head)
        data = self._exact(n) if n else b""
        return c.to_bytes(4, "little"), a0, a1, data or b""

    def _exact(self, n: int) -> bytes | None:
        buf = b""
        while len(buf) < n:
            try:
                chunk = self.sock.recv(n - len(buf))
            except ConnectionResetError:
                return None
            if not chunk:
                return None
            buf += chunk
        return buf

    def connect(self, key: tuple[int, int] | None = None) -> tuple[bytes, int, int, bytes] | None:
        """CNXN, and with ``key`` (n, d) sign adbd's token as adb does (PKCS#1 v1.5 over SHA-1 DigestInfo)."""
        self.send(b"CNXN", 0x01000001, 256 * 1024, b"host::features=cmd\0")
        msg = self.recv()
        if msg is None or msg[0] != b"AUTH" or key is None:
            return msg
        n, d = key
        k = (n.bit_length() + 7) // 8
        tail = bytes.fromhex("3021300906052b0e03021a05000414") + msg[3]
        em = b"\x00\x01" + b"\xff" * (k - len(tail) - 3) + b"\x00" + tail
        self.send(b"AUTH", 2, 0, pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big"))
        return self.recv()

    def close(self) -> None:
        self.sock.close()


def threads_of(pid: int) -> int:
    for ln in Path(f"/proc/{pid}/status").read_text().splitlines():
        if ln.startswith("Threads:"):
            return int(ln.split()[1])
    raise AssertionError("no Threads line")


def rss_kib(pid: int) -> int:
    for ln in Path(f"/proc/{pid}/status").read_text().splitlines():
        if ln.startswith("VmRSS:"):
            return int(ln.split()[1])
    raise AssertionError("no VmRSS line")


class CuttableLink:
    """A TCP relay on a free port of 127.0.0.1 to ``target_port``: the network between host and device.
    ``cut()`` resets every relayed connection and stops listening, as a pulled cable or a dead router
    would look once the peer's stack noticed: no process on either end is touched."""

    def __init__(self, target_port: int):
        import threading
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.relayed = 0
        self._lock = threading.Lock()
        self._cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import threading
        while True:
            try:
                a, _ = self.listener.accept()
            except OSError:
                return
            b = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                if self._cut:
                    a.close(), b.close()
                    return
                self.conns += [a, b]
                self.relayed += 1
            for src, dst in ((a, b), (b, a)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while chunk := src.recv(65536):
                dst.sendall(chunk)
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def cut(self) -> None:
        import struct
        with self._lock:
            self._cut = True
            conns, self.conns = self.conns, []
        try:  # stops listening at once (a bare close would leave a blocked accept() serving one more)
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()  # reconnecting is refused from now on
        for s in conns:
            try:  # linger 0: close sends a reset, as the far end's stack does for a connection it lost
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()


def kill_tree_of(marker: str) -> None:
    """SIGKILL every process whose command line contains ``marker``, and their descendants (a run's
    leftovers on the 'device', which is this machine)."""
    import signal
    procs: dict[int, tuple[int, str]] = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                ppid = int(Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[1])
                cmd = Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except (OSError, IndexError, ValueError):
                continue
            procs[int(p)] = (ppid, cmd)
    doomed = {pid for pid, (_, cmd) in procs.items() if marker in cmd and pid != os.getpid()}
    grew = True
    while grew:
        more = {pid for pid, (ppid, _) in procs.items() if ppid in doomed} - doomed
        doomed |= more
        grew = bool(more)
    for pid in doomed:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
