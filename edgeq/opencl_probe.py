"""Is there an OpenCL runtime here for edgeq's GPU delegate? Asked at run time, as the delegate does.

``libedgeq_gpu`` loads ``libOpenCL.so.1`` (or ``$EDGEQ_OPENCL_LIBRARY``) with dlopen when a model is
delegated, so a build without OpenCL installed succeeds and says nothing: this probe is how
``edgeq devices --check`` tells the user. The query runs in a child process: an LLVM-based driver
(PoCL) can crash a process that has imported TensorFlow (see delegates/gpu/cl_api.c), and a broken
driver must not take the command down with it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

#: the libraries the delegate tries, in its order (delegates/gpu/cl_api.c)
LIBRARIES = ("libOpenCL.so.1", "libOpenCL.so")

_CHILD = r'''
import ctypes, json, sys
names = json.loads(sys.argv[1])
lib = None
for n in names:
    try:
        lib = ctypes.CDLL(n)
        break
    except OSError:
        pass
if lib is None:
    print(json.dumps({"library": None}))
    sys.exit(0)
vp, u32, sz = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_size_t
lib.clGetPlatformIDs.argtypes = [u32, vp, ctypes.POINTER(u32)]
lib.clGetPlatformInfo.argtypes = [vp, u32, sz, vp, ctypes.POINTER(sz)]
lib.clGetDeviceIDs.argtypes = [vp, ctypes.c_uint64, u32, vp, ctypes.POINTER(u32)]
lib.clGetDeviceInfo.argtypes = [vp, u32, sz, vp, ctypes.POINTER(sz)]
TYPES = ((4, "gpu"), (8, "accelerator"), (2, "cpu"))  # CL_DEVICE_TYPE_GPU, _ACCELERATOR, _CPU

def kind(d):
    t = ctypes.c_uint64()
    if lib.clGetDeviceInfo(d, 0x1000, 8, ctypes.byref(t), None) != 0:  # CL_DEVICE_TYPE
        return "other"
    return next((name for bit, name in TYPES if t.value & bit), "other")

def text(fn, obj, param):
    n = sz()
    if fn(obj, param, 0, None, ctypes.byref(n)) != 0:
        return ""
    buf = ctypes.create_string_buffer(n.value)
    fn(obj, param, n.value, buf, None)
    return buf.value.decode(errors="replace").strip()

count = u32()
err = lib.clGetPlatformIDs(0, None, ctypes.byref(count))
out = {"library": n, "error": err, "platforms": []}
if err == 0 and count.value:
    ids = (vp * count.value)()
    lib.clGetPlatformIDs(count.value, ids, None)
    for p in ids:
        nd = u32()
        devices = []
        if lib.clGetDeviceIDs(p, 0xFFFFFFFF, 0, None, ctypes.byref(nd)) == 0 and nd.value:  # CL_DEVICE_TYPE_ALL
            dids = (vp * nd.value)()
            lib.clGetDeviceIDs(p, 0xFFFFFFFF, nd.value, dids, None)
            devices = [{"name": text(lib.clGetDeviceInfo, d, 0x102B), "type": kind(d)} for d in dids]  # CL_DEVICE_NAME
        out["platforms"].append({"name": text(lib.clGetPlatformInfo, p, 0x0902),  # CL_PLATFORM_NAME
                                 "version": text(lib.clGetPlatformInfo, p, 0x0901),  # CL_PLATFORM_VERSION
                                 "devices": devices})
print(json.dumps(out))
'''


def libraries() -> list[str]:
    env = os.environ.get("EDGEQ_OPENCL_LIBRARY")
    return [env] if env else list(LIBRARIES)


def probe(timeout: float = 30) -> dict[str, Any]:
    """``{"available": bool, "reason": str | None, "library": ..., "platforms": [{name, version, devices}]}``;
    ``reason`` says what is missing and how to fix it when nothing usable is found."""
    names = libraries()
    try:
        r = subprocess.run([sys.executable, "-c", _CHILD, json.dumps(names)], capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return {"available": False, "library": None, "platforms": [],
                "reason": f"asking OpenCL for its platforms took over {timeout:.0f} s: a driver hangs"}
    try:
        info = json.loads(r.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        tail = (r.stderr.strip().splitlines() or [f"exit status {r.returncode}"])[-1]
        return {"available": False, "library": None, "platforms": [],
                "reason": f"the OpenCL driver crashed while listing platforms ({tail}): remove the broken ICD "
                          "from /etc/OpenCL/vendors or reinstall it"}
    info.pop("error", None)
    info.setdefault("platforms", [])
    if info["library"] is None:
        info["reason"] = (f"no OpenCL runtime ({names[0]} not found): the gpu delegate cannot run here; install an "
                          "OpenCL ICD loader and a driver (e.g. ocl-icd-libopencl1 + pocl-opencl-icd) or set "
                          "EDGEQ_OPENCL_LIBRARY")
    elif not info["platforms"]:
        vendors = os.environ.get("OCL_ICD_VENDORS", "/etc/OpenCL/vendors")
        info["reason"] = (f"no OpenCL platform ({info['library']} found no driver in {vendors}): the gpu delegate "
                          "cannot run here; install a driver, e.g. pocl-opencl-icd or the GPU vendor's")
    elif not any(p["devices"] for p in info["platforms"]):
        info["reason"] = "the OpenCL platforms here have no devices: the gpu delegate cannot run here"
    else:
        info["reason"] = None
    info["available"] = info["reason"] is None
    # what the delegate takes by default (device_type=auto): a GPU or an accelerator, never a CPU device
    info["default_device"] = any(d["type"] in ("gpu", "accelerator") for p in info["platforms"] for d in p["devices"])
    return info


def describe(info: dict[str, Any]) -> str:
    """One line: the platforms and devices, or why the GPU delegate cannot run here."""
    if not info["available"]:
        return info["reason"]
    line = "; ".join(f"{p['name']} ({' '.join(p['version'].split()[:3])}): "
                     + (", ".join(f"{d['name']} ({d['type']})" for d in p["devices"]) or "no devices")
                     for p in info["platforms"])
    if not info["default_device"]:
        line += (" -- no GPU or accelerator: the gpu delegate uses a CPU OpenCL device only when asked "
                 "(edgeq profile / edgeq inspect --delegate-option gpu:platform=NAME; delegate option "
                 "device_type=cpu or platform=NAME)")
    return line
