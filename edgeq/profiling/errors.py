"""Errors of the profiling harness; all are user-facing EdgeqErrors with one-line messages."""
from __future__ import annotations

from ..errors import EdgeqError


class DeviceError(EdgeqError):
    """A device is unreachable, refused us, or went away mid-run."""


class ProfileError(EdgeqError):
    """A device profile file is malformed."""


class AgentError(DeviceError):
    """The on-device agent failed (crashed, bad checksum, missing runtime)."""


class FitError(EdgeqError):
    """The model does not fit the board's flash or RAM."""
