"""adb transport messages: a 24-byte little-endian header and an optional payload."""
from __future__ import annotations

import socket
import struct

A_SYNC, A_CNXN, A_OPEN, A_OKAY, A_CLSE, A_WRTE, A_AUTH, A_STLS = (
    int.from_bytes(c, "little") for c in (b"SYNC", b"CNXN", b"OPEN", b"OKAY", b"CLSE", b"WRTE", b"AUTH", b"STLS"))
NAMES = {A_SYNC: "SYNC", A_CNXN: "CNXN", A_OPEN: "OPEN", A_OKAY: "OKAY", A_CLSE: "CLSE", A_WRTE: "WRTE",
         A_AUTH: "AUTH", A_STLS: "STLS"}

A_VERSION = 0x01000001          # the version from which the payload checksum may be skipped
MAX_PAYLOAD = 256 * 1024
AUTH_TOKEN, AUTH_SIGNATURE, AUTH_RSAPUBLICKEY = 1, 2, 3
_HDR = struct.Struct("<6I")


class ProtocolError(Exception):
    pass


def checksum(data: bytes) -> int:
    # legacy hosts (< A_VERSION) check the byte sum; newer ones ignore it, so always send it
    return sum(data) & 0xFFFFFFFF


def pack(cmd: int, arg0: int, arg1: int, data: bytes = b"") -> bytes:
    return _HDR.pack(cmd, arg0, arg1, len(data), checksum(data), cmd ^ 0xFFFFFFFF) + data


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("peer closed the connection")
        buf += chunk
    return bytes(buf)


def read_message(sock: socket.socket, max_payload: int = MAX_PAYLOAD) -> tuple[int, int, int, bytes]:
    """One message; a payload over ``max_payload`` (what was negotiated) ends the connection."""
    cmd, arg0, arg1, length, _check, magic = _HDR.unpack(_recv_exact(sock, _HDR.size))
    if magic != cmd ^ 0xFFFFFFFF:
        raise ProtocolError(f"bad magic for command {cmd:#x}")
    if length > max_payload:
        raise ProtocolError(f"payload of {length} bytes is over the {max_payload} negotiated")
    return cmd, arg0, arg1, _recv_exact(sock, length) if length else b""
