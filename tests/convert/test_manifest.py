"""Every converted model says how it was made, and that recipe reproduces it byte for byte."""
from __future__ import annotations

import hashlib
import json
import re

import numpy as np

from edgeq.converter.manifest import extract
from edgeq.micro import MicroInterpreter
from edgeq.runtime import Interpreter


def test_manifest_in_metadata_and_sidecar_and_reproducible(demo, tmp_path, run_cli):
    out1 = tmp_path / "a" / "m.tflite"
    out1.parent.mkdir()
    res = run_cli("convert", demo.keras_path, "--data", demo.calib, "--eval-data", demo.test, "-o", out1,
                  "--calibration", "minmax", "--max-samples", "150")
    assert res.code == 0, res.err
    sidecar = json.loads((tmp_path / "a" / "m.manifest.json").read_text())
    embedded = extract(out1.read_bytes())
    assert embedded == sidecar
    assert embedded["source"]["sha256"] == hashlib.sha256(demo.keras_path.read_bytes()).hexdigest()
    assert embedded["calibration_data"]["samples"] == 150
    assert embedded["recipe"]["max_samples"] == 150 and embedded["recipe"]["io"] == "int8"
    assert {"tensorflow-cpu", "ai-edge-litert", "numpy", "python"} <= set(embedded["versions"])
    assert embedded["evaluation"]["outputs"][0]["quant_accuracy"] > 0.9

    # the same recipe and data give the same bytes
    out2 = tmp_path / "b" / "m.tflite"
    out2.parent.mkdir()
    res = run_cli("convert", demo.keras_path, "--data", demo.calib, "--eval-data", demo.test, "-o", out2,
                  "--recipe", tmp_path / "a" / "m.manifest.json")
    assert res.code == 0, res.err
    assert out2.read_bytes() == out1.read_bytes()

    # a different recipe gives a different model
    out3 = tmp_path / "c.tflite"
    assert run_cli("convert", demo.keras_path, "--data", demo.calib, "-o", out3, "--recipe", out1,
                   "--per-tensor").code == 0
    assert extract(out3.read_bytes())["recipe"]["per_tensor"] is True

    # inspect shows it; the metadata does not disturb LiteRT or TFLite Micro
    text = run_cli("inspect", out1).out
    assert "made by edgeq" in text and "max_samples=150" in text
    # it said "evaluation on 450 samples (recorded ):"
    assert re.search(r"evaluation on \d+ samples \(at conversion, ai-edge-litert \d[\w.]* on XNNPACK, its default "
                     r"path\):", text), text
    assert embedded["output_layers"] == ["probs"] and embedded["calibration_data"]["method"] == "minmax"
    assert "calibrated on 150 samples (sha256 " in text and " with minmax\n" in text, text
    assert re.search(r"\n +6 +SOFTMAX +probs ", text) and re.search(r"\n +probs +int8", text), text
    x = np.zeros((1, 8, 8, 1), np.int8)
    assert np.array_equal(Interpreter(out1.read_bytes(), resolver="builtin").run([x])[0],
                          MicroInterpreter(out1.read_bytes()).run([x])[0])


def test_bad_recipe(run_cli, tiny, tmp_path):
    bad = tmp_path / "r.json"
    bad.write_text(json.dumps({"recipe": {"io": "int8", "turbo": True}}))
    res = run_cli("convert", tiny.keras, "--data", tiny.calib, "-o", tmp_path / "o.tflite", "--recipe", bad)
    assert res.code == 2 and "unknown option(s) turbo" in res.err and not (tmp_path / "o.tflite").exists()


def test_outputs_are_ordinary_files(tiny, tmp_path, run_cli):
    import os
    import stat

    out = tmp_path / "m.tflite"
    assert run_cli("convert", tiny.keras, "--data", tiny.calib, "-o", out).code == 0
    mask = os.umask(0)
    os.umask(mask)
    for p in (out, tmp_path / "m.manifest.json"):
        assert stat.S_IMODE(p.stat().st_mode) == 0o666 & ~mask


def test_inspect_of_an_older_manifest_says_when_it_was_evaluated():
    # manifests written before the evaluation's runtime was recorded: no "(recorded )" with an empty version
    from edgeq.report import _manifest_lines
    man = {"versions": {"edgeq": "0.1.0"}, "source": {"name": "m.keras", "kind": "keras", "sha256": "ab" * 32},
           "calibration_data": {"samples": 200, "sha256": "cd" * 32}, "recipe": {"io": "int8"},
           "evaluation": {"samples": 450, "outputs": [{"name": "probs", "top1_agreement": 0.99, "sqnr_db": 37.7,
                                                        "max_abs_error": 0.1}]}}
    lines = _manifest_lines(man)
    assert "  evaluation on 450 samples (at conversion):" in lines, lines
    # the recipe says calibration=auto; which method auto chose was in no line
    man["recipe"]["calibration"] = "auto"
    man["calibration_data"]["method"] = "minmax"
    assert lines[0].endswith("(sha256 cdcdcdcdcdcd)") and _manifest_lines(man)[0].endswith(
        "(sha256 cdcdcdcdcdcd) with minmax (chosen by --calibration auto)"), _manifest_lines(man)


def test_file_alone_names_outputs_as_the_conversion_did(tiny):
    # edgeq convert said "SOFTMAX probs" and output "probs"; edgeq inspect / profile of the file it wrote said
    # "SOFTMAX StatefulPartitionedCall_1" and "output_0": the manifest now records the source's output layers
    from edgeq.analysis.model_info import summarize
    from edgeq.converter.manifest import embed

    data = tiny.float_tflite.read_bytes()
    plain = summarize(data)
    assert plain["outputs"][0]["name"] == "output_0" and plain["ops"][-1]["layer"] != "head"
    named = summarize(embed(data, {"format": "edgeq-manifest/1", "output_layers": ["head"]}))
    assert named["outputs"][0]["name"] == "head" and named["ops"][-1]["layer"] == "head"
    assert [o["layer"] for o in named["ops"][:-1]] == [o["layer"] for o in plain["ops"][:-1]]
    damaged = summarize(embed(data, {"format": "edgeq-manifest/1", "output_layers": [3]}))
    assert damaged["outputs"][0]["name"] == "output_0"
