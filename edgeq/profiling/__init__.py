"""Device profiling: latency, memory and energy of .tflite models on local, ssh, adb and serial devices.

Data flows one way: ``devices`` (profiles and URIs) → ``profile`` (one thread per device) → a runner
→ the report → ``reporting``.

* ``links/``: how bytes reach a device, one link class per URI scheme (``LINKS``, ``parse_uri``).
* ``runners/``: how a measurement is driven, one per profile ``agent`` (``RUNNERS``): ``python_agent``
  pushes the agent and the on-device package over a shell link; ``micro_serial`` drives a board.
* ``ondevice/``: what runs on the device next to the model (measurement phases, statistics, energy
  readers); shipped whole.
* ``reporting/``: ``profile.json``, ``report.html`` and the terminal summary.
"""
