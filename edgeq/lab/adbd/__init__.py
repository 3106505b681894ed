"""A small device-side adb daemon (adbd) over TCP, in Python.

Debian ships the adb client but no adbd; edgeq's tests (and the lab's virtual phone) run this
one so the real ``adb`` client has something to ``connect``, ``shell``, ``push`` and ``pull`` to.
Speaks the adb transport (CNXN, AUTH, OPEN, OKAY, WRTE, CLSE) with the ``shell:`` (v1, raw)
and ``sync:`` (STAT/LIST/SEND/RECV/DATA/DONE/OKAY/FAIL/QUIT) services.
"""
