"""The probe and the op-coverage report on a real suite model."""
from __future__ import annotations

from edgeq import suite
from edgeq.suite.coverage import delegate_coverage
from edgeq.suite.probe import probe, probe_threads


def test_probe_tells_ok_from_error_and_hashes_outputs(tmp_path):
    m = suite.get("mlp", 64, "int8", samples=2)
    a, b = probe(m.path, "builtin"), probe(m.path, "reference")
    assert a["status"] == b["status"] == "ok" and len(a["outputs_sha1"]) == 40
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\0" * 64)
    r = probe(bad, "builtin")
    assert r["status"] == "error" and "\n" not in r["detail"] and "cannot load this model" in r["detail"]


def test_probe_threads_gives_each_thread_count_what_probe_gives_it(tmp_path):
    m = suite.get("mlp", 64, "int8", samples=2)
    got = probe_threads(m.path, "edgeq-cpu", [1, 3])
    assert set(got) == {1, 3}
    for t in (1, 3):
        one = probe(m.path, "edgeq-cpu", t)
        assert got[t]["status"] == one["status"] == "ok"
        assert got[t]["outputs_sha1"] == one["outputs_sha1"] and got[t].get("informative_sha1") == one.get(
            "informative_sha1")
    bad = tmp_path / "bad.tflite"  # the shared process fails: each thread count probed alone says why
    bad.write_bytes(b"\0" * 64)
    got = probe_threads(bad, "xnnpack", [1, 2])
    assert set(got) == {1, 2} and all(r["status"] == "error" and "cannot load this model" in r["detail"]
                                      for r in got.values())


def test_coverage_accounts_for_every_node_of_a_suite_model():
    m = suite.get("mobilenet_v2", 32, "int8", samples=2)
    cov = delegate_coverage(m.path)
    assert cov["load"]["status"] == "ok" and cov["report"]
    declined = sum(sum(r.values()) for r in cov["declined"].values())
    assert cov["claimed_nodes"] + declined == cov["nodes"] == sum(cov["ops"].values())
    assert set(cov["claimed"]) <= set(cov["ops"]) and {"CONV_2D", "DEPTHWISE_CONV_2D"} <= set(cov["claimed"])
    # LiteRT 2.3's reference kernels abort on MobileNetV2: no whole-model comparison then
    assert cov["reference"]["status"] in ("ok", "crash")
    assert cov["exact"] is (True if cov["reference"]["status"] == "ok" else None)


def test_coverage_compares_whole_models_with_the_reference_kernels():
    cov = delegate_coverage(suite.get("mlp", 64, "int8", samples=2).path)
    # the delegate's promise in its default mode: outputs equal LiteRT's reference kernels
    assert cov["reference"]["status"] == "ok" and cov["exact"] is True
    assert cov["claimed"] == {"FULLY_CONNECTED": 4} and cov["claimed_nodes"] == cov["nodes"] == 4


def test_tensorflow_dynamic_batch_model_loads_with_the_delegate():
    # TensorFlow's converter writes the dynamic batch as a SHAPE ... PACK -> RESHAPE chain; the
    # runtime used to refuse the delegate on it (a bare RuntimeError at load, no report)
    m = suite.get("mobilenet_v3_small", 32, "tf-int8-dynbatch", samples=2)
    cov = delegate_coverage(m.path)
    assert cov["load"]["status"] == "ok", cov["load"]
    assert cov["report"] and cov["claimed_nodes"] > 0.8 * cov["nodes"], cov["claimed"]
    reasons = {op: set(r) for op, r in cov["declined"].items()}
    assert "shape is computed at run time" in reasons.get("RESHAPE", set()), reasons
