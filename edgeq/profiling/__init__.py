"""Device profiling: latency, memory and energy of .tflite models on local, ssh, adb and serial devices.

Kept import-free on purpose: the agent ships parts of this package to devices that
have no click, no tqdm and no TensorFlow.
"""
