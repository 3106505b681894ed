"""The zip the host pushes to a Python-capable device: agent, model, runtime layer, measurement code.

Every file is listed with its sha256 in ``manifest.json``; the agent checks them all (and the
manifest against the digest passed on its command line) before it runs anything.
"""
from __future__ import annotations

import hashlib
import json
import platform
import zipfile
from pathlib import Path

from ..resources import devices_dir

_EDGEQ = Path(__file__).resolve().parents[1]
AGENT = devices_dir() / "agents" / "python_agent.py"

# package files the agent imports, relative to the edgeq package; kept to what needs only numpy + a runtime
_PKG_FILES = ["runtime.py", "errors.py", "profiling/__init__.py", "profiling/ondevice/__init__.py",
              "profiling/ondevice/measure.py", "profiling/ondevice/stats.py",
              "profiling/ondevice/energy/__init__.py", "profiling/ondevice/energy/base.py",
              "profiling/ondevice/energy/detect.py", "profiling/ondevice/energy/rapl.py",
              "profiling/ondevice/energy/ina2xx.py", "profiling/ondevice/energy/odpm.py",
              "profiling/ondevice/energy/battery.py", "profiling/ondevice/energy/pmic.py",
              "profiling/ondevice/energy/serial_monitor.py"]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def native_libs() -> list[Path]:
    """edgeq's built delegate libraries, if any were built for this host."""
    try:
        from ..runtime import _native_dirs
    except ImportError:  # pragma: no cover
        return []
    for d in _native_dirs():
        libs = sorted(d.glob("libedgeq_*.so")) if d.is_dir() else []
        if libs:
            return libs
    return []


def build_bundle(dest: Path, model: Path, request: dict, device_machine: str | None) -> str:
    """Write the bundle zip to ``dest``; return the manifest's sha256 for the agent's command line."""
    if not AGENT.is_file():
        raise FileNotFoundError(f"agent script missing at {AGENT}")
    files: dict[str, bytes] = {
        "python_agent.py": AGENT.read_bytes(),
        "request.json": json.dumps(request).encode(),
        request["model"]: model.read_bytes(),
        # the package's own __init__ may pull in click/TensorFlow; the device gets an empty one
        "pkg/edgeq/__init__.py": b"",
    }
    for rel in _PKG_FILES:
        files[f"pkg/edgeq/{rel}"] = (_EDGEQ / rel).read_bytes()
    # delegates are native code: ship them only to a device of the host's architecture
    if device_machine and device_machine == platform.machine():
        for lib in native_libs():
            files[f"pkg/edgeq/_native/{lib.name}"] = lib.read_bytes()
    manifest = json.dumps({k: _sha(v) for k, v in sorted(files.items())}, indent=1).encode()
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(name, data)
        z.writestr("manifest.json", manifest)
    return _sha(manifest)
