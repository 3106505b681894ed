"""edgeq on-device agent (Linux, Android with Python, Raspberry Pi …).

The host pushes a zip with this folder's files, the model, the request and edgeq's on-device
package (under ``pkg/``), unpacks it into a fresh working dir and runs::

    python3 python_agent.py --manifest-sha256 HEX [--keep]

It checks every file against ``manifest.json`` (whose own sha256 the host passes on the
command line), imports edgeq from those files only, measures, and writes one ``@@EDGEQ {json}``
line per event on stdout so the host keeps partial results if the link drops. It deletes its
working dir unless ``--keep``.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import traceback

MARK = "@@EDGEQ "


def emit(kind, payload):
    sys.stdout.write(MARK + json.dumps({"event": kind, **payload}) + "\n")
    sys.stdout.flush()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def verify(workdir, manifest_sha):
    mpath = os.path.join(workdir, "manifest.json")
    if sha256(mpath) != manifest_sha:
        raise RuntimeError("manifest.json checksum mismatch: the push was corrupted, run again")
    with open(mpath) as f:
        manifest = json.load(f)
    for rel, digest in sorted(manifest.items()):
        if sha256(os.path.join(workdir, rel)) != digest:
            raise RuntimeError(f"{rel} checksum mismatch: the push was corrupted, run again")
    return manifest


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest-sha256", required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    workdir = os.path.dirname(os.path.abspath(__file__))
    rc = 0
    try:
        manifest = verify(workdir, args.manifest_sha256)
        emit("verified", {"files": len(manifest)})
        with open(os.path.join(workdir, "request.json")) as f:
            req = json.load(f)
        pkg = os.path.join(workdir, "pkg")
        from pushed_edgeq import use_pushed_package  # next to us, checked by verify() above
        use_pushed_package(pkg)
        from edgeq.profiling.ondevice.measure import measure
        # -c rather than the script's path: under qemu-user a script start alone adds 2 MB of RSS
        memory_child = [sys.executable, "-c", "import sys; sys.path.insert(0, sys.argv[1]); import pushed_edgeq; "
                        "sys.exit(pushed_edgeq.main(*sys.argv[2:]))", workdir, pkg]
        result = measure(os.path.join(workdir, req["model"]), req["configs"], req["options"], emit=emit,
                         memory_child_argv=memory_child)
        emit("result", result)
    except Exception as e:  # noqa: BLE001 - everything goes back to the host as one line
        msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        emit("error", {"message": msg, "type": type(e).__name__,
                       "traceback": traceback.format_exc(limit=5)})
        rc = 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
