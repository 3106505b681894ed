"""Device profiling: latency, memory and energy of .tflite models on local, ssh, adb and serial devices."""
