"""Quantization-aware training: recovers what post-training int4 loses, and converts to what it trained.

The model is the demo's separable CNN variant (apps/demo/model.py build_separable: batch norms,
depthwise-separable blocks, where post-training int4 costs points) trained on the demo's digits.
"""
from __future__ import annotations

import numpy as np
import pytest

import edgeq
from edgeq.datasets import Samples
from edgeq.qat import finetune, read_record
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import read_model, tensor_type_names

def _scales(model: bytes) -> dict[str, tuple[float, int]]:
    """Activation (scale, zero point) by tensor name of an int8 model (weights and biases left out)."""
    m = read_model(model)
    sg = m.subgraphs[0]
    types = tensor_type_names()
    acts = set(int(i) for i in sg.inputs)
    for op in sg.operators:
        acts.update(int(i) for i in op.outputs)
    return {i: (float(sg.tensors[i].quantization.scale[0]), int(sg.tensors[i].quantization.zeroPoint[0]))
            for i in acts if types[sg.tensors[i].type] == "int8"}


def test_batch_norm_folding_is_exact_in_float(qat_assets):
    import keras

    from edgeq.qat.graph import fold_batch_norm

    m = keras.models.load_model(qat_assets.keras_path, compile=False)
    folded, bns = fold_batch_norm(m)
    assert bns == ["bn1", "bn2a", "bn2b", "bn3a", "bn3b", "bn4a", "bn4b"]
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in folded.layers)
    with np.load(qat_assets.test) as z:
        x = z["image"][:64]
    np.testing.assert_allclose(folded.predict(x, verbose=0), m.predict(x, verbose=0), atol=2e-5)


@pytest.fixture(scope="module")
def int4_qat(qat_assets, tmp_path_factory):
    result = finetune(qat_assets.keras_path, qat_assets.train, eval_data=qat_assets.test, calib_data=qat_assets.calib,
                      weights="int4", epochs=3)
    path = result.save(tmp_path_factory.mktemp("qat_out") / "sep_qat.keras")
    return result, path


def test_qat_int4_recovers_most_of_what_post_training_int4_loses(qat_assets, int4_qat):
    result, path = int4_qat
    ptq = edgeq.convert(qat_assets.keras_path, qat_assets.calib, eval_data=qat_assets.test, weights="int4")
    o = ptq.report["evaluation"]["outputs"][0]
    float_acc, ptq_acc = o["float_accuracy"], o["quant_accuracy"]
    qat = edgeq.convert(path, qat_assets.calib, eval_data=qat_assets.test)
    qat_acc = qat.report["evaluation"]["outputs"][0]["quant_accuracy"]
    print(f"float {100 * float_acc:.2f}%  PTQ int4 {100 * ptq_acc:.2f}%  QAT int4 converted {100 * qat_acc:.2f}%")
    # The trained test model differs by CPU (TensorFlow's float kernels): post-training int4 costs it 2+ points on
    # the Xeons, 1.1-1.3 (5-6 of 450 test digits) on an AMD Zen 5. The claim is the line after: a real loss, mostly
    # won back.
    # counted in whole samples: (0.96667 - 0.95556) * 450 is 4.99999 in floating point for 5 lost digits
    n = len(np.load(qat_assets.test)["labels"])
    lost = round((float_acc - ptq_acc) * n)
    assert lost >= 5, f"the test model must lose >= 5 test samples to post-training int4 (lost {lost})"
    assert qat_acc - ptq_acc >= 0.5 * (float_acc - ptq_acc)  # most of the loss recovered
    assert qat.report["model"]["fully_integer"]
    assert qat.report["int4"]["int4_layers"] == list(result.record.int4_layers)


def test_converted_model_predicts_what_the_fake_quant_model_predicts(qat_assets, int4_qat):
    result, path = int4_qat
    qat = edgeq.convert(path, qat_assets.calib)
    with np.load(qat_assets.test) as z:
        x = z["image"]
    it = Interpreter(qat.model, resolver="builtin")
    got = np.concatenate([it.run_float([x[i:i + 1]])[0] for i in range(len(x))])
    fq = result.fake_quant.predict(x, verbose=0)
    agreement = float(np.mean(got.argmax(-1) == fq.argmax(-1)))
    print(f"agreement {100 * agreement:.2f}% on {len(x)} samples")
    assert agreement >= 0.99
    assert result.report["converted"]["agreement_with_fake_quant"] >= 0.99
    # the outputs themselves, not only the top class: the int8 softmax is at most a few steps (1/256) away
    assert np.mean(np.abs(got - fq)) < 2 / 256


@pytest.mark.parametrize("calibration", ["auto", "minmax"])
def test_recorded_ranges_win_over_any_calibration(qat_assets, int4_qat, calibration):
    # the ranges must be applied after the auto search and after an explicit method alike
    result, path = int4_qat
    rec = read_record(path)
    assert rec is not None and rec.weights == "int4" and len(rec.ranges) >= 10
    conv = edgeq.convert(path, qat_assets.calib, calibration=calibration)
    want = {k: ((hi - lo) / 255.0, int(round(-128 - lo / ((hi - lo) / 255.0)))) for k, (lo, hi) in rec.ranges.items()}
    from edgeq.model_source import load_model
    from edgeq.qat.record import layer_tensors

    src = load_model(path)
    keys = layer_tensors(conv.model, src.layer_names, src.output_layers)
    got = _scales(conv.model)
    for key, (scale, zp) in want.items():
        s, z = got[keys[key]]
        assert s == pytest.approx(scale, rel=1e-5) and z == zp, key
    assert conv.report["calibration"]["fixed_ranges"] == len(rec.ranges)
    assert conv.report["calibration"]["method"] == (rec.calibration if calibration == "auto" else calibration)
    assert conv.report["qat"]["ranges_applied"] == len(rec.ranges)
    names = [md.name.decode() for md in read_model(conv.model).metadata]
    assert "edgeq_fixed_ranges" not in names and "edgeq_manifest" in names  # the ranges stay out of the deployed model


def test_int4_weights_convert_exactly_as_trained(int4_qat):
    # every int4 weight of the converted model, dequantized, is the trained fake-quantized weight
    import keras

    result, path = int4_qat
    conv = edgeq.convert(path, Samples([np.random.default_rng(0).random((16, 8, 8, 1), np.float32)]))
    layers = {r["layer"]: r for r in conv.report["int4"]["layers"]}
    assert set(result.record.int4_layers) <= set(layers)
    for name in result.record.int4_layers:
        layer = result.fake_quant.get_layer(name)
        k = keras.ops.convert_to_numpy(layer.quantized_weights()[0])
        saved = result.model.get_layer(name).get_weights()[0]
        np.testing.assert_array_equal(saved, k)
        assert layers[name]["weight_rel_error"] < 1e-6, name
