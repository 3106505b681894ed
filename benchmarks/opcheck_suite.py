"""Op-by-op exactness of the CPU delegate over the model suite (edgeq/suite/opcheck.py): every node it
claims, cut out with its real tensors and quantization and fed the model's own activations on the
suite's realistic inputs, against LiteRT's BUILTIN_REF, bit for bit.

    python benchmarks/opcheck_suite.py                      # core nets (edgeq int8, TensorFlow's
                                                            # dynamic-batch int8), int4 MLP, mediapipe
    python benchmarks/opcheck_suite.py --models efficientnet_b0,minilm_l6 --size 96 --threads 2

Writes ``benchmarks/results/opcheck_suite.json``: per model the load, the claimed nodes, counts per
status and op, and every node that is not exact with why (where LiteRT's reference kernel aborts on a
cut, the delegate is compared with the builtin kernel instead and the node says so).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="all", help="'all', 'core' or a comma list of suite names (default all)")
    ap.add_argument("--size", type=int, help="image side for the keras.applications nets (default 224)")
    ap.add_argument("--no-tf", action="store_true", help="leave out the nets from TensorFlow's converter")
    ap.add_argument("--threads", type=int, default=1, help="delegate threads in the cuts (default 1)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "opcheck_suite.json")
    args = ap.parse_args(argv)
    from suite_coverage import todo

    from edgeq import suite
    from edgeq.suite.opcheck import check_model

    try:
        jobs = todo(args.models, args.size, not args.no_tf)
    except KeyError as e:
        print(f"error: {e.args[0]}", file=sys.stderr)
        return 2
    results: dict = {"threads": args.threads, "models": {}}
    for name, variant, size in jobs:
        key = f"{name}:{variant}@{size or 'fixed'}"
        t0 = time.perf_counter()
        try:
            m = suite.get(name, size, variant)
        except (suite.SuiteBuildError, suite.FetchError) as e:
            results["models"][key] = {"error": str(e).splitlines()[0]}
            print(f"{key}: not built: {str(e).splitlines()[0]}", flush=True)
            continue
        r = check_model(m.path, suite_name=name, size=m.size, threads=args.threads)
        r["nodes"] = [n for n in r["nodes"] if n["status"] != "exact"]  # keep the file small: the exceptions
        r["seconds"] = round(time.perf_counter() - t0, 1)
        results["models"][key] = r
        print(f"{key}: load {r['load']['status']}, {r['claimed']} claimed: {r['counts']}", flush=True)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    done = [r for r in results["models"].values() if "claimed" in r]
    results["summary"] = {"models": len(done), "claimed_nodes": sum(r["claimed"] for r in done),
                          "exact_nodes": sum(r["counts"].get("exact", 0) for r in done),
                          "reference_aborts": sum(r["counts"].get("reference aborts", 0) for r in done),
                          "all_exact": all(r["exact"] or r["claimed"] == 0 for r in done),
                          "no_difference": all(r["no_difference"] or r["claimed"] == 0 for r in done),
                          "not_built": [k for k, r in results["models"].items() if "error" in r]}
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results["summary"]))
    return 0 if results["summary"]["no_difference"] else 1


if __name__ == "__main__":
    sys.exit(main())
