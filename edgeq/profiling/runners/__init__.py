"""Runners: how a measurement is driven on a device, one per profile ``agent``.

``python`` pushes the agent and the on-device package over a shell link (local, ssh, adb);
``micro-serial`` drives a board over a serial link with MLPerf Tiny's runner commands;
``mcu-firmware`` compiles the model into edgeq's firmware, boots or flashes it, and measures it.
"""
from __future__ import annotations

from typing import Callable

from . import mcu_firmware, micro_serial, python_agent

#: progress callback of a runner: (step, total steps, what is running)
Progress = Callable[[int, int, str], None]

#: profile ``agent`` → the runner that measures such a device; each runs
#: ``(device, model, configs, options, keep, progress, result)`` and fills ``result`` as it goes
RUNNERS = {"python": python_agent.run, "micro-serial": micro_serial.run, "mcu-firmware": mcu_firmware.run}
