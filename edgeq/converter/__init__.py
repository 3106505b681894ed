"""``edgeq.convert``: a trained model plus representative data → a fully-integer TFLite model."""
from .pipeline import ConversionResult, convert, manifest_path

__all__ = ["convert", "ConversionResult", "manifest_path"]
