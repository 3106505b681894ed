"""Optional dependencies of the front ends: a missing one is one line naming the extra to install."""
from __future__ import annotations

import importlib
from types import ModuleType

from ..errors import ModelError


def need(module: str, extra: str, what: str) -> ModuleType:
    """Import ``module`` or fail with the pip command that installs edgeq's ``extra``."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ModelError(f"{what} needs the '{extra}' extra ({e.name or module} is not installed): "
                         f"pip install 'edgeq[{extra}]'") from None
