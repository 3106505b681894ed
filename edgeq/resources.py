"""Where edgeq's non-Python files live: the repository's ``devices/`` folder in a checkout
(editable installs), or ``edgeq/devices`` inside an installed wheel."""
from __future__ import annotations

from pathlib import Path

from .errors import EdgeqError

_HERE = Path(__file__).resolve().parent


def devices_dir() -> Path:
    """The folder holding device profiles, on-device agents, the adb daemon and the virtual board."""
    for cand in (_HERE.parent / "devices", _HERE / "devices"):
        if (cand / "profiles").is_dir():
            return cand
    raise EdgeqError("edgeq's device files (profiles, agents) are missing: reinstall edgeq with 'pip install .'")
