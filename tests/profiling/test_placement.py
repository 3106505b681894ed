"""Where each node ran: the runtime's execution plan resolved back to nodes, with the delegates' reasons."""
from __future__ import annotations

import numpy as np
import pytest

from edgeq.profiling.ondevice.placement import execution_plan, placement, placement_here
from edgeq.runtime import DelegateError, delegate_path


def _op(i, name, ins, outs):
    return {"index": i, "op_name": name, "inputs": np.array(ins), "outputs": np.array(outs)}


def test_delegate_nodes_resolve_to_the_nodes_they_replaced():
    # t0 -> A -> t1 -> B -> t2 -> C -> t3 -> D -> t4; constants t9 (A), t8 (D). Two partitions: {A, B} and {D}.
    ops = [_op(0, "CONV_2D", [0, 9], [1]), _op(1, "ADD", [1, 1], [2]), _op(2, "TANH", [2], [3]),
           _op(3, "FULLY_CONNECTED", [3, 8, -1], [4]),
           _op(4, "DELEGATE", [0, 9], [2]), _op(5, "DELEGATE", [3, 8], [4])]
    originals, parts = execution_plan(ops)
    assert [o["index"] for o in originals] == [0, 1, 2, 3]
    assert parts == [{"node": 4, "nodes": [0, 1]}, {"node": 5, "nodes": [3]}]
    report = {"claimed": [{"node": 0}, {"node": 1}, {"node": 3}],
              "rejected": [{"node": 2, "op": None, "reason": "op not implemented"}]}
    p = placement(ops, "cpu", "builtin", report)
    assert [n["ran_on"] for n in p["nodes"]] == ["edgeq-cpu", "edgeq-cpu", "builtin kernels", "edgeq-cpu"]
    assert p["nodes"][2]["declined"] == "op not implemented" and p["counts"] == {"edgeq-cpu": 3, "builtin kernels": 1}
    # a claimed node the plan does not show in a partition is reported, not hidden
    p = placement(ops[:4] + ops[5:], "cpu", "builtin", report)
    assert p["nodes"][0]["ran_on"] == "builtin kernels" and "not in its partition" in p["nodes"][0]["declined"]
    # XNNPACK gives no reasons; the reference resolver's kernels are named as such
    x = placement(ops[:4] + ops[5:], "xnnpack", "default", None)
    assert x["nodes"][0]["declined"].startswith("XNNPACK did not take it")
    assert placement(ops[:4], "none", "reference", None)["counts"] == {"reference kernels": 4}


def test_face_mesh_custom_nodes_ran_on_the_mediapipe_delegate():
    # edgeq.runtime adds the mediapipe delegate to every configuration of a model with mediapipe's custom ops:
    # edgeq profile said "363 on edgeq-cpu" of mediapipe's face mesh (edgeq-cpu ran 352; 11 custom nodes were
    # the mediapipe delegate's), and "11 on delegate" for the configuration without a delegate
    ops = [_op(0, "CONV_2D", [0, 9], [1]), _op(1, "DEQUANTIZE", [1], [2]), _op(2, "TransformLandmarks", [2, 7], [3]),
           _op(3, "QUANTIZE", [3], [4]), _op(4, "DELEGATE", [0, 9], [1]), _op(5, "DELEGATE", [2, 7], [3]),
           _op(6, "DELEGATE", [3], [4])]
    report = {"claimed": [{"node": 0}, {"node": 3}, {"node": 1}], "rejected": [{"node": 2, "reason": "custom op"}]}
    p = placement(ops, "cpu", "builtin", report)
    assert [n["ran_on"] for n in p["nodes"]] == ["edgeq-cpu", "builtin kernels", "mediapipe delegate (float)",
                                                 "edgeq-cpu"], p["nodes"]
    assert p["counts"] == {"edgeq-cpu": 2, "builtin kernels": 1, "mediapipe delegate (float)": 1}
    assert p["nodes"][2]["declined"] is None
    assert [q["ran_on"] for q in p["partitions"]] == ["edgeq-cpu", "mediapipe delegate (float)", "edgeq-cpu"]
    none = placement(ops[:4] + ops[5:6], "none", "builtin", None)
    assert none["counts"] == {"builtin kernels": 3, "mediapipe delegate (float)": 1}, none["counts"]


def test_placement_on_the_real_runtime(mixed_model):
    none = placement_here(str(mixed_model), "none")
    assert none["counts"] == {"builtin kernels": 5} and not any(n["declined"] for n in none["nodes"])
    xnn = placement_here(str(mixed_model), "xnnpack")
    assert xnn["counts"].get("XNNPACK", 0) >= 4
    cpu = placement_here(str(mixed_model), "cpu")
    assert cpu["counts"] == {"edgeq-cpu": 4, "builtin kernels": 1}
    (fell,) = [n for n in cpu["nodes"] if n["declined"]]
    assert fell["op"] == "TANH" and fell["declined"] == "op not implemented"
    assert cpu["claim_report"]["delegate"] == "edgeq_cpu"


def test_gpu_placement_names_the_opencl_device(mixed_model, monkeypatch):
    # CI has PoCL only, a CPU OpenCL device, which the delegate takes only when asked
    monkeypatch.setenv("EDGEQ_GPU_PLATFORM", "Portable Computing Language")
    try:
        delegate_path("gpu")
    except DelegateError:
        pytest.fail("the GPU delegate is not built: tests/run.sh installs the OpenCL headers it needs")
    gpu = placement_here(str(mixed_model), "gpu")
    assert gpu["counts"] == {"edgeq-gpu": 4, "builtin kernels": 1}
    assert gpu["claim_report"]["status"] == "ok" and gpu["claim_report"]["device"]
    assert gpu["claim_report"]["platform"] == "Portable Computing Language"


def test_inspect_with_a_delegate_shows_where_each_node_runs(mixed_model):
    import json

    from click.testing import CliRunner

    from edgeq.cli import cli
    r = CliRunner().invoke(cli, ["inspect", str(mixed_model), "--delegate", "cpu"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.startswith("where each node runs with edgeq-cpu"))
    table = lines[start + 2:start + 7]
    assert [ln.split()[0] for ln in table] == ["0", "1", "2", "3", "4"]
    assert "TANH" in table[2] and "act_tanh" in table[2] and table[2].rstrip().endswith("op not implemented")
    assert all("edgeq-cpu" in ln for i, ln in enumerate(table) if i != 2)
    r = CliRunner().invoke(cli, ["inspect", str(mixed_model), "--delegate", "xnnpack", "--json"])
    assert r.exit_code == 0, r.output
    p = json.loads(r.output)["placement"]
    assert p["delegate"] == "XNNPACK" and sum(p["counts"].values()) == 5
