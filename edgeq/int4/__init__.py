"""INT4 weights for TFLite models: packing, int8→int4 rewriting, better rounding, mixed precision.

TFLite's converter cannot emit INT4 after training; edgeq rewrites the weight
tensors of a fully-integer int8 model instead (what stock LiteRT accepts only).
"""
from .mixed import mixed_precision
from .packing import pack_int4, unpack_int4
from .transform import Int4Plan, emit_int4, plan_int4, to_int4

__all__ = ["pack_int4", "unpack_int4", "to_int4", "plan_int4", "emit_int4", "Int4Plan", "mixed_precision"]
