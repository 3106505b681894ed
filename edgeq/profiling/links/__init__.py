"""Links: how bytes reach a device (a local process, ssh, adb, or a serial port)."""
