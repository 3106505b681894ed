"""What runs on the device next to the model: the measurement phases, latency statistics, energy readers.

The python runner pushes this folder whole. Everything in it needs only the standard library,
numpy and one TFLite runtime; of edgeq it may use only modules that do too (``edgeq.runtime``,
``edgeq.errors``): the bundle ships what these files import, and tests check nothing else is needed.
"""
