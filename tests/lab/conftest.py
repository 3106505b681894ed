"""The lab tests profile lab devices with the profiling tests' helpers (short windows, free ports)."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "profiling"))
