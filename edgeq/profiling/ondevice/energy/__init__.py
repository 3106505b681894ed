"""Energy meters, one module each, all reading under a ROOT prefix so tests can replay recorded trees.

Every reader is standard-library only (pyserial for the serial monitor): they run on the device.
``detect.detect_reader`` picks one by a profile's ``energy`` field; ``base.energy_per_inference``
turns it into whole-device and marginal (idle-subtracted) energy per inference.
"""
