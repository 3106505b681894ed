"""Exactness op by op: every node the CPU delegate claims in a real model, cut out and compared.

LiteRT's reference resolver aborts on several whole suite models, so whole-model equality cannot
be the only proof. For one model, :func:`check_model`

1. loads it with the delegate (in a child process) and reads which nodes it claims;
2. runs it once on the builtin kernels keeping every tensor, on realistic inputs (the suite's own
   inputs for a suite model), so each node sees the activations the real model gives it;
3. cuts each claimed node into a one-op model with its real tensors, shapes, quantization and
   constant inputs, and runs it with the delegate and with ``BUILTIN_REF`` on those activations;
4. compares the outputs bit for bit, and checks that the delegate claimed the node in the cut too.

The cut runs each kernel on its own: fusions made inside a partition (swish LOGISTIC + MUL) are
covered by whole-model comparisons on informative outputs (tests/suite/test_whole_model_exact.py:
a swish table off by one passes every cut here and fails there), not here. A reference kernel that aborts on a cut kills only
the child doing the work; the node is reported as such and the rest go on in a fresh child.

    python -m edgeq.suite.opcheck efficientnet_b0 --size 32 --variant tf-int8
    python -m edgeq.suite.opcheck model.tflite --json
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import numpy as np

#: results per node: the delegate matches the reference / differs / a cut the delegate declines /
#: the reference (or the delegate) fails on the cut / LiteRT's reference kernel aborts the process on
#: the cut (the detail then says how the delegate compares with the builtin kernel) / the process died
#: elsewhere
STATUSES = ("exact", "differs", "declined", "error", "reference aborts", "crash")


def _claims(model_path: str, threads: int) -> tuple[dict, list[int]]:
    """Load and run the model with the delegate in a child process; (probe result, claimed nodes)."""
    from .probe import probe

    with tempfile.TemporaryDirectory(prefix="edgeq-opcheck-") as tmp:
        rp = Path(tmp) / "claims.json"
        res = probe(model_path, "edgeq-cpu", threads=threads, report_path=rp)
        claimed = sorted(int(c["node"]) for c in json.loads(rp.read_text())["claimed"]) if rp.is_file() else []
    return res, claimed


def _model_inputs(interp: Any, suite_name: str | None, size: int | None, seed: int,
                  given: str | None = None) -> list[np.ndarray]:
    from .probe import fixed_inputs

    if given is not None:
        with np.load(given) as z:
            return [z[f"x{i}"] for i in range(len(z.files))]
    if suite_name is None:
        return fixed_inputs(interp, seed)
    from .registry import spec

    xs = spec(suite_name).inputs(1, size, seed)
    return [s.quantize(np.asarray(x).reshape(s.shape)) for s, x in zip(interp.inputs, xs)]


def _check_cut(probe_model: bytes, feeds: list[np.ndarray], threads: int, mode: str = "exact",
               oracle: str = "reference", node: int = -1) -> dict:
    from ..errors import EdgeqError
    from ..runtime import Interpreter

    with tempfile.TemporaryDirectory(prefix="edgeq-opcheck-") as tmp:
        rp = Path(tmp) / "claims.json"
        try:
            d = Interpreter(probe_model, resolver="builtin", delegates=["cpu"],
                            delegate_options={"num_threads": threads, "mode": mode, "report_path": str(rp)},
                            num_threads=threads)
        except EdgeqError as e:
            return {"status": "error", "detail": f"delegate: {str(e).splitlines()[0]}"}
        rep = json.loads(rp.read_text()) if rp.is_file() else {"claimed": [], "rejected": []}
    if not rep["claimed"]:
        why = rep["rejected"][0]["reason"] if rep["rejected"] else "no claim report"
        return {"status": "declined", "detail": why}
    print(json.dumps({"stage": oracle, "node": node}), flush=True)  # a parent seeing this last knows who died
    try:
        ref = Interpreter(probe_model, resolver=oracle)
        want = ref.run(feeds)
    except EdgeqError as e:
        return {"status": "error", "detail": f"reference: {str(e).splitlines()[0]}"}
    got = d.run(feeds)
    for i, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape or g.dtype != w.dtype:
            return {"status": "differs", "detail": f"output {i}: {g.dtype}{list(g.shape)} vs {w.dtype}{list(w.shape)}"}
        if not np.array_equal(g, w):
            diff = np.abs(g.astype(np.int64) - w.astype(np.int64))
            return {"status": "differs", "detail": f"output {i}: {int((diff > 0).sum())} of {diff.size} values differ, "
                                                   f"max {int(diff.max())}"}
    return {"status": "exact", "detail": ""}


def _child(req: dict) -> Iterator[dict]:
    """The work of one child: run the model on builtin kernels, then check the claimed nodes in order."""
    from .. import tflite_schema as ts
    from ..opcut import cut_op
    from ..runtime import Interpreter

    data = Path(req["model"]).read_bytes()
    model = ts.read_model(data)
    full = Interpreter(data, resolver="builtin", preserve_all_tensors=True)
    full.run(_model_inputs(full, req.get("suite"), req.get("size"), req.get("seed", 1), req.get("inputs")))
    sg = model.subgraphs[0]
    for node in req["nodes"]:
        op = sg.operators[node]
        name = ts.op_name(model, op)
        used = [int(t) for t in list(op.inputs if op.inputs is not None else []) + list(op.outputs) if int(t) >= 0]
        shapes = {t: tuple(full.tensor(t).shape) for t in used}
        cut, feed_idx = cut_op(model, node, shapes=shapes, name="opcheck")
        res = _check_cut(cut, [full.tensor(t).copy() for t in feed_idx], req.get("threads", 1), req.get("mode", "exact"),
                         req.get("oracle", "reference"), node)
        yield {"node": node, "op": name, **res}


def _run_child(req: dict, timeout: float) -> tuple[list[dict], str | None, int, str]:
    """(finished rows, the stage the last unfinished node reached, exit status, stderr)."""
    try:
        r = subprocess.run([sys.executable, "-m", "edgeq.suite.opcheck", "--child", json.dumps(req)],
                           capture_output=True, text=True, timeout=timeout)
        lines, rc, err = r.stdout.splitlines(), r.returncode, r.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        lines, rc, err = out.splitlines(), -9, "timed out"
    msgs = [json.loads(ln) for ln in lines if ln.startswith("{")]
    done = [m for m in msgs if "stage" not in m]
    stage = msgs[-1]["stage"] if msgs and "stage" in msgs[-1] else None
    return done, stage, rc, err


def _op_name(model_path: str, node: int) -> str:
    from .. import tflite_schema as ts

    model = ts.read_model(Path(model_path).read_bytes())
    return ts.op_name(model, model.subgraphs[0].operators[node])


def check_model(model_path: str | Path, *, suite_name: str | None = None, size: int | None = None,
                threads: int = 1, seed: int = 1, mode: str = "exact", inputs: list[np.ndarray] | None = None,
                timeout: float = 900) -> dict:
    """Every node the CPU delegate claims in ``model_path``, checked on its own against ``BUILTIN_REF``.

    Returns ``{"load": probe result, "claimed": n, "counts": {status: n}, "ops": {op: {status: n}},
    "nodes": [{"node", "op", "status", "detail"}]}``; ``exact`` is true when every claimed node is;
    ``no_difference`` also lets through nodes LiteRT's reference aborts on if the delegate equals
    the builtin kernel there.
    ``mode``: the delegate's mode in the cuts (``fast`` shows what its tolerance allows). ``inputs``:
    the model's inputs in storage type (default: the suite's inputs, or seeded random ones).
    """
    with tempfile.TemporaryDirectory(prefix="edgeq-opcheck-") as tmp:
        given = None
        if inputs is not None:
            given = str(Path(tmp) / "inputs.npz")
            np.savez(given, **{f"x{i}": x for i, x in enumerate(inputs)})
        return _check_model(str(model_path), suite_name, size, threads, seed, mode, given, timeout)


def _check_model(model_path: str, suite_name: str | None, size: int | None, threads: int, seed: int, mode: str,
                 given: str | None, timeout: float) -> dict:
    load, claimed = _claims(model_path, threads)
    rows: list[dict] = []
    todo = list(claimed)
    base = {"model": model_path, "suite": suite_name, "size": size, "seed": seed, "threads": threads, "mode": mode,
            "inputs": given}
    while todo:
        done, stage, rc, err = _run_child({**base, "nodes": todo}, timeout)
        rows += done
        todo = todo[len(done):]
        if todo and rc == 0:
            raise RuntimeError(f"opcheck child stopped early without an error: {err[-300:]}")
        if todo:  # the child died on todo[0]: record it and go on without it
            node, tail = todo[0], [ln.strip() for ln in err.splitlines() if ln.strip()]
            died = f"exit status {rc}" + (f": {tail[-1][:200]}" if tail else "")
            if stage == "reference":  # no oracle on this node: say how the delegate compares with builtin
                alt, _, _, _ = _run_child({**base, "nodes": [node], "oracle": "builtin"}, timeout)
                vs = (f"delegate {'==' if alt[0]['status'] == 'exact' else '!='} builtin kernel"
                      + (f" ({alt[0]['detail']})" if alt[0]["detail"] else "")) if alt else "builtin not run"
                rows.append({"node": node, "op": _op_name(model_path, node), "status": "reference aborts",
                             "detail": f"BUILTIN_REF {died}; {vs}"})
            else:
                rows.append({"node": node, "op": _op_name(model_path, node), "status": "crash", "detail": died})
            todo = todo[1:]
    ops: dict[str, Counter] = {}
    for row in rows:
        ops.setdefault(row["op"] or "?", Counter())[row["status"]] += 1
    counts = Counter(row["status"] for row in rows)
    unverified_ok = all(r["detail"].endswith("delegate == builtin kernel") for r in rows
                        if r["status"] == "reference aborts")
    return {"load": load, "claimed": len(claimed), "counts": dict(counts),
            "exact": bool(claimed) and counts.get("exact", 0) == len(claimed),
            # every node exact, except where the reference aborts and the delegate equals the builtin kernel
            "no_difference": bool(claimed) and unverified_ok
            and counts.get("exact", 0) + counts.get("reference aborts", 0) == len(claimed),
            "ops": {k: dict(v) for k, v in sorted(ops.items())}, "nodes": rows}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m edgeq.suite.opcheck", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="a suite model name or a .tflite file")
    ap.add_argument("--size", type=int, help="suite model size (default: the test size)")
    ap.add_argument("--variant", default="int8", help="suite variant (default int8)")
    ap.add_argument("--threads", type=int, default=1, help="delegate threads (default 1)")
    ap.add_argument("--mode", default="exact", choices=("exact", "fast"), help="the delegate's mode (default exact)")
    ap.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = ap.parse_args(argv)
    from ..errors import EdgeqError

    try:
        if Path(args.model).is_file():
            res = check_model(args.model, threads=args.threads, mode=args.mode)
        else:
            from . import get, spec

            size = spec(args.model).size_or_default(args.size, "test") if args.size is None else args.size
            m = get(args.model, size, args.variant, samples=2)
            res = check_model(m.path, suite_name=args.model, size=m.size, threads=args.threads, mode=args.mode)
    except (EdgeqError, ValueError) as e:
        print(f"error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(res, indent=1))
    else:
        print(f"load {res['load']['status']}; {res['claimed']} claimed nodes: "
              + ", ".join(f"{k} {v}" for k, v in sorted(res["counts"].items())))
        for op, c in res["ops"].items():
            print(f"  {op:24} " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
        for row in res["nodes"]:
            if row["status"] != "exact":
                print(f"  node {row['node']} {row['op']}: {row['status']} {row['detail']}")
    return 0 if res["exact"] else 1


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        for _row in _child(json.loads(sys.argv[2])):
            print(json.dumps(_row), flush=True)
        sys.exit(0)
    sys.exit(main())
