"""edgeq: convert trained models to fully-integer TFLite, run them on native delegates,
and profile them on real devices."""
from __future__ import annotations

__version__ = "0.1.0"

#: public name → (module, attribute), imported on first use: importing edgeq must stay cheap
#: (the CLI's --help, on-device agents)
_LAZY = {
    "convert": (".converter", "convert"),
    "ConversionResult": (".converter", "ConversionResult"),
    "ConvertOptions": (".options", "ConvertOptions"),
    "inspect_model": (".analysis.model_info", "summarize"),
    "delegate_path": (".runtime", "delegate_path"),
    "Interpreter": (".runtime", "Interpreter"),
}
__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'edgeq' has no attribute {name!r}")
    import importlib

    module, attr = _LAZY[name]
    return getattr(importlib.import_module(module, __name__), attr)
