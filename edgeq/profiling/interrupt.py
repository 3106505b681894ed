"""Ctrl-C during ``edgeq profile``: one flag every runner reads, and what stops the device-side work."""
from __future__ import annotations

import threading

#: set when the user interrupted the run: runners name that as the cause, not what followed from it
INTERRUPTED = threading.Event()
CAUSE = "interrupted (Ctrl-C) before finishing"


def stop_devices() -> None:
    """Kill the agents' streams (the device side then loses its pipe) and end shared ssh connections."""
    from .links.shell import stop_streams
    from .links.ssh import close_all
    close_all()  # first: commands started from now on open no new shared connection
    stop_streams()
