"""One libedgeq_cpu build under several environment settings (knobs the delegate reads when it builds its
kernels: EDGEQ_CPU_POOL_SPIN_US, EDGEQ_ISA, EDGEQ_SLOW_GATHERS, or an experiment's own) side by side with
XNNPACK, wall clock, interleaved in one process: one device call compares several settings at once.

    python benchmarks/bench_cpu_knobs.py --lib build/libedgeq_cpu.so --files mlp=mlp.tflite \\
        --threads 1,4,8 --variant default= --variant spin200=EDGEQ_CPU_POOL_SPIN_US=200 --out knobs.json

Each --variant NAME=ENV=V,ENV=V (empty: the defaults) is an edgeq-cpu interpreter built with exactly those
knobs set (every knob any variant names is unset first); 'xnnpack' is always added. Rounds visit every
(model, threads, variant) in a new shuffled order; medians of all timed inferences, ratios to XNNPACK and
to the first variant; the JSON is rewritten after every round (--budget: no new round after that many
seconds), so a run cut short keeps its rounds. Interpreters of identical settings differed by up to ~8%
on the H200 host (ResNet50 at 1 thread, session 6): read small differences as noise.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_cpu_ab import _prepared  # noqa: E402
from interleave import interleaved, stats_ms, cpu_name  # noqa: E402


def report(a, variants, samples, rounds_done, t0, threads, final):
    res = {}
    first = next(iter(variants), None)
    for (m, t, v), s in samples.items():
        res.setdefault(m, {}).setdefault(str(t), {})[v] = stats_ms(s)
    for m in res:
        for t, row in res[m].items():
            x = row["xnnpack"]["median_ms"]
            line = [f"{m:16s} t{t:>2s} xnn {x:8.4f}"]
            for v in variants:
                e = row[v]["median_ms"]
                row[v]["to_xnnpack"] = e / x
                if first:
                    row[v]["to_first"] = e / row[first]["median_ms"]
                line.append(f"{v} {e:8.4f} ({e / x:4.2f}x)")
            if final:
                print("  ".join(line), flush=True)
    doc = {"cpu": cpu_name(), "cpus": len(os.sched_getaffinity(0)), "load": os.getloadavg(), "lib": a.lib,
           "variants": variants, "threads": threads, "rounds": rounds_done, "min_time": a.min_time,
           "method": "wall clock per invoke, interleaved shuffled rounds in one process, medians",
           "note": a.note, "elapsed_s": time.time() - t0, "results": res}
    if a.out:
        a.out.write_text(json.dumps(doc, indent=1))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lib", required=True)
    ap.add_argument("--files", nargs="+", required=True, help="NAME=model.tflite")
    ap.add_argument("--threads", default="1,4,8")
    ap.add_argument("--variant", action="append", default=[], help="NAME=ENV=V,ENV=V")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--min-time", type=float, default=0.1)
    ap.add_argument("--budget", type=float, default=0, help="seconds: no new round after this (0: all rounds)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    variants = {}
    for v in a.variant:
        name, _, rest = v.partition("=")
        variants[name] = dict(kv.split("=", 1) for kv in rest.split(",") if kv)
    knobs = {k for env in variants.values() for k in env}
    files = dict(f.split("=", 1) for f in a.files)
    threads = [int(t) for t in a.threads.split(",")]
    t0 = time.time()
    runs, outs = {}, {}
    for m, path in files.items():
        for t in threads:
            runs[(m, t, "xnnpack")] = _prepared(path, None, t).invoke
            for name, env in variants.items():
                for k in knobs:
                    os.environ.pop(k, None)
                os.environ.update(env)
                it = _prepared(path, a.lib, t)
                runs[(m, t, name)] = it.invoke
                outs[(m, t, name)] = it
    for k in knobs:
        os.environ.pop(k, None)
    samples = {k: [] for k in runs}
    rounds_done = 0
    for r in range(a.rounds):
        if a.budget and rounds_done and time.time() - t0 > a.budget:
            break
        for k, v in interleaved(runs, 1, 1 + r, min_time=a.min_time).items():
            samples[k] += v
        rounds_done += 1
        report(a, variants, samples, rounds_done, t0, threads, final=r == a.rounds - 1)
    if rounds_done < a.rounds:
        report(a, variants, samples, rounds_done, t0, threads, final=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
