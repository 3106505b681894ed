"""``edgeq lab``: emulated devices (an arm64 Raspberry Pi, a phone, an MCU board) for CI without hardware.

The Pi and the phone are chroots of one cached Debian arm64 root filesystem, run under
qemu-user through binfmt_misc, each in its own network, mount and PID namespace; the board is
``edgeq.lab.virtual_board`` behind a pty. Timings from any of them are not hardware timings.
"""
