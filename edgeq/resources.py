"""Where edgeq's device files live: the repository's ``devices/`` folder in a checkout (editable
installs), or ``edgeq/devices`` inside an installed wheel (pyproject.toml maps one onto the other)."""
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
