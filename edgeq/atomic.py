"""Write files so that a failure never leaves a half-written output.

:func:`write_files_atomic` writes several files as one: each goes to a temp file beside its destination
(flushed to disk), and only when every one is staged are they renamed into place. If anything fails
(a full disk, a read-only folder, Ctrl-C) no destination changes and no temp file is left; a rename
failing half way puts back the files already replaced.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from .errors import EdgeqError


def _error(dest: Path, e: OSError) -> EdgeqError:
    if e.errno == errno.ENOSPC or e.errno == errno.EDQUOT:
        return EdgeqError(f"no space left on the disk holding '{dest}': free some space or write elsewhere")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return EdgeqError(f"cannot write '{dest}' ({e.strerror}): choose a writable location")
    if e.errno == errno.EISDIR:
        return EdgeqError(f"cannot write '{dest}': it is a folder; give a file name")
    return EdgeqError(f"cannot write '{dest}' ({e.strerror or e}): choose another location")


def _unlink(path: str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def write_files_atomic(files: dict[str | os.PathLike, bytes]) -> list[Path]:
    """Write every ``{path: data}`` or none of them (see the module docstring); returns the paths."""
    dests = [Path(p) for p in files]
    for dest in dests:
        parent = dest.parent if str(dest.parent) else Path(".")
        if not parent.is_dir():
            raise EdgeqError(f"output folder '{parent}' does not exist: create it or choose another -o path")
        if dest.is_dir():
            raise EdgeqError(f"cannot write '{dest}': it is a folder; give a file name")
    staged: list[tuple[Path, str]] = []
    backups: list[tuple[Path, bool, str | None]] = []  # (dest, it existed, hard link to the old file or None)
    mask = _umask()
    replaced = 0
    try:
        for dest, data in zip(dests, files.values()):
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
            except OSError as e:
                raise _error(dest, e) from None
            staged.append((dest, tmp))
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes 0600; outputs are ordinary files
            except OSError as e:
                raise _error(dest, e) from None
        for dest, tmp in staged:
            old = None
            existed = dest.exists()
            if existed:
                old = f"{tmp}.old"
                try:
                    os.link(dest, old)
                except OSError:
                    old = None  # no hard links here: the old file cannot be put back, but is replaced whole
            backups.append((dest, existed, old))
            try:
                os.replace(tmp, dest)
            except OSError as e:
                raise _error(dest, e) from None
            replaced += 1
    except BaseException:
        for i, (dest, existed, old) in reversed(list(enumerate(backups))):  # put back what was replaced
            if i >= replaced:
                _unlink(old)
            elif old:
                os.replace(old, dest)
            elif not existed:
                _unlink(str(dest))
        for _, tmp in staged:
            _unlink(tmp)
        raise
    for _, _, old in backups:
        _unlink(old)
    return dests


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to a temp file beside ``path``, then rename it into place."""
    return write_files_atomic({path: data})[0]


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    return write_bytes_atomic(path, text.encode("utf-8"))
