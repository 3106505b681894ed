"""``edgeq.convert``: a trained model plus representative data → a fully-integer TFLite model."""
from .manifest import manifest_path
from .pipeline import ConversionResult, convert

__all__ = ["convert", "ConversionResult", "manifest_path"]
