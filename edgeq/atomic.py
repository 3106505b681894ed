"""Write files so that a failure never leaves a half-written output."""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import EdgeqError


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to a temp file beside ``path``, then rename it into place."""
    dest = Path(path)
    parent = dest.parent if str(dest.parent) else Path(".")
    if not parent.is_dir():
        raise EdgeqError(f"output folder '{parent}' does not exist: create it or choose another -o path")
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs are ordinary files
        os.replace(tmp, dest)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if e.errno == errno.ENOSPC:
            raise EdgeqError(f"no space left on the disk holding '{dest}': free some space or write elsewhere") from None
        if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise EdgeqError(f"cannot write '{dest}' ({e.strerror}): choose a writable location") from None
        raise
    return dest


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))
