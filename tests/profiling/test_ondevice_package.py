"""The on-device package ships whole, and everything it imports ships with it or is on every device."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

from edgeq.profiling.runners.agent_bundle import AGENT_DIR, EDGEQ_DIR, ONDEVICE_DIR, build_bundle, package_files

#: what a device offers besides the standard library: numpy, pyserial for the serial energy monitor and
#: nvidia-ml-py (pynvml) for the NVML one (each imported inside its reader, which reports its absence).
#: The TFLite runtime is found by edgeq.runtime through importlib, never by an import statement.
DEVICE_LIBRARIES = {"numpy", "serial", "pynvml"}
#: host-only dependencies: importing any of them on a device would fail there
HOST_ONLY = ["click", "tqdm", "tensorflow", "keras", "flatbuffers", "tflite_micro"]


def test_every_file_of_the_ondevice_folder_ships():
    shipped = set(package_files())
    on_disk = {p.relative_to(EDGEQ_DIR.parent).as_posix() for p in ONDEVICE_DIR.rglob("*.py")}
    assert len(on_disk) >= 12 and on_disk <= shipped
    # and the edgeq modules the folder imports, with empty package files above them
    assert {"edgeq/runtime.py", "edgeq/errors.py"} <= shipped
    assert package_files()["edgeq/__init__.py"] == b"" and package_files()["edgeq/profiling/__init__.py"] == b""


def _imports(source: str) -> set[tuple[int, str]]:
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out |= {(0, a.name) for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            out.add((node.level, node.module or ""))
    return out


def test_shipped_files_import_only_shipped_modules_and_device_libraries():
    files = package_files()
    names = {n[:-len("/__init__.py")] if n.endswith("/__init__.py") else n[:-3] for n in files}
    for name, data in files.items():
        package = name.rsplit("/", 1)[0]
        for level, module in _imports(data.decode()):
            if level:  # relative: must land on a shipped module or package
                base = package.split("/")
                target = "/".join(base[:len(base) - level + 1] + (module.split(".") if module else []))
                assert target in names, f"{name} imports {'.' * level}{module}, which is not shipped"
            elif module.split(".")[0] == "edgeq":
                assert module.replace(".", "/") in names, f"{name} imports {module}, which is not shipped"
            else:
                top = module.split(".")[0]
                assert top in sys.stdlib_module_names or top in DEVICE_LIBRARIES, \
                    f"{name} imports {module}: not on a device (stdlib, numpy, pyserial only)"


def test_the_agent_files_need_only_the_standard_library_and_each_other():
    agent_modules = {p.stem for p in AGENT_DIR.glob("*.py")}
    assert {"python_agent", "pushed_edgeq"} <= agent_modules
    for f in AGENT_DIR.glob("*.py"):
        for level, module in _imports(f.read_text()):
            top = module.split(".")[0]
            assert level == 0 and (top in sys.stdlib_module_names or top in agent_modules or top == "edgeq"), \
                f"{f.name} imports {module}: the agent runs before anything but the standard library is known"


# runs with -S: no site-packages processing, so no editable install of edgeq can answer imports
IMPORT_ALL = r"""
import importlib, json, sys
pkg, site, names, blocked = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
class Blocker:
    @staticmethod
    def find_spec(name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{name} is a host-only library")
sys.meta_path.insert(0, Blocker)
sys.path[:0] = [pkg, site]
for n in names:
    importlib.import_module(n)
print(json.dumps({n: m.__file__ for n, m in sys.modules.items() if n.split(".")[0] == "edgeq"}))
"""


def test_the_bundle_imports_alone_without_host_libraries(tiny_model, tmp_path):
    bundle = tmp_path / "bundle.zip"
    build_bundle(bundle, tiny_model, {"model": "model.tflite", "configs": [], "options": {}}, None)
    zipfile.ZipFile(bundle).extractall(tmp_path / "wd")
    pkg = tmp_path / "wd" / "pkg"
    modules = sorted(".".join(p.relative_to(pkg).with_suffix("").parts).removesuffix(".__init__")
                     for p in pkg.rglob("*.py"))
    site = str(Path(np.__file__).parents[1])
    p = subprocess.run([sys.executable, "-S", "-c", IMPORT_ALL, str(pkg), site, json.dumps(modules),
                        json.dumps(HOST_ONLY)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-3000:]
    loaded = json.loads(p.stdout)
    assert set(modules) <= set(loaded)
    assert all(f.startswith(str(pkg)) for f in loaded.values()), loaded
