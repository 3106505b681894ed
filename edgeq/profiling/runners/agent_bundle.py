"""The zip the host pushes to a Python-capable device: the agent's files, the request, the model, the
on-device package and, for a device of the host's architecture, edgeq's delegate libraries.

The on-device package (``edgeq/profiling/ondevice``) ships whole, together with every edgeq module
its files import, found by reading their import statements: nothing is listed by hand. The
packages above those files get empty ``__init__.py`` files, since edgeq's own may pull in click or
TensorFlow. Every file is listed with its sha256 in ``manifest.json``; the agent checks them all
(and the manifest against the digest passed on its command line) before it runs anything.
"""
from __future__ import annotations

import ast
import hashlib
import json
import platform
import zipfile
from pathlib import Path

from ...resources import devices_dir
from ...runtime import _native_dirs

#: the edgeq package folder; bundle names are relative to the folder above it (``edgeq/...``)
EDGEQ_DIR = Path(__file__).resolve().parents[2]
ONDEVICE_DIR = EDGEQ_DIR / "profiling" / "ondevice"
#: the agent's files, shipped whole next to the model: python_agent.py is what the host runs
AGENT_DIR = devices_dir() / "agents"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _module_file(dotted: str) -> Path | None:
    """The file of edgeq module ``dotted`` (``edgeq.x.y``): ``x/y.py`` or ``x/y/__init__.py``."""
    parts = dotted.split(".")
    if parts[0] != "edgeq":
        return None
    base = EDGEQ_DIR.joinpath(*parts[1:])
    for cand in (base.with_suffix(".py"), base / "__init__.py"):
        if cand.is_file():
            return cand
    return None


def _module_name(path: Path) -> str:
    rel = path.relative_to(EDGEQ_DIR.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def edgeq_imports(path: Path) -> list[Path]:
    """Files of the edgeq modules ``path`` imports anywhere in its code (also inside functions)."""
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    found: list[Path] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = package.split(".")
                base = ".".join(up[:len(up) - node.level + 1])
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            # ``from pkg import name`` may name a submodule as well as an attribute
            targets = [module] + [f"{module}.{a.name}" for a in node.names]
        else:
            continue
        for t in targets:
            f = _module_file(t)
            if f is not None and f not in found:
                found.append(f)
    return found


def ondevice_files() -> list[Path]:
    """The on-device package, whole, plus the edgeq modules it imports (transitively)."""
    shipped: set[Path] = set()
    todo = sorted(ONDEVICE_DIR.rglob("*.py"))
    while todo:
        f = todo.pop()
        if f in shipped:
            continue
        # a package above the on-device folder is shipped as an empty __init__, never its own
        if f.name == "__init__.py" and ONDEVICE_DIR not in (f.parent, *f.parent.parents):
            continue
        shipped.add(f)
        todo += edgeq_imports(f)
    return sorted(shipped)


def package_files() -> dict[str, bytes]:
    """Bundle name (``edgeq/...``) → bytes of every Python file the on-device package needs."""
    files: dict[str, bytes] = {}
    for f in ondevice_files():
        rel = f.relative_to(EDGEQ_DIR.parent)
        files[rel.as_posix()] = f.read_bytes()
        for parent in rel.parents:
            if parent.parts and (parent / "__init__.py").as_posix() not in files:
                files[(parent / "__init__.py").as_posix()] = b""
    return files


def native_libs() -> list[Path]:
    """edgeq's built delegate libraries, if any were built for this host."""
    for d in _native_dirs():
        libs = sorted(d.glob("libedgeq_*.so")) if d.is_dir() else []
        if libs:
            return libs
    return []


def build_bundle(dest: Path, model: Path, request: dict, device_machine: str | None) -> str:
    """Write the bundle zip to ``dest``; return the manifest's sha256 for the agent's command line."""
    files: dict[str, bytes] = {f.name: f.read_bytes() for f in sorted(AGENT_DIR.glob("*.py"))}
    files["request.json"] = json.dumps(request).encode()
    files[request["model"]] = model.read_bytes()
    for name, data in package_files().items():
        files[f"pkg/{name}"] = data
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
