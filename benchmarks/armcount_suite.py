"""The model suite on aarch64, counted: guest instructions per invoke under qemu with ``armcount``.

    python benchmarks/armcount_suite.py                  # the suite, cortex-a72/a76/max-nosve, 4 paths, 1 thread
    python benchmarks/armcount_suite.py --models mobilenet_v2 --cpus cortex-a76 --profile 10

Builds the aarch64 CPU delegate (``cmake -S delegates -B build/aarch64`` with the project's
aarch64 toolchain file; Ninja when it is installed), takes the suite's int8 models (and the
int4 MLP) from ``edgeq.suite`` at sizes qemu counts in seconds, and runs
``/work/shared/tools/armcount/armcount`` (``--armcount`` or ``$ARMCOUNT`` to point elsewhere) on
the paths builtin, xnnpack, edgeq and edgeq-fast at 1 thread, where the counts are exact.
Sizes: the keras.applications nets at 96x96 (MobileNetV2 also at 224, the size the CPU issue
quotes), the transformers at 64 tokens, the MLP 4096 wide (int8 and int4).

Writes ``benchmarks/results/suite_armcount.json`` (per run: instructions of invoke #2, ratio to
XNNPACK on the same model and CPU, instruction mix, delegated nodes, output hash; per CPU and
path: geometric mean of the ratios; per model the edgeq hash on each CPU and on x86, which exact
arithmetic makes equal). Output 0 of each copied model is an informative tensor (the logits, or where
random weights collapse them the deepest tensor that is not: ``informative_first``), never the
softmax of a random-weight net, which is -128 everywhere on every path and ``suite_armcount.txt`` (armcount's tables and, with
``--profile N``, the top N functions of the edgeq runs of ``--profile-models``). Instruction
counts are not times: see armcount's README.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DEFAULT_ARMCOUNT = Path(os.environ.get("ARMCOUNT", "/work/shared/tools/armcount/armcount"))
CPUS = "cortex-a72,cortex-a76,max-nosve"
PATHS = "builtin,xnnpack,edgeq,edgeq-fast"


def build_delegate(build_dir: Path) -> Path:
    """Configure (once) and build the aarch64 ``libedgeq_cpu.so``."""
    if not (build_dir / "CMakeCache.txt").is_file():
        gen = ["-G", "Ninja"] if shutil.which("ninja") else []
        subprocess.run(["cmake", "-S", str(REPO / "delegates"), "-B", str(build_dir), *gen,
                        "-DCMAKE_BUILD_TYPE=Release",
                        f"-DCMAKE_TOOLCHAIN_FILE={REPO / 'delegates' / 'cmake' / 'aarch64-linux-gnu.cmake'}"],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(build_dir), "-j", "2"], check=True, stdout=subprocess.DEVNULL)
    lib = build_dir / "libedgeq_cpu.so"
    if not lib.is_file():
        raise SystemExit(f"error: the build wrote no {lib}: check the cmake output above")
    return lib


def suite_models(names: list[str], size: int | None, workdir: Path) -> tuple[list[Path], dict, dict]:
    """Copies of the suite models named for armcount's table: ``<name>_<size>_<variant>.tflite``."""
    from edgeq import suite

    todo = []
    for n in names:
        s = suite.spec(n)
        sz = size if (size and s.family == "keras.applications") else s.armcount_size
        todo.append((n, "int8", sz))
        if n == "mobilenet_v2" and not size and sz != 224:
            todo.append((n, "int8", 224))
        if s.family == "mlp":
            todo.append((n, "int4", sz))
    files, meta, failed = [], {}, {}
    for n, variant, sz in todo:
        label = f"{n}_{sz or 'fixed'}_{variant}"
        print(f"== {label}", file=sys.stderr, flush=True)
        try:
            m = suite.get(n, sz, variant)
        except (suite.SuiteBuildError, suite.FetchError) as e:
            failed[label] = str(e)
            continue
        dest = workdir / f"{label}.tflite"
        data, hashed = informative_first(m.bytes)
        dest.write_bytes(data)
        files.append(dest)
        meta[label] = {"name": n, "variant": variant, "size": sz, "weights": m.meta["weights"], "key": m.meta["key"],
                       **hashed}
    return files, meta, failed


def informative_first(data: bytes) -> tuple[bytes, dict]:
    """The model with the tensor armcount's output hash should cover as output 0: a random-weight net's
    softmax is -128 everywhere on every path, so its hash proves nothing; the logits (or, where they
    collapse, the deepest tensor that does not) can differ. The softmax still runs: counts are unchanged
    but for keeping that tensor. Also returns what was hashed and how informative it is on armcount's
    inputs (seed 1, uniform over the int8 range), with LiteRT's builtin x86 hash of it."""
    import hashlib

    import numpy as np

    from edgeq import tflite_schema as ts
    from edgeq.runtime import Interpreter
    from edgeq.suite.informative import informative_tensors, spread

    it = Interpreter(data, resolver="builtin")
    rng = np.random.default_rng(1)  # armcount's guest inputs
    xs = [rng.integers(np.iinfo(s.dtype).min, np.iinfo(s.dtype).max + 1, s.shape).astype(s.dtype)
          if s.dtype.kind in "iu" else rng.random(s.shape, dtype=np.float32).astype(s.dtype) for s in it.inputs]
    extra = informative_tensors(data, xs)
    if extra:
        m = ts.read_model(data)
        sg = m.subgraphs[0]
        sg.outputs = [extra[-1], *(int(o) for o in sg.outputs if int(o) != extra[-1])]
        data = ts.write_model(m)
        it = Interpreter(data, resolver="builtin")
    out = it.run(xs)[0]
    exact = Interpreter(data, resolver="builtin", delegates=["cpu"], delegate_options={"num_threads": 1}).run(xs)[0]
    return data, {"hashed_output": "model output 0" if not extra else
                  ("logits" if len(extra) == 1 else f"tensor {extra[-1]} (logits collapse to one value)"),
                  "hashed_spread": spread(out, it.outputs[0].zero_point),
                  "builtin_x86_sha1": hashlib.sha1(out.tobytes()).hexdigest()[:12],
                  "edgeq_x86_sha1": hashlib.sha1(exact.tobytes()).hexdigest()[:12]}


def edgeq_hashes(runs: list[dict], meta: dict) -> dict:
    """Per model: the edgeq (mode=exact) output hash on each CPU and on x86. Exact arithmetic gives one
    hash on every ISA path; ``same`` says whether it did (meaningful only where ``degenerate`` is false)."""
    out = {}
    for label, mt in meta.items():
        arm = {r["cpu"]: (r["output_sha1"][1] if isinstance(r.get("output_sha1"), list) else r.get("output_sha1"))
               for r in runs if r["model"] == label and r["path"] == "edgeq" and r.get("output_sha1")}
        if not arm:
            continue
        hashes = set(arm.values()) | {mt.get("edgeq_x86_sha1")}
        out[label] = {"x86": mt.get("edgeq_x86_sha1"), "arm": arm, "same": len(hashes) == 1,
                      "degenerate": mt.get("hashed_spread", {}).get("degenerate")}
    return out


def run_armcount(armcount: Path, files: list[Path], lib: Path, cpus: str, paths: str, jobs: int,
                 profile: int = 0) -> tuple[dict, str]:
    with tempfile.TemporaryDirectory(prefix="armcount-suite-") as tmp:
        out = Path(tmp) / "runs.json"
        cmd = [sys.executable, str(armcount), *map(str, files), "--cpu", cpus, "--paths", paths,
               "--delegate", str(lib), "--jobs", str(jobs), "--json", str(out)]
        if profile:
            cmd += ["--profile", str(profile)]
        print("$ " + " ".join(cmd[1:]), file=sys.stderr, flush=True)
        res = subprocess.run(cmd, stdout=subprocess.PIPE, text=True)  # progress goes to our stderr
        if not out.is_file():
            raise SystemExit(f"error: armcount wrote no results (exit status {res.returncode}): see its output above")
        return json.loads(out.read_text()), res.stdout


def reused_xnnpack_runs(path: Path, meta: dict, runs: list[dict]) -> list[dict]:
    """xnnpack runs of an earlier result whose model has the same cache key (same file), for the CPUs
    counted now; each marked with where it came from."""
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise SystemExit(f"error: --xnnpack-from {path}: {e}")
    cpus = {r["cpu"] for r in runs}
    have = {(r["model"], r["cpu"]) for r in runs if r["path"] == "xnnpack"}
    out = []
    for r in old.get("runs", []):
        label = r.get("model")
        was = old.get("models", {}).get(label, {})
        same = label in meta and all(was.get(k) == meta[label].get(k) for k in ("key", "hashed_output"))
        if r.get("path") == "xnnpack" and same and r.get("cpu") in cpus and (label, r["cpu"]) not in have:
            out.append({**r, "reused_from": str(path)})
    return out


def summarize(runs: list[dict]) -> dict:
    """Ratios to XNNPACK (same model and CPU) and their geometric mean per CPU and path."""
    xnn = {(r["model"], r["cpu"]): r["insns"] for r in runs if r["path"] == "xnnpack" and "insns" in r}
    table, logs = {}, {}
    for r in runs:
        row = table.setdefault(r["model"], {}).setdefault(r["cpu"], {})
        if "insns" not in r:
            row[r["path"]] = {"error": r.get("error", "failed")}
            continue
        x = xnn.get((r["model"], r["cpu"]))
        cell = {"M_insns": round(r["insns"] / 1e6, 3), "ratio_to_xnnpack": round(r["insns"] / x, 4) if x else None,
                "dot_share": round(r["dot_share"], 4), "scalar_share": round(r["scalar_share"], 4)}
        if r.get("delegated"):
            cell["delegated"] = r["delegated"]
        row[r["path"]] = cell
        if x and r["path"] != "xnnpack":
            logs.setdefault(f"{r['cpu']}/{r['path']}", []).append(math.log(r["insns"] / x))
    geo = {k: {"geomean_to_xnnpack": round(math.exp(sum(v) / len(v)), 4), "models": len(v)} for k, v in logs.items()}
    return {"table": table, "geomean": geo}


def format_summary(summary: dict, paths: list[str]) -> str:
    lines = [f"{'model':32} {'cpu':11} " + " ".join(f"{p:>18}" for p in paths)]
    for model, by_cpu in summary["table"].items():
        for cpu, cells in by_cpu.items():
            out = []
            for p in paths:
                c = cells.get(p)
                if c is None:
                    out.append("-")
                elif "error" in c:
                    out.append("FAILED")
                else:
                    r = c["ratio_to_xnnpack"]
                    out.append(f"{c['M_insns']:8.2f}M" + (f" {r:5.2f}x" if r is not None and p != "xnnpack" else ""))
            lines.append(f"{model:32} {cpu:11} " + " ".join(f"{c:>18}" for c in out))
    lines.append("")
    lines.append("geometric mean of instructions / XNNPACK's (same model and CPU):")
    for k, v in sorted(summary["geomean"].items()):
        lines.append(f"  {k:28} {v['geomean_to_xnnpack']:.3f}x over {v['models']} models")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="core", help="'core' or a comma list of suite names (default core)")
    ap.add_argument("--size", type=int, help="image side for every keras.applications net (default 96, "
                                              "plus MobileNetV2 at 224)")
    ap.add_argument("--cpus", default=CPUS, help=f"armcount CPUs (default {CPUS})")
    ap.add_argument("--paths", default=PATHS, help=f"armcount paths (default {PATHS})")
    ap.add_argument("--jobs", type=int, default=max(1, (os.cpu_count() or 2) // 2), help="armcount runs at a time")
    ap.add_argument("--profile", type=int, default=0, metavar="N",
                    help="also profile the edgeq paths: top N functions (a separate armcount run)")
    ap.add_argument("--profile-models", default="mobilenet_v2_224_int8,efficientnet_b0_96_int8",
                    help="model labels to profile (default MobileNetV2 224 and EfficientNetB0 96)")
    ap.add_argument("--profile-cpus", default="cortex-a76,max-nosve")
    ap.add_argument("--build-dir", type=Path, default=REPO / "build" / "aarch64")
    ap.add_argument("--armcount", type=Path, default=DEFAULT_ARMCOUNT)
    ap.add_argument("--xnnpack-from", type=Path, metavar="JSON",
                    help="take the xnnpack rows from an earlier result of this script where the model's cache key "
                         "is the same (XNNPACK's counts do not depend on the delegate), so --paths can omit xnnpack")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "suite_armcount.json")
    args = ap.parse_args(argv)
    if not args.armcount.is_file():
        print(f"error: armcount not found at {args.armcount}: pass --armcount or set ARMCOUNT", file=sys.stderr)
        return 2
    if not shutil.which("aarch64-linux-gnu-gcc"):
        print("error: aarch64-linux-gnu-gcc is missing: apt-get install gcc-aarch64-linux-gnu", file=sys.stderr)
        return 2
    from edgeq import suite

    names = list(suite.CORE) if args.models == "core" else args.models.split(",")
    try:
        for n in names:
            suite.spec(n)
    except KeyError as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    lib = build_delegate(args.build_dir)
    paths = args.paths.split(",")
    with tempfile.TemporaryDirectory(prefix="armcount-models-") as tmp:
        files, meta, failed = suite_models(names, args.size, Path(tmp))
        doc, text = run_armcount(args.armcount, files, lib, args.cpus, args.paths, args.jobs)
        if args.xnnpack_from:
            doc["runs"] += reused_xnnpack_runs(args.xnnpack_from, meta, doc["runs"])
        summary = summarize(doc["runs"])
        summary["edgeq_hashes"] = edgeq_hashes(doc["runs"], meta)
        report = [text, format_summary(summary, paths)]
        profiles = []
        if args.profile:
            chosen = [f for f in files if f.stem in args.profile_models.split(",")]
            if chosen:
                pdoc, ptext = run_armcount(args.armcount, chosen, lib, args.profile_cpus, "xnnpack,edgeq,edgeq-fast",
                                           args.jobs, profile=args.profile)
                profiles = [{k: r.get(k) for k in ("model", "cpu", "path", "insns", "profile")}
                            for r in pdoc["runs"] if r.get("profile")]
                report.append(ptext[ptext.find("Top "):] if "Top " in ptext else ptext)
    result = {"armcount": doc["armcount"], "models": meta, "not_built": failed, "summary": summary,
              "runs": doc["runs"], "profiles": profiles}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = args.out.with_suffix(".tmp")
    tmp_out.write_text(json.dumps(result, indent=1))
    os.replace(tmp_out, args.out)
    args.out.with_suffix(".txt").write_text("\n\n".join(report) + "\n")
    print("\n\n".join(report[1:]))
    for label, why in failed.items():
        print(f"not built: {label}: {why}")
    for label, h in summary["edgeq_hashes"].items():
        if not h["same"] or h["degenerate"]:
            print(f"edgeq output hash {label}: " + ("DIFFERS between ISAs " if not h["same"] else "")
                  + ("(degenerate output: the hash proves little)" if h["degenerate"] else "") + f" {h}")
    print(f"wrote {args.out} and {args.out.with_suffix('.txt')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
