"""ConvertOptions: one object the CLI builds, --recipe loads, the manifest stores and convert() takes."""
from __future__ import annotations

import json

import pytest

import edgeq
from edgeq.converter.manifest import extract
from edgeq.datasets import ImageOptions
from edgeq.errors import DataError
from edgeq.options import OPTION_NAMES, ConvertOptions


def test_options_object_and_keywords_give_the_same_model(tiny):
    opts = ConvertOptions(calibration="minmax", per_tensor=True, allow_float=[" RSQRT ", "budget", ""])
    a = edgeq.convert(tiny.keras, tiny.calib, options=opts)
    b = edgeq.convert(tiny.keras, tiny.calib, calibration="minmax", per_tensor=True, allow_float=["budget", "RSQRT"])
    assert a.model == b.model
    recipe = extract(a.model)["recipe"]
    assert recipe == a.report["manifest"]["recipe"] == opts.resolved().recipe()
    assert recipe["allow_float"] == ["RSQRT", "budget"] and recipe["per_tensor"] is True
    assert ConvertOptions.from_recipe(recipe) == opts.resolved()
    # keywords override the options object
    c = edgeq.convert(tiny.keras, tiny.calib, options=opts, calibration="entropy")
    assert extract(c.model)["recipe"]["calibration"] == "entropy" and c.model != a.model


def test_unknown_option_is_a_type_error(tiny):
    with pytest.raises(TypeError, match="turbo"):
        edgeq.convert(tiny.keras, tiny.calib, turbo=True)
    with pytest.raises(TypeError, match="turbo"):
        ConvertOptions.from_recipe({"turbo": 1})
    assert set(OPTION_NAMES) == set(ConvertOptions().recipe())


def test_resolved_fills_dependent_choices_and_rejects_bad_ones():
    assert ConvertOptions(activations="int16").resolved().io == "int16"
    assert ConvertOptions(activations="int16", io="float").resolved().io == "float"
    assert ConvertOptions(int4_layers=["fc"]).resolved().weights == "int4"
    for bad, words in [({"activations": "int4"}, "--activations int4"), ({"io": "int16"}, "--io int16"),
                       ({"calibration": "kl"}, "unknown calibration 'kl'"), ({"weights": "int2"}, "--weights int2"),
                       ({"weights": "int4", "activations": "int16"}, "drop --activations int16")]:
        with pytest.raises(DataError, match=words):
            ConvertOptions(**bad).resolved()


def test_recipe_round_trip_keeps_image_options():
    opts = ConvertOptions(image=ImageOptions((32, 48), "rgb", "nchw", "-1..1"), int4_layers=("b", "a"),
                          max_accuracy_drop=0.5, weights="mixed")
    doc = json.loads(json.dumps(opts.recipe()))  # what the manifest holds
    assert doc["image"] == {"size": [32, 48], "color": "rgb", "layout": "nchw", "normalize": "-1..1"}
    assert doc["int4_layers"] == ["a", "b"]
    assert ConvertOptions.from_recipe(doc) == opts


def test_cli_flags_override_the_recipe(tiny, tmp_path, run_cli):
    first = tmp_path / "a.tflite"
    assert run_cli("convert", tiny.keras, "--data", tiny.calib, "-o", first, "--calibration", "percentile",
                   "--percentile", "99.5", "--max-samples", "20", "--normalize", "-1..1").code == 0
    second = tmp_path / "b.tflite"
    res = run_cli("convert", tiny.keras, "--data", tiny.calib, "-o", second, "--recipe", first,
                  "--calibration", "entropy")
    assert res.code == 0, res.err
    a, b = extract(first.read_bytes())["recipe"], extract(second.read_bytes())["recipe"]
    assert b["calibration"] == "entropy"
    assert {k: v for k, v in b.items() if k != "calibration"} == {k: v for k, v in a.items() if k != "calibration"}
    assert b["percentile"] == 99.5 and b["max_samples"] == 20 and b["image"]["normalize"] == "-1..1"
