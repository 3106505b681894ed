"""adb public-key authentication: verify a host's signature of our random token.

adb public keys (``~/.android/adbkey.pub``) are base64 of a little-endian struct
``{u32 words; u32 n0inv; u32 n[words]; u32 rr[words]; u32 e}`` then `` user@host``.
The host signs the 20-byte token as if it were a SHA-1 digest (RSA PKCS#1 v1.5), so
verification is ``sig^e mod n == 00 01 FF.. 00 || DigestInfo(SHA-1) || token``.
"""
from __future__ import annotations

import base64
import struct

_SHA1_DIGESTINFO = bytes.fromhex("3021300906052b0e03021a05000414")


def parse_adb_pubkey(text: str | bytes) -> tuple[int, int]:
    """(n, e) of an adb-format RSA public key."""
    raw = base64.b64decode(text.split()[0] if isinstance(text, str) else text.split()[0])
    words = struct.unpack_from("<I", raw, 0)[0]
    n = int.from_bytes(raw[8:8 + 4 * words], "little")
    e = struct.unpack_from("<I", raw, 8 + 8 * words)[0]
    return n, e


def verify(token: bytes, signature: bytes, key: tuple[int, int]) -> bool:
    n, e = key
    k = (n.bit_length() + 7) // 8
    if len(signature) != k:
        return False
    m = pow(int.from_bytes(signature, "big"), e, n).to_bytes(k, "big")
    tail = _SHA1_DIGESTINFO + token
    pad = k - len(tail) - 3
    return pad >= 8 and m == b"\x00\x01" + b"\xff" * pad + b"\x00" + tail
