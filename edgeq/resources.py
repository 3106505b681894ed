"""Where edgeq's data files live: the repository's ``devices/`` and ``delegates/`` folders in a checkout
(editable installs), or ``edgeq/devices`` and ``edgeq/delegates`` inside an installed wheel (pyproject.toml
maps one onto the other)."""
from __future__ import annotations

from pathlib import Path

from .errors import EdgeqError

_HERE = Path(__file__).resolve().parent


def devices_dir() -> Path:
    """The folder holding the device profiles and the on-device agent."""
    for cand in (_HERE.parent / "devices", _HERE / "devices"):
        if (cand / "profiles").is_dir():
            return cand
    raise EdgeqError("edgeq's device files (profiles, agents) are missing: reinstall edgeq with 'pip install .'")


def delegates_dir() -> Path:
    """The native delegates' CMake project: kernel sources (edgeq compile) and the aarch64 toolchain file."""
    for cand in (_HERE.parent / "delegates", _HERE / "delegates"):
        if (cand / "CMakeLists.txt").is_file() and (cand / "kernels" / "base" / "requant.h").is_file():
            return cand
    raise EdgeqError("edgeq's delegate sources (delegates/) are missing: reinstall edgeq with 'pip install .'")
