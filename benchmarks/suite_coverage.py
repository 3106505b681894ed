"""Op coverage of the CPU delegate on the model suite: which int8 ops each model uses, which the
delegate claims and which it declines (with the reasons from its claim report), whether loading
it crashes or errors, and whether the whole model's outputs equal LiteRT's reference kernels.

    python benchmarks/suite_coverage.py                 # core nets (int8 by edgeq.convert and by
                                                        # TensorFlow's converter), int4 MLP, mediapipe
    python benchmarks/suite_coverage.py --models mobilenet_v3_small --size 96

Each load runs in a child process (``edgeq.suite.probe``), so a crash is recorded, not fatal.
Writes ``benchmarks/results/suite_coverage.json`` and ``suite_coverage.md`` (readable tables).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def todo(models: str, size: int | None, with_tf: bool) -> list[tuple[str, str, int | None]]:
    from edgeq import suite

    names = [*suite.CORE, *suite.names("mediapipe")] if models == "all" else (
        list(suite.CORE) if models == "core" else models.split(","))
    out = []
    for n in names:
        s = suite.spec(n)
        sz = None if s.bench_size is None else (size if size and s.family == "keras.applications" else s.bench_size)
        out.append((n, "int8", sz))
        if s.family == "mlp":
            out.append((n, "int4", sz))
        if with_tf and "tf-int8-dynbatch" in s.variants:
            out.append((n, "tf-int8-dynbatch", sz))
    return out


def markdown(results: dict) -> str:
    rows = ["| model | converts | nodes | claimed | declined (op xN: reason) | delegate load | = BUILTIN_REF |",
            "|---|---|---|---|---|---|---|"]
    for key, r in results["models"].items():
        if "error" in r:
            rows.append(f"| {key} | no: {r['error'][:160]} | | | | | |")
            continue
        from edgeq.suite.coverage import summarize_declined

        declined = "<br>".join(summarize_declined(r.get("declined", {}), 90)) or "none"
        load = r["load"]["status"] + (f": {r['load']['detail'][:120]}" if r["load"]["status"] != "ok" else "")
        ref = r["reference"]["status"]
        exact = {True: "yes", False: "**no**", None: f"n/a (reference: {ref})" if ref != "ok" else "n/a"}[r["exact"]]
        claimed = f"{r.get('claimed_nodes', 0)}" if r["report"] else "no report"
        rows.append(f"| {key} | yes | {r['nodes']} | {claimed} | {declined} | {load} | {exact} |")
    ops = ["", "| op | models using it | claimed nodes | declined nodes |", "|---|---|---|---|"]
    for op, c in sorted(results["ops"].items(), key=lambda kv: -kv[1]["models"]):
        ops.append(f"| {op} | {c['models']} | {c['claimed']} | {c['declined']} |")
    return "\n".join(rows + ops) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="all", help="'all', 'core' or a comma list of suite names (default all)")
    ap.add_argument("--size", type=int, help="image side for the keras.applications nets (default 224)")
    ap.add_argument("--no-tf", action="store_true", help="leave out the nets from TensorFlow's converter")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "suite_coverage.json")
    args = ap.parse_args(argv)
    from edgeq import suite
    from edgeq.suite.coverage import delegate_coverage, model_ops

    try:
        jobs = todo(args.models, args.size, not args.no_tf)
    except KeyError as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    results: dict = {"models": {}, "ops": {}}
    for name, variant, size in jobs:
        key = f"{name}:{variant}@{size or 'fixed'}"
        print(f"== {key}", flush=True)
        try:
            m = suite.get(name, size, variant)
        except (suite.SuiteBuildError, suite.FetchError) as e:
            results["models"][key] = {"error": str(e)}
            if suite.spec(name).family == "mediapipe":  # the float file's ops still say what int8 would need
                try:
                    results["models"][key]["float_ops"] = model_ops(suite.get(name, None, "float").bytes)
                except (suite.SuiteBuildError, suite.FetchError):
                    pass
            print(f"   not built: {e}", flush=True)
            continue
        cov = delegate_coverage(m.path)
        cov["weights"] = m.meta["weights"]
        results["models"][key] = cov
        print(f"   {cov.get('claimed_nodes', 0)}/{cov['nodes']} claimed; load {cov['load']['status']}; "
              f"exact {cov['exact']}", flush=True)
        for op, n in cov["ops"].items():
            c = results["ops"].setdefault(op, {"models": 0, "claimed": 0, "declined": 0})
            c["models"] += 1
            c["claimed"] += cov.get("claimed", {}).get(op, 0)
            c["declined"] += sum(cov.get("declined", {}).get(op, {}).values())
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=1))
    os.replace(tmp, args.out)
    md = markdown(results)
    args.out.with_suffix(".md").write_text(md)
    print(md)
    print(f"wrote {args.out} and {args.out.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
