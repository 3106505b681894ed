"""Every model source and data format the converter promises, and its options."""
from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

import edgeq
from edgeq.datasets import InputSpec, load_samples
from edgeq.runtime import Interpreter
from edgeq.tflite_schema import read_model, tensor_type_names


@pytest.mark.parametrize("kind", ["keras", "h5", "savedmodel", "float_tflite"])
def test_each_source_format_converts_fully_integer(tiny, kind):
    result = edgeq.convert(getattr(tiny, kind), tiny.calib)
    assert result.report["model"]["fully_integer"]
    assert result.report["source"]["kind"] == {"h5": "keras", "float_tflite": "tflite"}.get(kind, kind)
    q = Interpreter(result.model, resolver="reference")
    f = Interpreter(result.float_model, resolver="reference")
    x = np.load(tiny.calib)[:5]
    got = np.concatenate([q.run_float([x[i:i + 1]])[0] for i in range(5)])
    want = np.concatenate([f.run([x[i:i + 1]])[0] for i in range(5)])
    assert np.abs(got - want).max() < 0.05  # softmax outputs within a few int8 steps


def test_same_input_same_bytes(tiny):
    a = edgeq.convert(tiny.keras, tiny.calib).model
    b = edgeq.convert(tiny.keras, tiny.calib).model
    assert a == b


@pytest.mark.parametrize("io,dtype", [("int8", np.int8), ("uint8", np.uint8), ("float", np.float32)])
def test_io_types(tiny, io, dtype):
    r = edgeq.convert(tiny.keras, tiny.calib, io=io)
    it = Interpreter(r.model)
    assert it.inputs[0].dtype == dtype and it.outputs[0].dtype == dtype
    assert r.report["model"]["fully_integer"]  # QUANTIZE/DEQUANTIZE at the edges are accepted for float I/O


def test_per_tensor_weights(tiny):
    r = edgeq.convert(tiny.keras, tiny.calib, per_tensor=True)
    m = read_model(r.model)
    sg = m.subgraphs[0]
    names = tensor_type_names()
    weights = [t for t in sg.tensors if names[t.type] == "int8" and t.buffer and m.buffers[t.buffer].data is not None]
    assert weights and all(len(t.quantization.scale) == 1 for t in weights)
    assert r.report["weights"] == "per-tensor int8"


def test_image_folder_with_class_subfolders_gives_labels(tiny, tmp_path):
    from PIL import Image

    rng = np.random.default_rng(1)
    for cls in ("cat", "dog"):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(3):
            arr = (rng.random((20, 24, 3)) * 255).astype(np.uint8)
            Image.fromarray(arr).save(tmp_path / "imgs" / cls / f"{i}.png")
    s = load_samples(tmp_path / "imgs", [InputSpec("image", (1, 12, 12, 3))])
    assert s.inputs[0].shape == (6, 12, 12, 3)
    assert s.inputs[0].min() >= 0 and s.inputs[0].max() <= 1  # default 0..1 scaling
    assert s.labels.tolist() == [0, 0, 0, 1, 1, 1]
    assert s.notes["classes"] == ["cat", "dog"] and s.notes["resize"] == "12x12"
    assert set(s.notes["inferred"]) == {"size", "color", "layout"}  # from the input shape
    assert s.notes["defaulted"] == ["normalize"]  # the model says nothing about pixel values
    r = edgeq.convert(tiny.keras, tmp_path / "imgs", eval_data=tmp_path / "imgs")
    assert "quant_accuracy" in r.report["evaluation"]["outputs"][0]


def test_image_layout_nchw_and_grayscale(tmp_path):
    from PIL import Image

    (tmp_path / "g").mkdir()
    Image.new("RGB", (10, 10), (255, 0, 0)).save(tmp_path / "g" / "a.png")
    s = load_samples(tmp_path / "g", [InputSpec("x", (1, 1, 5, 7))])  # NCHW, one channel
    assert s.notes["layout"] == "nchw" and s.notes["color"] == "grayscale"
    assert s.inputs[0].shape == (1, 1, 5, 7)


def test_npz_multi_input_by_name_and_generator(tmp_path, monkeypatch):
    import keras

    a = keras.Input((6,), name="alpha")
    b = keras.Input((4,), name="beta")
    h = keras.layers.Concatenate(name="join")([keras.layers.Dense(5, name="da")(a), keras.layers.Dense(5, name="db")(b)])
    model = keras.Model([a, b], keras.layers.Dense(3, name="head")(h))
    path = tmp_path / "two.keras"
    model.save(path)
    rng = np.random.default_rng(0)
    # saved in the opposite order to the model's inputs: names decide, not order
    np.savez(tmp_path / "calib.npz", beta=rng.random((20, 4), dtype=np.float32),
             alpha=rng.random((20, 6), dtype=np.float32))
    r = edgeq.convert(path, tmp_path / "calib.npz")
    assert r.report["model"]["fully_integer"] and len(r.report["model"]["inputs"]) == 2

    (tmp_path / "mydata.py").write_text(textwrap.dedent("""
        import numpy as np
        def samples():
            rng = np.random.default_rng(0)
            for _ in range(10):
                yield {"alpha": rng.random((1, 6), dtype=np.float32), "beta": rng.random((4,), dtype=np.float32)}
    """))
    monkeypatch.chdir(tmp_path)
    r2 = edgeq.convert(path, "mydata:samples")
    assert r2.report["calibration"]["samples"] == 10 and r2.report["model"]["fully_integer"]

    np.savez(tmp_path / "wrong.npz", alpha=rng.random((20, 6), dtype=np.float32))
    with pytest.raises(edgeq.errors.DataError, match="no array named 'beta'"):
        edgeq.convert(path, tmp_path / "wrong.npz")


def test_single_input_npz_array_name_does_not_matter(tiny, tmp_path):
    x = np.load(tiny.calib)
    np.savez(tmp_path / "c.npz", whatever=x[:10], labels=np.arange(10) % 5)
    s = load_samples(tmp_path / "c.npz", [InputSpec("image", (1, 12, 12, 3))])
    assert len(s) == 10 and s.labels.tolist() == [0, 1, 2, 3, 4] * 2
    assert s.notes["array"].startswith("'whatever' fed input 'image'")  # used, not silently
    np.savez(tmp_path / "named.npz", image=x[:10])
    assert "array" not in load_samples(tmp_path / "named.npz", [InputSpec("image", (1, 12, 12, 3))]).notes


def test_labels_file_and_rescaling_hint(tmp_path):
    import keras

    inp = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Rescaling(1 / 255.0, name="scale")(inp)
    x = keras.layers.Conv2D(4, 3, name="c")(x)
    x = keras.layers.GlobalAveragePooling2D(name="g")(x)
    model = keras.Model(inp, keras.layers.Dense(3, activation="softmax", name="d")(x))
    path = tmp_path / "r.keras"
    model.save(path)
    from PIL import Image

    (tmp_path / "imgs").mkdir()
    for i in range(4):
        Image.new("RGB", (8, 8), (60 * i, 10, 200)).save(tmp_path / "imgs" / f"{i}.png")
    (tmp_path / "labels.txt").write_text("0\n1\n2\n1\n")
    r = edgeq.convert(path, tmp_path / "imgs", eval_data=tmp_path / "imgs", labels=tmp_path / "labels.txt")
    assert r.report["calibration"]["read_as"]["normalize"] == "0..255"
    assert "Rescaling" in r.report["calibration"]["read_as"]["normalize_why"]
    assert "float_accuracy" in r.report["evaluation"]["outputs"][0]


def test_report_file_and_text(tiny, tmp_path, run_cli):
    out = tmp_path / "m.tflite"
    res = run_cli("convert", tiny.keras, "-d", tiny.calib, "-o", out, "--report", tmp_path / "r.json")
    assert res.code == 0
    assert "all integer" in res.out and "per-channel int8" in res.out and "conv" in res.out
    assert json.loads((tmp_path / "r.json").read_text())["sizes"]["quant_bytes"] == out.stat().st_size


def test_int16_activations_whole_model(tiny, run_cli, tmp_path):
    out = tmp_path / "m16.tflite"
    res = run_cli("convert", tiny.keras, "--data", tiny.calib, "-o", out, "--activations", "int16", "--json")
    assert res.code == 0, res.err
    report = json.loads(res.out)
    assert report["activations"] == "int16" and report["model"]["fully_integer"]
    m = read_model(out.read_bytes())
    names = tensor_type_names()
    sg = m.subgraphs[0]
    act_types = {names[sg.tensors[o].type] for op in sg.operators for o in op.outputs}
    assert act_types == {"int16"}
    q = Interpreter(out.read_bytes(), resolver="reference")
    f = Interpreter(tiny.float_tflite.read_bytes(), resolver="reference")
    x = np.load(tiny.calib)[:1]
    assert np.abs(q.run_float([x])[0] - f.run([x])[0]).max() < 1e-3  # far closer than int8 gets


def test_keras_models_get_a_static_batch_so_flatten_stays_static():
    import keras

    from edgeq.datasets import Samples

    inp = keras.Input((8, 8, 3), name="image")
    x = keras.layers.Conv2D(4, 3, name="c")(inp)
    x = keras.layers.Flatten(name="flat")(x)
    model = keras.Model(inp, keras.layers.Dense(5, name="d")(x))
    r = edgeq.convert(model, Samples([np.random.default_rng(0).random((10, 8, 8, 3), dtype=np.float32)]))
    ops = set(r.report["model"]["op_counts"])
    assert ops == {"CONV_2D", "RESHAPE", "FULLY_CONNECTED"}  # no SHAPE/STRIDED_SLICE/PACK chain
    m = read_model(r.model)
    assert all(-1 not in (t.shapeSignature if t.shapeSignature is not None else []) for t in m.subgraphs[0].tensors)
    from edgeq.micro import MicroInterpreter  # TFLite Micro needs static shapes

    x = np.zeros((1, 8, 8, 3), np.int8)
    assert np.array_equal(MicroInterpreter(r.model).run([x])[0], Interpreter(r.model, resolver="builtin").run([x])[0])


def test_in_memory_multi_input_samples_follow_keras_input_order():
    import keras

    from edgeq.datasets import Samples

    a = keras.Input((6,), name="alpha")
    b = keras.Input((4,), name="beta")
    h = keras.layers.Concatenate()([keras.layers.Dense(5)(a), keras.layers.Dense(5)(b)])
    model = keras.Model([a, b], keras.layers.Dense(3)(h))
    rng = np.random.default_rng(0)
    r = edgeq.convert(model, Samples([rng.random((10, 6), dtype=np.float32), rng.random((10, 4), dtype=np.float32)]))
    assert {i["name"] for i in r.report["model"]["inputs"]} == {"alpha", "beta"}


def test_multi_input_keras_models_keep_their_input_order_and_a_static_batch():
    """TensorFlow's converter ordered a multi-input model's inputs its own way (Keras in1, in2, in3 came out in2,
    in3, in1), so inputs fed by position were swapped, and kept the batch dynamic (shape signature -1: SHAPE/PACK
    chains, no gpu delegate). Now the .tflite's inputs are the Keras model's, in order, with batch 1, and running
    it by position gives what the Keras model gives."""
    import keras

    from edgeq.datasets import Samples

    keras.utils.set_random_seed(0)
    ins = [keras.Input((n,), name=f"in{k}") for k, n in ((1, 6), (2, 4), (3, 5))]
    h = keras.layers.Concatenate()([keras.layers.Dense(5)(x) for x in ins])
    model = keras.Model(ins, keras.layers.Dense(3)(h))
    rng = np.random.default_rng(0)
    xs = [rng.standard_normal((16, n)).astype(np.float32) for n in (6, 4, 5)]
    r = edgeq.convert(model, Samples(xs), io="float")
    assert [i["name"] for i in r.report["model"]["inputs"]] == ["in1", "in2", "in3"]
    m = read_model(r.model)
    assert all(-1 not in (t.shapeSignature if t.shapeSignature is not None else []) for t in m.subgraphs[0].tensors)
    it = Interpreter(r.model, resolver="builtin")
    assert [tuple(i.shape) for i in it.inputs] == [(1, 6), (1, 4), (1, 5)]
    got = it.run([x[:1] for x in xs])[0]
    want = model.predict([x[:1] for x in xs], verbose=0)
    assert np.abs(got - want).max() < 0.05 * np.abs(want).max(), (got, want)


def test_improvements_line_counts_what_was_done(demo, tmp_path, run_cli):
    # the line read "improvements: cross layer equalization pairs" with no count
    res = run_cli("convert", demo.keras_path, "--data", demo.calib, "-o", tmp_path / "m.tflite",
                  "--calibration", "minmax")
    assert res.code == 0, res.err
    man = json.loads((tmp_path / "m.manifest.json").read_text())
    pairs = man["graph_rewrites"]["cross_layer_equalization_pairs"]  # conv1 -(relu)-> conv2: one pair
    assert pairs == 1 and "\nimprovements: cross-layer equalization on 1 pair\n" in res.out, res.out
    from edgeq.report import _rewrite_words
    assert _rewrite_words("cross_layer_equalization_pairs", 3) == "cross-layer equalization on 3 pairs"
    assert _rewrite_words("weight_clipping_layers", 2) == "weight clipping on 2 layers"
    assert _rewrite_words("neg_to_mul", 2) == "neg to mul x2"
