"""ONNX in (through onnx2tf): a file exported from PyTorch here converts fully integer and agrees with PyTorch's
float output; names are ONNX node names; a missing extra, an op onnx2tf lacks and a float translation that does
not reproduce onnxruntime are each one line."""
from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the 'torch' extra (to export the test model)")
onnx = pytest.importorskip("onnx", reason="the 'onnx' extra")
pytest.importorskip("onnx2tf", reason="the 'onnx' extra")
pytest.importorskip("onnxruntime", reason="the 'onnx' extra")
sys.path.insert(0, str(Path(__file__).parent))
from torch_models import build  # noqa: E402


def _export(net, x: np.ndarray, path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation note
        torch.onnx.export(net, (torch.from_numpy(x),), str(path), dynamo=False, input_names=["x"], output_names=["y"])
    return path


def _data(shape, n, seed):
    return np.random.default_rng(seed).normal(size=(n, *shape)).astype(np.float32)


def test_onnx_resnet18_cli_fully_integer_named_by_nodes(run_cli, tmp_path):
    from edgeq.analysis.evaluate import sqnr_db
    from edgeq.runtime import Interpreter

    net = build("resnet18")
    calib, ev = _data((3, 32, 32), 16, 2), _data((3, 32, 32), 8, 3)
    path = _export(net, calib[:1], tmp_path / "resnet18.onnx")
    np.save(tmp_path / "calib.npy", calib)
    out = tmp_path / "r.tflite"
    res = run_cli("convert", path, "--data", tmp_path / "calib.npy", "-o", out, "--calibration", "minmax", "--json")
    assert res.code == 0, res.err
    rep = json.loads(res.out)
    assert rep["source"]["kind"] == "onnx" and rep["model"]["fully_integer"]
    assert rep["model"]["inputs"][0]["shape"] == [1, 3, 32, 32]  # the model's own NCHW layout
    assert rep["source"]["inputs_assumed"]["layout"] == "nchw"
    assert rep["graph_rewrites"].get("max_pool_pad_to_zero_pad") == 1  # onnx2tf pads with the lowest float32
    layers = {o["layer"] for o in rep["model"]["ops"]}
    assert {"/conv1/Conv", "/layer1/layer1.0/conv1/Conv", "/layer4/layer4.1/conv2/Conv", "/fc/Gemm"} <= layers
    interp = Interpreter(out.read_bytes())
    got = np.concatenate([interp.run_float([ev[i:i + 1]])[0] for i in range(len(ev))])
    with torch.no_grad():
        ref = net(torch.from_numpy(ev)).numpy()
    assert sqnr_db(ref, got) > 30  # measured 41 dB


def test_float_translation_that_disagrees_with_onnxruntime_is_refused(tmp_path, monkeypatch):
    from edgeq.errors import ModelError
    from edgeq.frontends import onnx_source
    from edgeq.model_source import load_model
    from edgeq.runtime import Interpreter

    net = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Linear(8, 4)).eval()
    path = _export(net, _data((16,), 1, 0), tmp_path / "mlp.onnx")
    fm = load_model(path)  # the honest translation passes the check
    assert fm.kind == "onnx" and {"/0/Gemm", "/2/Gemm"} <= set(fm.layer_names)
    ext = tmp_path / "ext" / "mlp.onnx"  # weights in a separate file, as torch's dynamo exporter writes them
    ext.parent.mkdir()
    onnx.save(onnx.load(str(path)), str(ext), save_as_external_data=True, location="mlp.onnx.data", size_threshold=0)
    fm_ext = load_model(ext)
    x = _data((16,), 1, 1)
    np.testing.assert_array_equal(Interpreter(fm_ext.tflite, resolver="builtin").run_float([x])[0],
                                  Interpreter(fm.tflite, resolver="builtin").run_float([x])[0])
    assert fm_ext.source_bytes == ext.stat().st_size + (ext.parent / "mlp.onnx.data").stat().st_size
    real = onnx_source._onnxruntime
    monkeypatch.setattr(onnx_source, "_onnxruntime", lambda m, x: [r[..., ::-1].copy() for r in real(m, x)])
    with pytest.raises(ModelError, match=r"disagrees with onnxruntime on output 'y' .*not quantizing a wrong float"):
        load_model(path)


def _crop_model(path: Path) -> Path:
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3, 4, 4])
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [4, 4])
    nodes = [helper.make_node("Relu", ["x"], ["r"], name="pre"),
             helper.make_node("CenterCropPad", ["r", "shape"], ["y"], name="crop", axes=[2, 3])]
    g = helper.make_graph(nodes, "g", [x], [y], initializer=[shape])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 18)]), str(path))
    return path


def test_op_onnx2tf_lacks_is_one_line_naming_op_and_node(run_cli, tmp_path):
    path = _crop_model(tmp_path / "crop.onnx")
    np.save(tmp_path / "c.npy", np.zeros((2, 3, 8, 8), np.float32))
    res = run_cli("convert", path, "--data", tmp_path / "c.npy", "-o", tmp_path / "m.tflite")
    assert res.code == 2 and "Traceback" not in res.err and not (tmp_path / "m.tflite").exists()
    assert "no TFLite translation for ONNX op CenterCropPad in node 'crop'" in res.err, res.err


def test_missing_extra_names_it(monkeypatch, tmp_path):
    import edgeq
    from edgeq.errors import ModelError

    path = _crop_model(tmp_path / "crop.onnx")
    monkeypatch.setitem(sys.modules, "onnx2tf", None)  # import fails as when not installed
    with pytest.raises(ModelError, match=r"needs the 'onnx' extra .*pip install 'edgeq\[onnx\]'"):
        edgeq.convert(path, None, activations="float")
