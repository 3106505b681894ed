"""``python -m edgeq.suite``: list the suite's models, or build one and print where it is.

    python -m edgeq.suite list [--family mediapipe] [--json]
    python -m edgeq.suite get mobilenet_v2 --size 96 --variant int8      # prints the cached path
    python -m edgeq.suite get mlp --size 4096 --variant int4 --json       # path + metadata
"""
from __future__ import annotations

import argparse
import json
import sys

from ..errors import EdgeqError
from . import SPECS, get, names


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m edgeq.suite", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("list", help="the suite's models, their sizes and where the weights come from")
    ls.add_argument("--family", choices=sorted({s.family for s in SPECS.values()}))
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    g = sub.add_parser("get", help="build (or take from the cache) one model and print its path")
    g.add_argument("name", help="a name from 'list'")
    g.add_argument("--size", type=int, help="image side, sequence length or MLP width (default: benchmark size)")
    g.add_argument("--variant", default="int8", help="float, int8, int4, tf-int8 or tf-int8-dynbatch (default int8)")
    g.add_argument("--samples", type=int, default=8, help="calibration samples (default 8)")
    g.add_argument("--calibration", default="mse", help="edgeq.convert calibration method (default mse)")
    g.add_argument("--seed", type=int, default=0, help="weights and data seed (default 0)")
    g.add_argument("--rebuild", action="store_true", help="ignore the cache (also a cached failure)")
    g.add_argument("--json", action="store_true", help="print the path and metadata as JSON")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "list":
            rows = [{"name": n, "family": SPECS[n].family, "bench_size": SPECS[n].bench_size,
                     "test_size": SPECS[n].test_size, "variants": list(SPECS[n].variants),
                     "weights": SPECS[n].weights, "downloads": SPECS[n].downloads} for n in names(args.family)]
            if args.json:
                print(json.dumps(rows, indent=1))
            else:
                print(f"{'name':34} {'family':19} {'size':>5}  weights")
                for r in rows:
                    print(f"{r['name']:34} {r['family']:19} {r['bench_size'] or 'fixed':>5}  {r['weights']}")
            return 0
        if args.name not in SPECS:
            raise EdgeqError(f"no suite model '{args.name}': run 'python -m edgeq.suite list' for the names")
        m = get(args.name, args.size, args.variant, seed=args.seed, samples=args.samples,
                calibration=args.calibration, rebuild=args.rebuild)
    except (EdgeqError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"path": str(m.path), **m.meta}, indent=1) if args.json else m.path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
