"""edgeq on-device agent (Linux, Android with Python, Raspberry Pi …).

The host pushes a zip with this file, the model, the request and edgeq's on-device package
(under ``pkg/``), unpacks it into a fresh working dir and runs::

    python3 python_agent.py --manifest-sha256 HEX [--keep]

It checks every file against ``manifest.json`` (whose own sha256 the host passes on the
command line), measures, and writes one ``@@EDGEQ {json}`` line per event on stdout so the
host keeps partial results if the link drops. It deletes its working dir unless ``--keep``.
``edgeq`` is imported from the verified files only, even where another edgeq is installed.

The memory pass starts this file again as ``python_agent.py --memory-child PKG MODEL CONFIG SEED``
in a fresh process; that mode imports as little as it can, so the RSS it reports is the model's.
"""
import importlib.machinery
import json
import os
import sys

MARK = "@@EDGEQ "


def emit(kind, payload):
    sys.stdout.write(MARK + json.dumps({"event": kind, **payload}) + "\n")
    sys.stdout.flush()


def sha256(path):
    import hashlib  # here, not at the top: it adds megabytes of RSS the memory child must not carry
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


def use_pushed_package(pkg):
    """Make ``import edgeq…`` find the pushed files under ``pkg`` and nothing else."""
    class PushedEdgeq:
        @staticmethod
        def find_spec(name, path=None, target=None):
            if name != "edgeq" and not name.startswith("edgeq."):
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, [pkg] if name == "edgeq" else path)
            if spec is None:  # stop here: an installed edgeq must not fill the gap
                raise ModuleNotFoundError(f"{name} is not in the pushed package", name=name)
            return spec
    sys.meta_path.insert(0, PushedEdgeq)


def memory_child(pkg, model, config, seed):
    use_pushed_package(pkg)
    from edgeq.profiling.ondevice.measure import memory_child as measure_memory
    print(json.dumps(measure_memory(model, json.loads(config), int(seed))))
    return 0


def run(argv):
    import argparse
    import shutil
    import traceback
    ap = argparse.ArgumentParser()
    ap.add_argument("--manifest-sha256", required=True)
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    workdir = os.path.dirname(os.path.abspath(__file__))
    rc = 0
    try:
        manifest = verify(workdir, args.manifest_sha256)
        emit("verified", {"files": len(manifest)})
        with open(os.path.join(workdir, "request.json")) as f:
            req = json.load(f)
        pkg = os.path.join(workdir, "pkg")
        use_pushed_package(pkg)
        from edgeq.profiling.ondevice.measure import measure
        result = measure(os.path.join(workdir, req["model"]), req["configs"], req["options"], emit=emit,
                         memory_child_argv=[sys.executable, os.path.abspath(__file__), "--memory-child", pkg])
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


def main():
    if sys.argv[1:2] == ["--memory-child"]:
        return memory_child(*sys.argv[2:6])
    return run(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
