"""Where the lab keeps its state (per lab) and its cache (the arm64 rootfs, shared between labs)."""
from __future__ import annotations

import os
from pathlib import Path


def lab_dir() -> Path:
    """State of the running lab: ``$EDGEQ_LAB_DIR`` or ``~/.cache/edgeq/lab``."""
    env = os.environ.get("EDGEQ_LAB_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "edgeq" / "lab"


def cache_dir() -> Path:
    """The rootfs and build cache: ``$EDGEQ_LAB_CACHE`` or ``~/.cache/edgeq/lab``, outside the repository."""
    env = os.environ.get("EDGEQ_LAB_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "edgeq" / "lab"
