"""libedgeq_gpu builds without OpenCL development headers and runs what it built.

The delegate declares the OpenCL API slice it uses (delegates/include/edgeq/opencl_c_abi.h) and
dlopens libOpenCL at run time. Here the compiler's default include folders are replaced by
copies without ``CL/`` (``-nostdinc``), so a stray ``#include <CL/cl.h>`` fails the build;
the library built that way must run a convolution on PoCL bit-exact with BUILTIN_REF. Every
constant and type size of our header is also compared with the Khronos CL/cl.h (CI installs it).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import _opmodels as om

REPO = Path(__file__).resolve().parents[2]
ABI_H = REPO / "delegates" / "include" / "edgeq" / "opencl_c_abi.h"
CC = os.environ.get("CC", "cc")


def _default_include_dirs() -> list[Path]:
    res = subprocess.run([CC, "-E", "-Wp,-v", "-x", "c", os.devnull], capture_output=True, text=True, check=True)
    lines = res.stderr.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("#include <...>"))
    return [Path(ln.strip()) for ln in lines[start + 1:] if ln.startswith(" ")]


def _headerless_flags(root: Path) -> str:
    """-nostdinc plus -isystem copies (symlink farms) of the default include folders minus CL/."""
    flags = ["-nostdinc"]
    for i, d in enumerate(_default_include_dirs()):
        farm = root / f"inc{i}"
        farm.mkdir()
        for entry in d.iterdir():
            if entry.name not in ("CL", "OpenCL"):
                (farm / entry.name).symlink_to(entry)
        flags += ["-isystem", str(farm)]
    return " ".join(flags)


@pytest.fixture(scope="module")
def headerless_build(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("gpu_no_cl_headers")
    flags = _headerless_flags(root)
    probe = root / "probe.c"
    probe.write_text("#include <CL/cl.h>\nint main(void) { return 0; }\n")
    hidden = subprocess.run(f"{CC} {flags} -c {probe} -o {root / 'probe.o'}", shell=True, capture_output=True, text=True)
    assert hidden.returncode != 0 and "CL/cl.h" in hidden.stderr, "the OpenCL headers are still on the include path"
    build = root / "build"
    cfg = subprocess.run(["cmake", "-S", str(REPO / "delegates"), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
                          f"-DCMAKE_C_FLAGS={flags}"], capture_output=True, text=True)
    assert cfg.returncode == 0, cfg.stdout[-2000:] + cfg.stderr[-2000:]
    res = subprocess.run(["cmake", "--build", str(build), "--target", "edgeq_gpu", "-j2"], capture_output=True,
                         text=True)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    lib = build / "libedgeq_gpu.so"
    assert lib.is_file()
    return lib


def test_builds_without_opencl_headers_and_links_no_opencl(headerless_build):
    dyn = subprocess.run(["readelf", "-d", str(headerless_build)], capture_output=True, text=True, check=True).stdout
    needed = re.findall(r"\(NEEDED\).*\[(.+?)\]", dyn)
    assert needed and not any("OpenCL" in n for n in needed), needed  # dlopen'ed at run time


_RUN = r"""
import json, sys
import numpy as np
from edgeq.runtime import Interpreter
model = open(sys.argv[1], "rb").read()
ref = Interpreter(model, resolver="reference")
gpu = Interpreter(model, resolver="reference", delegates=[sys.argv[2]],
                  delegate_options={"report_path": sys.argv[3], "platform": "Portable Computing Language",
                                    "cache_dir": sys.argv[4]})
x = np.random.default_rng(0).integers(-128, 128, size=ref.inputs[0].shape, dtype=np.int8)
print(json.dumps({"equal": bool(np.array_equal(ref.run([x])[0], gpu.run([x])[0]))}))
"""


def test_headerless_build_runs_on_pocl(headerless_build, tmp_path):
    fn, shapes = om.conv2d(h=7, w=7, cin=8, cout=5, act="relu")
    model = tmp_path / "conv.tflite"
    model.write_bytes(om.convert(fn, shapes))
    report = tmp_path / "report.json"
    res = subprocess.run([sys.executable, "-c", _RUN, str(model), str(headerless_build), str(report),
                          str(tmp_path / "cache")], capture_output=True, text=True, timeout=300, cwd=REPO)
    assert res.returncode == 0, res.stderr[-3000:]
    assert json.loads(res.stdout.strip().splitlines()[-1]) == {"equal": True}
    rep = json.loads(report.read_text())
    assert rep["status"] == "ok", rep.get("message")
    assert [c["op"] for c in rep["claimed"]] == ["CONV_2D"]
    assert all(p["invocations"] > 0 for p in rep["partitions"])


def _abi_names() -> tuple[list[str], list[str]]:
    text = ABI_H.read_text()
    consts = re.findall(r"^#define (CL_[A-Z0-9_]+) ", text, flags=re.M)
    types = re.findall(r"^typedef .*?\b(cl_[a-z_]+);", text, flags=re.M)
    return consts, types


def _dump(tmp: Path, tag: str, include: str, extra: str = "") -> dict[str, int]:
    consts, types = _abi_names()
    body = "".join(f'  printf("%s %lld\\n", "{c}", (long long)({c}));\n' for c in consts)
    body += "".join(f'  printf("sizeof(%s) %zu\\n", "{t}", sizeof({t}));\n' for t in types)
    src = tmp / f"{tag}.c"
    src.write_text(f"{extra}#include <stdio.h>\n#include {include}\nint main(void) {{\n{body}  return 0;\n}}\n")
    exe = tmp / tag
    subprocess.run([CC, "-I", str(ABI_H.parents[1]), str(src), "-o", str(exe)], check=True, capture_output=True)
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return dict(ln.rsplit(" ", 1) for ln in out.splitlines())


def test_declared_api_matches_khronos_headers(tmp_path):
    cl_h = [d / "CL" / "cl.h" for d in _default_include_dirs() if (d / "CL" / "cl.h").is_file()]
    if not cl_h:
        pytest.skip("Khronos CL/cl.h not installed (apt install opencl-headers) to compare against")
    ours = _dump(tmp_path, "ours", '"edgeq/opencl_c_abi.h"')
    theirs = _dump(tmp_path, "khronos", "<CL/cl.h>\n#include <CL/cl_ext.h>",
                   extra="#define CL_TARGET_OPENCL_VERSION 120\n")
    assert len(ours) >= 50
    assert ours == theirs


def test_icd_dispatch_slots_match_khronos_headers(tmp_path):
    """delegates/gpu/icd_dispatch.h (the table a directly loaded driver is called through) names
    the same slots as the Khronos CL/cl_icd.h, checked by the compiler: a wrong index fails the build."""
    icd_h = [d / "CL" / "cl_icd.h" for d in _default_include_dirs() if (d / "CL" / "cl_icd.h").is_file()]
    if not icd_h:
        pytest.skip("Khronos CL/cl_icd.h not installed (apt install opencl-headers) to compare against")
    ours = REPO / "delegates" / "gpu" / "icd_dispatch.h"
    slots = re.findall(r"EQG_ICD_(\w+) = \d+", ours.read_text())
    slots = [s for s in slots if s != "SLOTS"]
    assert len(slots) >= 25
    src = tmp_path / "slots.c"
    src.write_text(
        "#define CL_TARGET_OPENCL_VERSION 300\n#define CL_USE_DEPRECATED_OPENCL_1_1_APIS\n"
        "#define CL_USE_DEPRECATED_OPENCL_1_2_APIS\n#include <CL/cl_icd.h>\n#include <stddef.h>\n"
        f'#include "{ours}"\n'
        + "".join(f'_Static_assert(offsetof(cl_icd_dispatch, cl{s}) / sizeof(void*) == EQG_ICD_{s}, "{s}");\n'
                  for s in slots))
    res = subprocess.run([CC, "-fsyntax-only", str(src)], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr[-2000:]
    # and the check can fail: a shifted slot is caught
    src.write_text(src.read_text().replace("== EQG_ICD_Finish", "== EQG_ICD_Finish + 1"))
    assert subprocess.run([CC, "-fsyntax-only", str(src)], capture_output=True).returncode != 0
