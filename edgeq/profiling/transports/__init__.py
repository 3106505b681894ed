"""How the host reaches a device: a local process, ssh, adb, or a serial port."""
