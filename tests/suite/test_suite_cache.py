"""The suite's cache: keys follow everything a model depends on, hits rebuild nothing, failures are kept."""
from __future__ import annotations

import json

import pytest

from edgeq import suite
from edgeq.suite import build


def key(name="mlp", size=64, variant="int8", **options):
    return suite.cache_key(suite.spec(name), size, variant, {"seed": 0, "samples": 2, **options})[0]


def test_cache_key_follows_builder_size_variant_options_and_versions(monkeypatch):
    base = key()
    assert key() == base  # stable
    changed = [key(size=128), key(variant="int4"), key(name="encoder_l6"), key(seed=1), key(samples=3),
               key(calibration="minmax")]
    assert len({base, *changed}) == 1 + len(changed)
    real = build.versions
    monkeypatch.setattr(build, "versions", lambda v: {**real(v), "tensorflow": "0.0-other"})
    assert key() != base


def test_converter_code_is_in_the_key_of_edgeq_variants_only():
    assert "edgeq_code" in build.versions("int8") and "edgeq_code" in build.versions("int4")
    assert "edgeq_code" not in build.versions("tf-int8")
    assert build.versions("float")["suite_code"] == build.versions("int8")["suite_code"]


def test_a_cached_model_is_not_rebuilt_and_rebuild_replaces_it(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEQ_SUITE_CACHE", str(tmp_path))
    calls = []
    real = build._build

    def counting(*a):
        calls.append(a[1:3])
        return real(*a)

    monkeypatch.setattr(build, "_build", counting)
    m1 = suite.get("mlp", 32, "float")
    m2 = suite.get("mlp", 32, "float")
    assert calls == [(32, "float")] and m1.path == m2.path and m1.path.parent.parent == tmp_path
    assert m2.meta["key"] in m2.path.name and m2.meta["weights"].startswith("random")
    m3 = suite.get("mlp", 32, "float", rebuild=True)
    assert len(calls) == 2 and m3.path == m1.path and m3.bytes == m1.bytes  # seeded: the same bytes again
    assert suite.get("mlp", 32, "float", seed=1).bytes != m1.bytes


def test_a_failed_build_is_cached_with_its_one_line_reason(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEQ_SUITE_CACHE", str(tmp_path))
    monkeypatch.setattr(build, "_build", lambda *a: (_ for _ in ()).throw(
        suite.SuiteBuildError("op FOO has no int8 kernel\nsecond line")))
    with pytest.raises(suite.SuiteBuildError) as e1:
        suite.get("mlp", 32, "int8", samples=2)
    assert "\n" not in str(e1.value) and "mlp (int8, size 32) does not build: op FOO" in str(e1.value)
    errors = list((tmp_path / "models").glob("*.error.json"))
    assert len(errors) == 1 and json.loads(errors[0].read_text())["key"]["variant"] == "int8"
    monkeypatch.setattr(build, "_build", lambda *a: pytest.fail("a cached failure must not build again"))
    with pytest.raises(suite.SuiteBuildError, match="op FOO"):
        suite.get("mlp", 32, "int8", samples=2)


def test_bad_names_and_variants_say_what_exists(capsys):
    with pytest.raises(KeyError, match="choose one of mobilenet_v2"):
        suite.spec("mobilenet_v9")
    with pytest.raises(suite.SuiteBuildError, match="choose one of float, int8"):
        suite.get("mp_iris_landmark", None, "int4")
    from edgeq.suite.__main__ import main

    assert main(["get", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no suite model 'nope'" in err
    assert main(["list", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {r["name"] for r in rows} == set(suite.SPECS) and len(suite.names("mediapipe")) == 14


def test_sizes_are_checked_before_anything_is_built(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEQ_SUITE_CACHE", str(tmp_path))
    monkeypatch.setattr(build, "_build", lambda *a: pytest.fail("nothing may be built for a bad size"))
    with pytest.raises(suite.SuiteBuildError, match="needs size >= 32, got 16"):
        suite.get("resnet50", 16, "int8")
    with pytest.raises(suite.SuiteBuildError, match="fixed input size"):
        suite.get("mp_iris_landmark", 96, "float")
