"""What ``edgeq profile`` prints when it is done: per device its status, per configuration the latency,
memory and energy figures in readable units, and where the nodes ran (each fallback with its reason)."""
from __future__ import annotations

from . import units


def placement_lines(p: dict, indent: str = "    ", layers: dict[int, str] | None = None) -> list[str]:
    """One line of counts, then the nodes the configuration's delegate left, grouped by op, place and reason
    (one node names its layer; a group lists its first node indices)."""
    if not p or not p.get("available"):
        return [f"{indent}placement: {p.get('reason')}"] if p and p.get("reason") else []
    counts = ", ".join(f"{n} on {k}" for k, n in sorted(p["counts"].items(), key=lambda kv: -kv[1]))
    lines = [f"{indent}placement: {len(p['nodes'])} nodes: {counts}"]
    groups: dict[tuple[str, str, str], list[int]] = {}
    for n in p["nodes"]:
        if n.get("declined"):
            groups.setdefault((n["op"], n["ran_on"], n["declined"]), []).append(n["node"])
    for (op, where, why), nodes in groups.items():
        if len(nodes) == 1:
            layer = (layers or {}).get(nodes[0])
            what = f"node {nodes[0]} {op}{f' ({layer})' if layer else ''}"
        else:
            shown = ", ".join(str(i) for i in nodes[:8]) + (", …" if len(nodes) > 8 else "")
            what = f"{len(nodes)} {op} nodes ({shown})"
        lines.append(f"{indent}  {what} ran on {where}: {why}")
    return lines


def summary_lines(report: dict) -> list[str]:
    """Status of each device; for each configuration with samples its median, p90, p99, runs, peak RSS, energy."""
    layers = {o["node"]: o.get("layer") for o in (report.get("model") or {}).get("ops") or []}
    lines = []
    for d in report["devices"]:
        lines.append(f"{d['device']['name']}: {d['status']}" + (f" ({d['error']})" if d.get("error") else ""))
        for c in d["configs"]:
            st = c.get("steady") or {}
            if not st.get("count"):
                if c.get("error"):
                    lines.append(f"  {c['label']:<14} {c['error']}")
                continue
            mem = c.get("memory") or {}
            en = c.get("energy") or {}
            extra = []
            if mem.get("peak_rss_bytes"):
                extra.append(f"peak RSS {units.size_bytes(mem['peak_rss_bytes'])}")
            elif mem.get("arena_bytes"):
                extra.append(f"arena {units.size_bytes(mem['arena_bytes'])}")
            if en.get("energy_per_inference_uj") is not None:
                extra.append(f"{units.energy_uj(en['energy_per_inference_uj'])}/inference")
            gpu = c.get("gpu_energy") or {}
            if gpu.get("energy_per_inference_uj") is not None:
                extra.append(f"GPU {units.energy_uj(gpu['energy_per_inference_uj'])}/inference "
                             f"({units.energy_uj(gpu.get('marginal_energy_per_inference_uj'))} over idle, NVML)")
            lines.append(f"  {c['label']:<14} median {units.duration_ms(st['median']):>9}  "
                         f"p90 {units.duration_ms(st['p90']):>9}  p99 {units.duration_ms(st['p99']):>9}  "
                         f"n={st['count']}" + ("  " + "  ".join(extra) if extra else ""))
            lines.extend(delegate_lines(c))
            lines.extend(placement_lines(c.get("placement") or {}, layers=layers))
            lines.extend(op_profile_lines(c.get("op_profile") or {}, layers=layers))
    return lines


def start_split(ph: dict, load_ms: float | None, first_ms: float | None) -> str:
    """The gpu delegate's start in its phases, to the first result: the OpenCL driver (loader and enumeration),
    context and queue, program, its cache write (PoCL builds every kernel there), partition setup; then the first
    inference, where a lazy driver (PoCL) compiles the kernels it runs."""
    d = units.duration_ms
    parts = [f"driver {d((ph.get('load_opencl') or 0) + (ph.get('enumerate_devices') or 0))}",
             f"context {d(ph.get('context_queue') or 0)}", f"program {d(ph.get('program') or 0)}"]
    if ph.get("program_cache_write"):
        parts.append(f"cache write {d(ph['program_cache_write'])}")
    parts.append(f"setup {d(ph.get('partitions_setup') or 0)}")
    total = f"{d((load_ms or 0) + (first_ms or 0))} to the first result" if load_ms is not None else ""
    tail = f"; first inference {d(first_ms)}" if first_ms is not None else ""
    return f"{total} (load: {', '.join(parts)}{tail})".strip()


def delegate_lines(c: dict, indent: str = "    ") -> list[str]:
    """Which OpenCL device edgeq's gpu delegate ran on, how its start went (program compiled: cold; from edgeq's
    cache: warm), and the delegate's own message when it is not ok."""
    rep = (c.get("placement") or {}).get("claim_report") or {}
    lines = []
    if rep.get("device"):
        line = (f"{indent}device: {rep['device']} ({rep.get('device_type', '?')}) on {rep.get('platform', '?')}"
                + (f", {rep['compute_units']} compute units" if rep.get("compute_units") else ""))
        st = c.get("delegate_start") or {}
        if st:
            if st.get("reused"):
                how = "context and program shared with another delegate of this process (warm start)"
            elif st.get("cold"):
                how = f"program compiled in {units.duration_ms(st.get('compile_ms'))} (cold start)"
            else:
                how = f"program from edgeq's cache in {units.duration_ms(st.get('cache_load_ms'))} (warm start)"
            line += f"; load {units.duration_ms(c.get('load_ms'))}: {how}"
        lines.append(line)
        if st.get("startup_ms"):
            lines.append(f"{indent}start: {start_split(st['startup_ms'], c.get('load_ms'), c.get('first_inference_ms'))}")
    if rep.get("status") and rep["status"] != "ok":
        lines.append(f"{indent}{rep.get('delegate', 'delegate')} is {rep['status']}: {rep.get('message')}")
    return lines


def op_profile_lines(op: dict, indent: str = "    ", layers: dict[int, str] | None = None, top: int = 4) -> list[str]:
    """The delegate's per-op times in one line by op type (the largest first) and the slowest node."""
    if not op.get("available") or not op.get("nodes"):
        return []
    by_op: dict[str, float] = {}
    for n in op["nodes"]:
        by_op[n["op"]] = by_op.get(n["op"], 0.0) + float(n["ms"])
    total = sum(by_op.values()) or 1.0
    ranked = sorted(by_op.items(), key=lambda kv: -kv[1])
    parts = [f"{name} {units.duration_ms(ms)} ({100 * ms / total:.0f}%)" for name, ms in ranked[:top]]
    slow = max(op["nodes"], key=lambda n: float(n["ms"]))
    layer = (layers or {}).get(slow["node"])
    return [f"{indent}per-op time: {units.duration_ms(total)} per inference in {len(op['nodes'])} nodes: "
            + ", ".join(parts) + (", …" if len(ranked) > top else ""),
            f"{indent}  slowest node {slow['node']} {slow['op']}{f' ({layer})' if layer else ''}: "
            f"{units.duration_ms(float(slow['ms']))}"]


def placement_table(p: dict, layers: dict[int, str] | None = None) -> list[str]:
    """Every node with where it ran and, for a node the delegate left, why: what ``edgeq inspect --delegate`` prints."""
    if not p.get("available"):
        return [f"placement unknown: {p.get('reason')}"]
    rep = p.get("claim_report") or {}
    head = f"where each node runs with {p.get('delegate') or 'no delegate'}"
    if rep.get("device"):
        head += f" (OpenCL device: {rep['device']}, {rep.get('device_type', '?')})"
    if rep.get("status") and rep["status"] != "ok":
        head += f": the delegate is {rep['status']}: {rep.get('message')}"
    lines = [head + ":", f"  {'node':>4}  {'op':<22} {'layer':<28} {'ran on':<16} why not on the delegate"]
    for n in p["nodes"]:
        layer = ((layers or {}).get(n["node"]) or "")[:28]
        lines.append(f"  {n['node']:>4}  {n['op']:<22} {layer:<28} {n['ran_on']:<16} {n.get('declined') or ''}"
                     .rstrip())
    counts = ", ".join(f"{k} {v}" for k, v in sorted(p["counts"].items(), key=lambda kv: -kv[1]))
    fell = sum(1 for n in p["nodes"] if n.get("declined"))
    lines.append(f"  {len(p['nodes'])} nodes: {counts}" + (f"; {fell} left by the delegate" if fell else ""))
    return lines
