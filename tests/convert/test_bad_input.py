"""Bad input gets one clear line naming the cause and the fix, exit code 2, no traceback, no output file."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import numpy as np
import pytest


def _assert_clean_failure(res, out_dir, *words):
    assert res.code == 2, (res.code, res.err)
    assert "Traceback" not in res.err and "Traceback" not in res.out
    first = res.err.strip().splitlines()[0]
    assert first.startswith("edgeq: error: ")
    for w in words:
        assert w in res.err, (w, res.err)
    # nothing half-written: no model, no temp file
    assert [p.name for p in out_dir.iterdir() if p.suffix in (".tflite", ".tmp")] == []


@pytest.fixture
def out_dir(tmp_path):
    d = tmp_path / "out"
    d.mkdir()
    return d


def _convert(run_cli, model, data, out_dir, *extra):
    return run_cli("convert", model, "--data", data, "-o", out_dir / "m.tflite", *extra)


def test_missing_model(run_cli, tiny, out_dir):
    res = _convert(run_cli, out_dir / "nope.keras", tiny.calib, out_dir)
    _assert_clean_failure(res, out_dir, "does not exist", "check the path")


def test_file_that_is_not_a_model(run_cli, tiny, out_dir, tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("hello")
    _assert_clean_failure(_convert(run_cli, p, tiny.calib, out_dir), out_dir, "not a model edgeq reads")


def test_random_bytes_tflite(run_cli, tiny, out_dir, tmp_path):
    p = tmp_path / "garbage.tflite"
    p.write_bytes(np.random.default_rng(0).bytes(4096))
    _assert_clean_failure(_convert(run_cli, p, tiny.calib, out_dir), out_dir, "not a TFLite flatbuffer")


def test_truncated_tflite(run_cli, tiny, out_dir, tmp_path):
    data = tiny.float_tflite.read_bytes()
    p = tmp_path / "truncated.tflite"
    p.write_bytes(data[: len(data) // 3])
    _assert_clean_failure(_convert(run_cli, p, tiny.calib, out_dir), out_dir, "corrupt or truncated")


def test_truncated_tflite_inspect(run_cli, tiny, tmp_path):
    data = tiny.float_tflite.read_bytes()
    p = tmp_path / "truncated.tflite"
    p.write_bytes(data[: len(data) // 3])
    res = run_cli("inspect", p)
    assert res.code == 2 and "corrupt or truncated" in res.err and "Traceback" not in res.err
    assert "(error)" not in res.err and "(an offset points outside the file)" in res.err, res.err  # struct.error


def test_keras_file_that_is_not_a_zip(run_cli, tiny, out_dir, tmp_path):
    p = tmp_path / "fake.keras"
    p.write_bytes(b"not a zip at all")
    _assert_clean_failure(_convert(run_cli, p, tiny.calib, out_dir), out_dir, "not a Keras archive")


def test_damaged_keras_archive(run_cli, tiny, out_dir, tmp_path):
    # Keras said "File not found: filepath=... Please ensure the file is an accessible `.keras` zip file.
    # (re-save the model with this Keras version)" of a cut file that is there
    data = tiny.keras.read_bytes()
    cut = tmp_path / "cut.keras"
    cut.write_bytes(data[: len(data) // 2])
    _assert_clean_failure(_convert(run_cli, cut, tiny.calib, out_dir), out_dir, "damaged Keras archive",
                          "copy it again")
    import zipfile
    with zipfile.ZipFile(tiny.keras) as z:
        info = max(z.infolist(), key=lambda i: i.compress_size)
    flipped = bytearray(data)
    at = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size // 2
    flipped[at] ^= 0xFF
    bad = tmp_path / "flipped.keras"
    bad.write_bytes(bytes(flipped))
    res = _convert(run_cli, bad, tiny.calib, out_dir)
    _assert_clean_failure(res, out_dir, "damaged Keras archive", "fails its checksum")
    assert "File not found" not in res.err


def test_already_quantized_model(run_cli, tiny, out_dir, tmp_path):
    import edgeq

    q = tmp_path / "q.tflite"
    edgeq.convert(tiny.float_tflite, tiny.calib).save(q)
    _assert_clean_failure(_convert(run_cli, q, tiny.calib, out_dir), out_dir, "already quantized")


def test_calibration_wrong_shape(run_cli, tiny, out_dir, tmp_path):
    p = tmp_path / "bad.npy"
    np.save(p, np.zeros((10, 5), np.float32))
    _assert_clean_failure(_convert(run_cli, tiny.keras, p, out_dir), out_dir, "(10, 5)", "(N, 12, 12, 3)")


def test_calibration_wrong_dtype(run_cli, tiny, out_dir, tmp_path):
    p = tmp_path / "strings.npy"
    np.save(p, np.array([["a"] * 3] * 4))
    _assert_clean_failure(_convert(run_cli, tiny.keras, p, out_dir), out_dir, "not numbers")


def test_image_size_that_does_not_match_the_model(run_cli, tiny, out_dir, tmp_path):
    # it said "calibration sample 0 input 0 has shape (1, 8, 8, 3), the model needs (1, 12, 12, 3): yield batch-1
    # arrays of the input shape", a hint for module:function data, after decoding every image
    from PIL import Image
    (tmp_path / "imgs").mkdir()
    for i in range(4):
        Image.fromarray(np.full((20, 20, 3), 40 * i, np.uint8)).save(tmp_path / "imgs" / f"{i}.png")
    res = _convert(run_cli, tiny.keras, tmp_path / "imgs", out_dir, "--image-size", "8x8")
    _assert_clean_failure(res, out_dir, "--image-size 8x8 does not match model input", "takes 12x12 images",
                          "leave --image-size out")
    assert "yield batch-1" not in res.err
    assert _convert(run_cli, tiny.keras, tmp_path / "imgs", out_dir, "--image-size", "12x12").code == 0


def test_calibration_no_samples(run_cli, tiny, out_dir, tmp_path):
    p = tmp_path / "empty.npy"
    np.save(p, np.zeros((0, 12, 12, 3), np.float32))
    _assert_clean_failure(_convert(run_cli, tiny.keras, p, out_dir), out_dir, "holds no samples")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_calibration_nan_or_inf(run_cli, tiny, out_dir, tmp_path, bad):
    x = np.random.default_rng(0).random((20, 12, 12, 3)).astype(np.float32)
    x[7, 1, 2, 0] = bad
    p = tmp_path / "nan.npy"
    np.save(p, x)
    _assert_clean_failure(_convert(run_cli, tiny.keras, p, out_dir), out_dir, "NaN or Inf", "index 7")


def test_calibration_empty_folder(run_cli, tiny, out_dir, tmp_path):
    d = tmp_path / "images"
    d.mkdir()
    _assert_clean_failure(_convert(run_cli, tiny.keras, d, out_dir), out_dir, "holds no images")


def test_calibration_unreadable_image(run_cli, tiny, out_dir, tmp_path):
    from PIL import Image

    d = tmp_path / "images"
    d.mkdir()
    Image.new("RGB", (20, 20), (10, 200, 30)).save(d / "ok.png")
    (d / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50)
    _assert_clean_failure(_convert(run_cli, tiny.keras, d, out_dir), out_dir, "broken.png", "cannot be read")


def test_calibration_missing_path(run_cli, tiny, out_dir, tmp_path):
    _assert_clean_failure(_convert(run_cli, tiny.keras, tmp_path / "nothing.npz", out_dir), out_dir,
                          "does not exist")


def test_calibration_bad_generator(run_cli, tiny, out_dir):
    _assert_clean_failure(_convert(run_cli, tiny.keras, "no_such_module_xyz:samples", out_dir), out_dir,
                          "cannot import module")


def test_output_folder_missing(run_cli, tiny, tmp_path):
    res = run_cli("convert", tiny.keras, "--data", tiny.calib, "-o", tmp_path / "nodir" / "m.tflite")
    assert res.code == 2 and "does not exist" in res.err and not (tmp_path / "nodir").exists()


def test_model_tensorflow_cannot_convert(run_cli, tiny, out_dir, tmp_path):
    import tensorflow as tf

    class Det(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, 4, 4], tf.float32)])
        def serve(self, x):
            return {"det": tf.linalg.det(x)}  # MatrixDeterminant has no TFLite builtin

    sm = tmp_path / "det_model"
    m = Det()
    tf.saved_model.save(m, str(sm), signatures={"serving_default": m.serve})
    data = tmp_path / "d.npy"
    np.save(data, np.random.default_rng(0).random((4, 4, 4)).astype(np.float32))
    _assert_clean_failure(_convert(run_cli, sm, data, out_dir), out_dir, "TensorFlow cannot convert")


def test_strict_failure_then_allow_float(tmp_path, out_dir, run_cli):
    import keras

    import edgeq
    from edgeq.errors import NotIntegerError

    class Sine(keras.layers.Layer):
        def call(self, t):
            return keras.ops.sin(t)

    inp = keras.Input((16,), name="x")
    h = keras.layers.Dense(16, name="proj")(inp)
    h = Sine(name="my_sine")(h)
    model = keras.Model(inp, keras.layers.Dense(4, name="head")(h))
    x = np.random.default_rng(0).standard_normal((30, 16)).astype(np.float32)
    with pytest.raises(NotIntegerError) as ei:
        edgeq.convert(model, _samples(x))
    msg = str(ei.value)
    assert "SIN in layer 'my_sine'" in msg and "--allow-float SIN" in msg
    result = edgeq.convert(model, _samples(x), allow_float=["sin"])
    assert not result.report["model"]["fully_integer"]
    assert {o["op"] for o in result.report["allowed_float"]} >= {"SIN"}


def _samples(x):
    from edgeq.datasets import Samples

    return Samples([x])


def test_real_entry_point_no_traceback(tiny, tmp_path):
    """The installed ``edgeq`` script itself: exit code 2 and a single line on stderr."""
    exe = [sys.executable, "-m", "edgeq.cli"]
    res = subprocess.run(exe + ["convert", str(tmp_path / "missing.keras"), "--data", str(tiny.calib),
                                "-o", str(tmp_path / "o.tflite")], capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    ours = [line for line in res.stderr.splitlines() if line.startswith("edgeq:")]
    assert ours == [f"edgeq: error: model '{tmp_path / 'missing.keras'}' does not exist: check the path"]
    assert "Traceback" not in res.stderr
    help_res = subprocess.run(exe + ["convert", "--help"], capture_output=True, text=True, timeout=120)
    assert help_res.returncode == 0 and "--allow-float" in help_res.stdout and "Examples" in help_res.stdout


# ---------------------------------------------------------------- data sources and flags (issue 12)

def _module(tmp_path, monkeypatch, name, body):
    d = tmp_path / "mods"
    d.mkdir(exist_ok=True)
    (d / f"{name}.py").write_text(body)
    monkeypatch.syspath_prepend(str(d))
    return f"{name}:gen"


@pytest.mark.parametrize("name, body, want", [
    ("eq_syntax", "def gen(:\n    pass\n", "has a syntax error"),
    ("eq_exits", "import sys\ndef gen():\n    sys.exit(0)\n", "called sys.exit(0)"),
    ("eq_exits_on_import", "import sys\nsys.exit(3)\n", "called sys.exit(3)"),
    ("eq_raises_on_import", "raise RuntimeError('no camera')\n", "raised RuntimeError: no camera"),
])
def test_broken_data_modules_are_one_line(run_cli, tiny, out_dir, tmp_path, monkeypatch, name, body, want):
    spec = _module(tmp_path, monkeypatch, name, body)
    _assert_clean_failure(_convert(run_cli, tiny.keras, spec, out_dir), out_dir, want)


def test_endless_generator_stops_at_max_samples(run_cli, tiny, out_dir, tmp_path, monkeypatch):
    spec = _module(tmp_path, monkeypatch, "eq_endless", "import numpy as np\ndef gen():\n    while True:\n"
                   "        yield np.zeros((12, 12, 3), np.float32)\n")
    res = _convert(run_cli, tiny.keras, spec, out_dir, "--max-samples", "50", "--calibration", "minmax", "--json")
    assert res.code == 0, res.err
    import json
    assert json.loads(res.out)["calibration"]["samples"] == 50
    # without --max-samples an endless generator is stopped at the limit, in one line
    from edgeq import datasets
    monkeypatch.setattr(datasets, "GENERATOR_LIMIT", 60)
    from edgeq.datasets import load_samples
    from edgeq.model_source import InputSpec
    with pytest.raises(datasets.DataError, match="yielded more than 60 samples: pass --max-samples"):
        load_samples(spec, [InputSpec("image", (1, 12, 12, 3))], max_samples=None)


@pytest.mark.parametrize("flags, want", [
    (("--max-samples", "-3"), "--max-samples -3 is not a positive count"),
    (("--max-samples", "0"), "--max-samples 0 is not a positive count"),
    (("--image-size", "0x0"), "each side must be 1..8192"),
    (("--image-size", "20000x20000"), "each side must be 1..8192"),
    (("--image-size", "big"), "is not HxW"),
])
def test_bad_counts_and_sizes_are_one_line(run_cli, tiny, out_dir, flags, want):
    _assert_clean_failure(_convert(run_cli, tiny.keras, tiny.calib, out_dir, *flags), out_dir, want)


def _png_bomb(path, side=13500):
    """A few hundred KB of PNG that declares side x side pixels."""
    import struct
    import zlib
    raw = zlib.compress(b"\0" * ((side + 1) * side), 1)

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
                     + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def test_png_decompression_bomb_is_one_line(run_cli, tiny, out_dir, tmp_path):
    d = tmp_path / "imgs"
    d.mkdir()
    _png_bomb(d / "bomb.png")
    _assert_clean_failure(_convert(run_cli, tiny.keras, d, out_dir), out_dir, "decompression bomb")


def test_image_memory_is_bounded_before_decoding(tiny, tmp_path, monkeypatch):
    from PIL import Image

    from edgeq import datasets
    from edgeq.model_source import InputSpec
    d = tmp_path / "imgs"
    d.mkdir()
    for i in range(3):
        Image.new("RGB", (8, 8)).save(d / f"{i}.png")
    monkeypatch.setattr(datasets, "IMAGE_BYTES_LIMIT", 3 * 100 * 100 * 3 * 4 - 1)
    with pytest.raises(datasets.DataError, match="need .* GiB as float32, over"):
        datasets.load_samples(d, [InputSpec("image", (1, 100, 100, 3))])


def test_inspect_on_a_folder_says_so(run_cli, tmp_path):
    res = run_cli("inspect", tmp_path)
    assert res.code == 2 and "is a folder: give a .tflite file" in res.err and "Traceback" not in res.err


def test_empty_keras_file_fails_before_tensorflow_loads(tmp_path):
    (tmp_path / "zero.keras").write_bytes(b"")
    code = ("import sys\nfrom edgeq.model_source import load_model\nfrom edgeq.errors import ModelError\n"
            f"try:\n    load_model({str(tmp_path / 'zero.keras')!r})\nexcept ModelError as e:\n    print(e)\n"
            "print('tensorflow loaded' if 'tensorflow' in sys.modules else 'tensorflow not loaded')\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "is not a Keras archive" in p.stdout and "tensorflow not loaded" in p.stdout, p.stdout + p.stderr


def test_debug_takes_the_keras_model_as_the_readme_writes_it(run_cli, tiny, tmp_path):
    import edgeq
    q = tmp_path / "q.tflite"
    edgeq.convert(tiny.keras, tiny.calib, calibration="minmax").save(q, manifest_sidecar=False)
    res = run_cli("debug", tiny.keras, q, "--data", tiny.calib, "--max-samples", "4", "--json")
    assert res.code == 0, res.err
    assert "Traceback" not in res.err


def test_keras_custom_layer_names_the_layer_and_import_loads_it(run_cli, out_dir, tmp_path, monkeypatch):
    """A .keras with a custom layer whose module is not imported: main said Keras' 'Functional could not be
    deserialized properly ... (re-save the model with this Keras version)'; now the layer's registered name and
    --import MODULE, which then converts it."""
    import keras

    (tmp_path / "eq_custom_layers.py").write_text(
        "import keras\n\n"
        "@keras.saving.register_keras_serializable(package='eqtest')\n"
        "class Doubler(keras.layers.Layer):\n"
        "    def call(self, x):\n"
        "        return x * 2.0\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    import eq_custom_layers

    inp = keras.Input((8, 8, 3), name="img")
    x = eq_custom_layers.Doubler(name="double")(keras.layers.Conv2D(4, 3, name="conv")(inp))
    out = keras.layers.Dense(3, name="head")(keras.layers.GlobalAveragePooling2D(name="gap")(x))
    keras.Model(inp, out).save(tmp_path / "custom.keras")
    np.save(tmp_path / "cal.npy", np.random.default_rng(0).random((8, 8, 8, 3), dtype=np.float32))
    # as in a fresh process: the class is not registered, its module not imported
    keras.saving.get_custom_objects().pop("eqtest>Doubler")
    monkeypatch.delitem(sys.modules, "eq_custom_layers")
    res = _convert(run_cli, tmp_path / "custom.keras", tmp_path / "cal.npy", out_dir)
    _assert_clean_failure(res, out_dir, "uses custom layer(s) 'eqtest>Doubler'", "--import MODULE")
    assert "re-save" not in res.err
    res = _convert(run_cli, tmp_path / "custom.keras", tmp_path / "cal.npy", out_dir, "--import", "eq_custom_layers")
    assert res.code == 0, res.err
    assert (out_dir / "m.tflite").is_file()
    res = _convert(run_cli, tmp_path / "custom.keras", tmp_path / "cal.npy", out_dir, "--import", "no_such_mod_eq")
    assert res.code == 2 and "--import no_such_mod_eq: cannot import it" in res.err


def test_int64_and_bool_inputs_calibrate_with_their_own_types(run_cli, out_dir, tmp_path):
    """Token ids (int64) and a bool mask: the samples were handed to TensorFlow's calibrator as float32, which it
    refused ('Cannot set tensor: Got value of type FLOAT32 but expected type INT64 ... check that the data matches
    the model's inputs', of data that did). Now they calibrate; the mask's CAST is the one op left float, named
    in the strict error and allowed with --allow-float CAST. A model this small grows: the size line says so
    instead of '0.69x smaller'."""
    import keras

    keras.utils.set_random_seed(0)
    ids = keras.Input((6,), dtype="int64", name="ids")
    mask = keras.Input((6,), dtype="bool", name="mask")
    e = keras.layers.Embedding(20, 4, name="emb")(ids)
    z = keras.layers.GlobalAveragePooling1D(name="pool")(e * keras.ops.cast(keras.ops.expand_dims(mask, -1), "float32"))
    keras.Model([ids, mask], keras.layers.Dense(2, name="o")(z)).save(tmp_path / "ib.keras")
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "ib.npz", ids=rng.integers(0, 20, (16, 6)).astype(np.int64), mask=rng.random((16, 6)) > 0.3)
    res = _convert(run_cli, tmp_path / "ib.keras", tmp_path / "ib.npz", out_dir)
    _assert_clean_failure(res, out_dir, "CAST", "--allow-float CAST")
    assert "calibrator" not in res.err, res.err
    res = _convert(run_cli, tmp_path / "ib.keras", tmp_path / "ib.npz", out_dir, "--allow-float", "CAST",
                   "--eval-data", tmp_path / "ib.npz")
    assert res.code == 0, res.err
    assert "x larger: the manifest and quantization parameters outweigh" in res.out and "x smaller" not in res.out
    sqnr = float(re.search(r"o: SQNR ([\d.]+) dB", res.out).group(1))
    assert sqnr > 30, res.out


def test_ctrl_c_during_convert_says_so_and_writes_nothing(run_cli, tiny, out_dir, monkeypatch):
    """Ctrl-C while converting: exit 130, 'edgeq: interrupted (Ctrl-C)' (main: 'edgeq: aborted', click's word for
    it), and no model, manifest or temp file."""
    import edgeq.converter.pipeline as pipeline

    def interrupted(*a, **k):
        raise KeyboardInterrupt
    monkeypatch.setattr(pipeline, "convert", interrupted)
    res = _convert(run_cli, tiny.keras, tiny.calib, out_dir)
    assert res.code == 130 and res.err.strip().splitlines()[-1] == "edgeq: interrupted (Ctrl-C)", res.err
    assert os.listdir(out_dir) == []
