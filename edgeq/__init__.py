"""edgeq: convert trained models to fully-integer TFLite, run them on native delegates,
and profile them on real devices."""
from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__", "convert", "ConversionResult", "ConvertOptions", "inspect_model", "delegate_path",
           "Interpreter"]


def __getattr__(name: str):
    # Lazy: importing edgeq must stay cheap (the CLI's --help, on-device agents).
    if name == "convert":
        from .converter import convert
        return convert
    if name == "ConversionResult":
        from .converter import ConversionResult
        return ConversionResult
    if name == "ConvertOptions":
        from .options import ConvertOptions
        return ConvertOptions
    if name == "inspect_model":
        from .analysis.model_info import summarize
        return summarize
    if name == "delegate_path":
        from .runtime import delegate_path
        return delegate_path
    if name == "Interpreter":
        from .runtime import Interpreter
        return Interpreter
    raise AttributeError(f"module 'edgeq' has no attribute {name!r}")
