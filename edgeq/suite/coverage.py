"""Op coverage of the CPU delegate on a model: the ops the model uses, which the delegate claims
and which it leaves to the runtime (with its reasons, from its ``report_path`` JSON), whether
loading it crashes, and whether its outputs equal LiteRT's reference kernels on the whole model."""
from __future__ import annotations

import json
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

from .probe import probe


def model_ops(model: bytes) -> dict[str, int]:
    """Op type → count, from the flatbuffer."""
    import edgeq

    return dict(edgeq.inspect_model(model)["op_counts"])


def node_ops(model: bytes) -> dict[int, str]:
    """Node index (the runtime's execution plan before delegation) → op name."""
    import edgeq

    return {o["index"]: o["op"] for o in edgeq.inspect_model(model)["ops"]}


def delegate_coverage(model_path: str | Path, mode: str = "edgeq-cpu") -> dict:
    """Run the model once with the CPU delegate in a child process and read its claim report.

    Returns ``{"ops": {op: n}, "load": probe result, "claimed": {op: n}, "declined": {op: {reason: n}},
    "claimed_nodes": n, "nodes": n, "report": bool, "reference": probe result, "exact": bool | None}``.
    ``exact`` compares whole-model outputs with ``BUILTIN_REF`` when the reference runs at all.
    """
    model_path = Path(model_path)
    data = model_path.read_bytes()
    ops, names = model_ops(data), node_ops(data)
    with tempfile.TemporaryDirectory(prefix="edgeq-coverage-") as tmp:
        report_path = Path(tmp) / "claim.json"
        load = probe(model_path, mode, threads=1, report_path=report_path)
        report = None
        if report_path.is_file():
            try:
                report = json.loads(report_path.read_text())
            except ValueError:
                report = None
    out: dict = {"ops": ops, "nodes": sum(ops.values()), "load": load, "report": report is not None}
    if report is not None:
        claimed = Counter(c["op"] for c in report["claimed"])
        declined: dict[str, Counter] = defaultdict(Counter)
        for r in report["rejected"]:  # the delegate names only the ops it knows
            declined[r["op"] or names.get(r["node"], f"builtin {r['builtin_code']}")][r["reason"]] += 1
        out["declined_nodes"] = [{"node": r["node"], "op": r["op"] or names.get(r["node"]), "reason": r["reason"]}
                                 for r in report["rejected"]]
        out["claimed"] = dict(sorted(claimed.items()))
        out["claimed_nodes"] = sum(claimed.values())
        out["declined"] = {op: dict(reasons) for op, reasons in sorted(declined.items())}
    ref = probe(model_path, "reference", threads=1)
    out["reference"] = ref
    if load.get("status") == "ok" and ref.get("status") == "ok":
        out["exact"] = load["outputs_sha1"] == ref["outputs_sha1"]
    else:
        out["exact"] = None
    return out


def summarize_declined(declined: dict[str, dict[str, int]], width: int = 70) -> list[str]:
    """``OP xN: reason`` lines, the most frequent reason first."""
    lines = []
    for op, reasons in declined.items():
        for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1]):
            lines.append(f"{op} x{n}: {reason[:width]}")
    return lines
