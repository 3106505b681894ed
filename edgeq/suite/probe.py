"""Load and run a model once on one execution path in a fresh process, and say what happened.

LiteRT's reference kernels abort on some real models, and a delegate can crash the process
while it partitions a graph: a benchmark or report must survive both. :func:`probe` runs
``python -m edgeq.suite.probe`` and classifies the result as ``ok``, ``error`` (a Python
exception: its last line is kept) or ``crash`` (killed by a signal, or another exit status).
"""
from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

#: execution paths: name → (resolver, delegates, delegate options beyond num_threads)
PATHS: dict[str, tuple[str, tuple[str, ...], dict[str, str]]] = {
    "xnnpack": ("default", (), {}),
    "builtin": ("builtin", (), {}),
    "reference": ("reference", (), {}),
    "edgeq-cpu": ("builtin", ("cpu",), {}),
    "edgeq-cpu-fast": ("builtin", ("cpu",), {"mode": "fast"}),
}


def make_interpreter(model: bytes | str | Path, path: str, threads: int = 1, report_path: str | None = None) -> Any:
    """An ``edgeq.runtime.Interpreter`` for one of :data:`PATHS`."""
    from edgeq.runtime import Interpreter

    resolver, delegates, extra = PATHS[path]
    opts = None
    if delegates:
        opts = {"num_threads": threads, **extra}
        if report_path:
            opts["report_path"] = report_path
    src = model if isinstance(model, bytes) else str(model)
    return Interpreter(src, resolver=resolver, delegates=list(delegates), delegate_options=opts, num_threads=threads)


def fixed_inputs(interp: Any, seed: int = 1) -> list:
    """Random inputs in each input's storage type (the same for every path)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    out = []
    for s in interp.inputs:
        if s.dtype.kind == "f":
            out.append(rng.standard_normal(s.shape).astype(s.dtype))
        else:
            info = np.iinfo(s.dtype)
            out.append(rng.integers(max(info.min, -128), min(info.max, 127) + 1, s.shape).astype(s.dtype))
    return out


def probe(model_path: str | Path, path: str, threads: int = 1, report_path: str | Path | None = None,
          timeout: float = 900) -> dict:
    """Load + run once on ``path`` in a child process. Returns ``{"status": "ok"|"error"|"crash",
    "detail": one line, "outputs_sha1": ..., "outputs_degenerate": fewer than MIN_DISTINCT values, and for a model
    ending in SOFTMAX "informative_sha1" / "informative": the logits and, where they collapse, the deepest
    tensor that does not (edgeq.suite.informative)}``."""
    req = {"model": str(model_path), "path": path, "threads": threads,
           "report_path": str(report_path) if report_path else None}
    try:
        res = subprocess.run([sys.executable, "-m", "edgeq.suite.probe", json.dumps(req)], capture_output=True,
                             text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "crash", "detail": f"no answer within {timeout:.0f} s (hung)"}
    lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
    if res.returncode == 0 and lines:
        return json.loads(lines[-1])
    err = [ln.strip() for ln in res.stderr.splitlines() if ln.strip()]
    if res.returncode < 0:
        try:
            name = signal.Signals(-res.returncode).name
        except ValueError:
            name = f"signal {-res.returncode}"
        tail = f"; last stderr line: {err[-1][:200]}" if err else ""
        return {"status": "crash", "detail": f"killed by {name}{tail}"}
    if res.returncode == 3 and err:  # a Python exception, reported on the last line
        # the runtime often logs the real cause before raising a bare RuntimeError
        said = [ln for ln in err[:-1] if ln.startswith(("ERROR:", "WARNING:")) and "absl::InitializeLog" not in ln
                and "All log messages before" not in ln]
        cause = f" (runtime log: {said[-1][:300]})" if said else ""
        return {"status": "error", "detail": err[-1][:300] + cause}
    tail = f": {err[-1][:200]}" if err else ""
    return {"status": "crash", "detail": f"exit status {res.returncode}{tail}"}


def probe_threads(model_path: str | Path, path: str, threads: list[int], timeout: float = 900) -> dict[int, dict]:
    """:func:`probe` at every thread count in ``threads`` from one child process (the model's
    informative tensors are found once, then one interpreter per thread count is loaded and run in
    turn): ``{threads: probe result}``. If that child does not answer for every thread count (a
    crash, a hang, an exception), each thread count is probed alone, so a failure is pinned on
    the configuration that has it."""
    req = {"model": str(model_path), "path": path, "threads": list(threads)}
    try:
        res = subprocess.run([sys.executable, "-m", "edgeq.suite.probe", json.dumps(req)], capture_output=True,
                             text=True, timeout=timeout)
        lines = [ln for ln in res.stdout.splitlines() if ln.startswith("{")]
        if res.returncode == 0 and lines:
            got = {int(k): v for k, v in json.loads(lines[-1]).items()}
            if set(got) == set(threads):
                return got
    except subprocess.TimeoutExpired:
        pass
    return {t: probe(model_path, path, t, timeout=timeout) for t in threads}


def _child(req: dict) -> int:
    from .informative import informative_tensors, with_outputs

    try:
        data = Path(req["model"]).read_bytes()
        n_out = len(make_interpreter(data, "builtin").outputs)
        try:  # the tensors that can tell paths apart, added as outputs (nothing else changes)
            extra = informative_tensors(data, fixed_inputs(make_interpreter(data, "builtin")))
        except Exception:  # noqa: BLE001 - a model builtin cannot run: the plain outputs only
            extra = []
        model = with_outputs(data, extra) if extra else data
        if isinstance(req["threads"], list):  # probe_threads: one result per thread count, keyed by it
            res = {}
            for t in req["threads"]:
                interp = make_interpreter(model, req["path"], t)
                res[str(t)] = _result(interp, interp.run(fixed_inputs(interp)), n_out, extra)
                del interp
            print(json.dumps(res))
            return 0
        interp = make_interpreter(model, req["path"], req["threads"], req.get("report_path"))
        outs = interp.run(fixed_inputs(interp))
    except Exception as e:  # noqa: BLE001 - reported to the parent as one line
        msg = " ".join(str(e).split()) or type(e).__name__
        print(f"{type(e).__name__}: {msg}", file=sys.stderr)
        return 3
    print(json.dumps(_result(interp, outs, n_out, extra)))
    return 0


def _result(interp: Any, outs: list, n_out: int, extra: list) -> dict:
    from .informative import spread

    digest = hashlib.sha1(b"".join(o.tobytes() for o in outs[:n_out])).hexdigest()
    spreads = [spread(o, s.zero_point) for o, s in zip(outs, interp.outputs)]
    res = {"status": "ok", "detail": "", "outputs_sha1": digest, "outputs_spread": spreads[:n_out],
           # equal hashes of degenerate outputs prove nothing: compare informative_sha1
           "outputs_degenerate": all(s["degenerate"] for s in spreads[:n_out])}
    if extra:
        res["informative_sha1"] = hashlib.sha1(b"".join(o.tobytes() for o in outs[n_out:])).hexdigest()
        res["informative"] = [{"tensor": t, **s} for t, s in zip(extra, spreads[n_out:])]
        res["informative_degenerate"] = all(s["degenerate"] for s in spreads[n_out:])
    return res


if __name__ == "__main__":
    sys.exit(_child(json.loads(sys.argv[1])))
