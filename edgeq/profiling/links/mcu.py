"""``mcu://BOARD``: a microcontroller edgeq builds firmware for (``edgeq.mcu``). The model is compiled
into the firmware, so the link only exists once the mcu-firmware runner has built it and booted it
(QEMU) or flashed it (a real board, ``?port=/dev/ttyACM0``); before that, checking the device means
checking the tools that will build and run it."""
from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

from ..errors import DeviceError, ProfileError
from .base import DeviceUri, Link

if TYPE_CHECKING:
    from ..devices import Device


class McuLink(Link):
    scheme = "mcu"
    usage = ("mcu://mps2-an386 (or mps3-an547: QEMU), mcu://nucleo-h743zi?port=/dev/ttyACM0",)
    runner = "mcu-firmware"
    device_class = "mcu"

    @classmethod
    def check_uri(cls, uri: DeviceUri) -> None:
        from ...mcu.boards import BOARDS
        if uri.netloc not in BOARDS:
            raise ProfileError(f"device '{uri.text}': unknown board '{uri.netloc}': use one of {', '.join(BOARDS)}")

    @classmethod
    def open(cls, uri: DeviceUri, dev: Device, timeout: float) -> McuLink:
        return cls(uri)

    def __init__(self, uri: DeviceUri):
        from ...mcu.boards import board
        self.uri = uri.text
        self.board = board(uri.netloc)
        self.port = uri.options.get("port")

    def check(self, timeout: float = 10) -> None:
        tools = ["arm-none-eabi-gcc"] + (["qemu-system-arm"] if self.board.qemu_machine else [])
        missing = [t for t in tools if shutil.which(t) is None]
        if missing:
            raise DeviceError(f"{self.uri}: {', '.join(missing)} not installed (apt-get install gcc-arm-none-eabi "
                              "qemu-system-arm)")
        if not self.board.qemu_machine and not self.port:
            raise DeviceError(f"{self.uri}: a real board needs its serial port: {self.uri}?port=/dev/ttyACM0")
