"""The report's views from the profile JSON: per-op times (the op_profile schema the delegates deliver),
memory figures with what each is, and configurations that did not finish."""
from __future__ import annotations

import re

from edgeq.profiling.reporting.html_report import render_html
from edgeq.profiling.reporting.terminal import placement_table, summary_lines


def _report(cfg: dict) -> dict:
    return {"edgeq_profile": 1, "model": {"path": "m.tflite", "bytes": 3000, "sha256": "ab" * 32, "ops": [
        {"node": 0, "op": "CONV_2D", "layer": "stem"}, {"node": 1, "op": "CONV_2D", "layer": "block1"},
        {"node": 2, "op": "TANH", "layer": "act"}, {"node": 3, "op": "FULLY_CONNECTED", "layer": "head"}]},
        "devices": [{"device": {"name": "pi", "uri": "ssh://pi@h", "class": "sbc"}, "status": "ok", "error": None,
                     "configs": [cfg]}]}


def _steady(median: float) -> dict:
    return {"count": 3, "median": median, "p90": median, "p99": median, "samples_ms": [median] * 3}


def test_per_op_view_sums_by_op_type_and_names_layers():
    cfg = {"label": "cpu/t1", "steady": _steady(1.0), "op_profile": {
        "available": True, "source": "edgeq-cpu timers", "invokes": 200, "nodes": [
            {"node": 0, "op": "CONV_2D", "ms": 0.30}, {"node": 1, "op": "CONV_2D", "ms": 0.45},
            {"node": 2, "op": "TANH", "ms": 0.05}, {"node": 3, "op": "FULLY_CONNECTED", "ms": 0.10}]}}
    html = render_html(_report(cfg))
    # CONV_2D: two nodes, 750 µs, 83.3 % of the 900 µs the timers cover, 90 % of the median
    assert re.search(r"<td class=l>CONV_2D</td><td>2</td><td>750 µs</td><td>83\.3 %</td>", html)
    assert "900 µs per inference, 90 % of the steady-state median" in html
    assert "<td class=l>block1</td>" in html  # slowest nodes by the user's layer names
    assert html.index("block1") < html.index("<td class=l>stem</td>")  # slowest first


def test_memory_figures_say_what_they_are():
    cfg = {"label": "cpu/t1", "steady": _steady(1.0), "memory": {
        "available": True, "peak_rss_bytes": 56619008, "rss_before_load_bytes": 48 << 20,
        "load_growth_bytes": 6 << 20, "inference_growth_bytes": 196608, "pss_bytes": 30 << 20}}
    html = render_html(_report(cfg))
    assert "<td>54.0 MiB</td>" in html and "<td>192 KiB</td>" in html and "<td>30.0 MiB</td>" in html
    assert "56619008" not in html
    assert "VmHWM" in html and "dumpsys meminfo" in html
    assert "arena (MCU)" not in html and "Micro tensor arena" not in html  # no MCU here: no arena column
    mcu = {"label": "tflm/t1", "steady": _steady(5.0), "memory": {
        "available": True, "arena_bytes": 20480, "ram_bytes": 262144, "flash_model_bytes": 30000,
        "flash_bytes": 1048576}}
    html = render_html(_report(mcu))
    assert "20.0 KiB of 256 KiB RAM" in html and "tensor arena" in html


def test_unfinished_configurations_are_marked():
    ok = {"label": "cpu/t1", "steady": _steady(1.0)}
    half = {"label": "cpu/t2", "incomplete": True, "steady": _steady(2.0)}
    dead = {"label": "gpu/t1", "error": "gpu/t1 cannot run: no OpenCL platform"}
    rep = _report(ok)
    rep["devices"][0]["configs"] += [half, dead]
    rep["devices"][0].update(status="partial", error="link dropped")
    html = render_html(rep)
    assert html.count(">incomplete</span>") >= 1 and html.count(">failed</span>") >= 1
    assert "no OpenCL platform" in html and "link dropped" in html
    text = "\n".join(summary_lines(rep))
    assert "pi: partial (link dropped)" in text and "gpu/t1 cannot run: no OpenCL platform" in text


def test_inspect_table_lists_every_node_and_each_reason():
    p = {"available": True, "delegate": "edgeq-gpu", "counts": {"edgeq-gpu": 3, "builtin kernels": 1},
         "claim_report": {"status": "ok", "device": "Mali-G78", "device_type": "gpu"},
         "nodes": [{"node": 0, "op": "CONV_2D", "ran_on": "edgeq-gpu", "declined": None},
                   {"node": 1, "op": "CONV_2D", "ran_on": "edgeq-gpu", "declined": None},
                   {"node": 2, "op": "TANH", "ran_on": "builtin kernels", "declined": "op not implemented"},
                   {"node": 3, "op": "FULLY_CONNECTED", "ran_on": "edgeq-gpu", "declined": None}]}
    lines = placement_table(p, {2: "act"})
    assert "Mali-G78" in lines[0] and len(lines) == 2 + 4 + 1
    assert re.search(r"2 +TANH +act +builtin kernels +op not implemented", lines[4])
    assert lines[-1].strip() == "4 nodes: edgeq-gpu 3, builtin kernels 1; 1 left by the delegate"
