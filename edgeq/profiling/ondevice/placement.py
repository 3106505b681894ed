"""Where each node of a model ran: from the runtime's execution plan and the delegates' claim reports.

The runtime tells which nodes a delegate took: each delegate kernel is one ``DELEGATE`` node appended
to the plan, whose inputs and outputs are the boundary tensors of the nodes it replaced; the nodes
it replaced are the original nodes between those boundaries. Which delegate a ``DELEGATE`` node
belongs to follows from the configuration (one delegate per configuration). edgeq's delegates also
write a claim report (``report_path``) that says why they declined each node they left; XNNPACK
gives no reasons, so a node it left says only that.

Runs on the device (standard library and the runtime wrapper only).
"""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any

from ...runtime import MEDIAPIPE_CUSTOM_OPS

#: where a node ran, by configuration delegate
DELEGATE_NAMES = {"cpu": "edgeq-cpu", "gpu": "edgeq-gpu", "xnnpack": "XNNPACK"}
#: the runtime's own kernels, by resolver
FALLBACK_NAMES = {"builtin": "builtin kernels", "default": "builtin kernels", "xnnpack": "builtin kernels",
                  "reference": "reference kernels"}
XNNPACK_DECLINED = "XNNPACK did not take it (XNNPACK reports no reason)"
#: edgeq's float delegate for mediapipe's face-mesh custom ops, which edgeq.runtime adds to any configuration
#: of a model that has them: its partitions are those ops alone
MEDIAPIPE_DELEGATE = "mediapipe delegate (float)"


def execution_plan(ops: list[dict]) -> tuple[list[dict], list[dict]]:
    """(original nodes, delegate partitions) from the interpreter's ops details.

    Each partition is ``{"node": index of the DELEGATE node, "nodes": [original node indices]}``.
    """
    originals = [o for o in ops if o["op_name"] != "DELEGATE"]
    producer = {int(t): int(o["index"]) for o in originals for t in o["outputs"] if int(t) >= 0}
    by_index = {int(o["index"]): o for o in originals}
    parts = []
    for d in ops:
        if d["op_name"] != "DELEGATE":
            continue
        boundary = {int(t) for t in d["inputs"]}
        members: set[int] = set()
        todo = [int(t) for t in d["outputs"]]
        while todo:
            t = todo.pop()
            n = producer.get(t)
            if t in boundary or n is None or n in members:
                continue
            members.add(n)
            todo.extend(int(x) for x in by_index[n]["inputs"] if int(x) >= 0)
        parts.append({"node": int(d["index"]), "nodes": sorted(members)})
    return originals, parts


def placement(ops: list[dict], delegate: str, resolver: str, claim_report: dict | None) -> dict:
    """Each original node with where it ran and, for nodes the configuration's delegate left, why."""
    originals, parts = execution_plan(ops)
    fallback = FALLBACK_NAMES.get(resolver, resolver)
    target = DELEGATE_NAMES.get(delegate)
    kind = {int(o["index"]): o["op_name"] for o in originals}

    def owner(p: dict) -> str:
        # a face-mesh model's custom nodes ran on the mediapipe delegate, not on the configuration's: it counted
        # them as edgeq-cpu's ("363 on edgeq-cpu" where edgeq-cpu ran 352), or as "delegate" with none
        if p["nodes"] and all(kind.get(n) in MEDIAPIPE_CUSTOM_OPS for n in p["nodes"]):
            return MEDIAPIPE_DELEGATE
        return target or "delegate"
    for p in parts:
        p["ran_on"] = owner(p)
    ran_on = {n: p["ran_on"] for p in parts for n in p["nodes"]}
    rejected = {int(r["node"]): r.get("reason") for r in (claim_report or {}).get("rejected") or []}
    claimed = {int(c["node"]) for c in (claim_report or {}).get("claimed") or []}
    nodes = []
    for o in originals:
        i = int(o["index"])
        where = ran_on.get(i, fallback)
        entry: dict[str, Any] = {"node": i, "op": o["op_name"], "ran_on": where, "declined": None}
        if target and where == fallback:
            if i in rejected:
                entry["declined"] = rejected[i] or "no reason given"
            elif delegate == "xnnpack":
                entry["declined"] = XNNPACK_DECLINED
            elif i in claimed:
                entry["declined"] = "claimed by the delegate but not in its partition of the execution plan"
            elif claim_report is not None:
                entry["declined"] = "not claimed (the claim report does not list it)"
        nodes.append(entry)
    counts: dict[str, int] = {}
    for n in nodes:
        counts[n["ran_on"]] = counts.get(n["ran_on"], 0) + 1
    out: dict[str, Any] = {"available": True, "delegate": target, "fallback": fallback, "nodes": nodes,
                           "partitions": [{"ran_on": p["ran_on"], "nodes": p["nodes"]} for p in parts],
                           "counts": counts}
    if claim_report is not None:
        out["claim_report"] = _claim_summary(claim_report)
    return out


def _claim_summary(rep: dict) -> dict:
    """The claim report without per-kernel launch details (those belong to the per-op profile)."""
    keep = ("delegate", "status", "message", "mode", "num_threads", "platform", "device", "device_type",
            "compute_units", "selection", "driver_version", "integer_dot")
    return {k: rep[k] for k in keep if k in rep}


def placement_of(model: str, cfg: dict, delegates_table: dict, make: Any,
                 options: dict[str, str] | None = None) -> dict:
    """Build one interpreter of ``cfg`` with a claim report (not the timed one) and read its placement.

    ``make(model, cfg, delegate_options)`` builds the interpreter (``measure`` owns how); ``options``: more
    delegate options (``ops`` ...).
    """
    spec = delegates_table[cfg["delegate"]]
    with tempfile.TemporaryDirectory(prefix="edgeq-placement-") as tmp:
        path = os.path.join(tmp, "claims.json")
        opts = {**(options or {}), "report_path": path} if spec["delegates"] else None
        try:
            interp = make(model, cfg, opts)
        except Exception as e:  # noqa: BLE001 - the timed run already said whether it loads
            return {"available": False, "reason": f"cannot build the interpreter: {str(e).strip() or type(e).__name__}"}
        try:
            ops = interp.raw._get_ops_details()
        except Exception as e:  # noqa: BLE001 - private API of the runtimes, may change
            return {"available": False, "reason": f"the runtime does not expose its execution plan ({e})"}
        report = None
        if os.path.exists(path):
            with open(path) as f:
                report = json.load(f)
        del interp
    return placement(ops, cfg["delegate"], spec["resolver"], report)


def placement_here(model: str, delegate: str, threads: int = 1, options: dict[str, str] | None = None) -> dict:
    """Placement of ``model`` with ``delegate`` (a measurement delegate name, with delegate ``options``) here."""
    from .measure import DELEGATES, make_interpreter
    if delegate not in DELEGATES:
        raise ValueError(f"unknown delegate '{delegate}': choose from {', '.join(DELEGATES)}")
    return placement_of(model, {"delegate": delegate, "threads": threads}, DELEGATES, make_interpreter, options)
