"""PyTorch in (.pt2 and nn.Module through litert-torch): torchvision-shaped nets built here convert fully
integer and agree with PyTorch's own float output; names are module paths; failures are one line."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="the 'torch' extra")
pytest.importorskip("litert_torch", reason="the 'torch' extra")
sys.path.insert(0, str(Path(__file__).parent))
from torch_models import build  # noqa: E402


def _sqnr_vs_torch(model_bytes: bytes, module, x: np.ndarray) -> float:
    from edgeq.analysis.evaluate import sqnr_db
    from edgeq.runtime import Interpreter

    interp = Interpreter(model_bytes)
    got = np.concatenate([interp.run_float([x[i:i + 1]])[0] for i in range(len(x))])
    with torch.no_grad():
        ref = module(torch.from_numpy(x)).numpy()
    return sqnr_db(ref.reshape(got.shape), got)


def _data(shape, n, seed):
    return np.random.default_rng(seed).normal(size=(n, *shape)).astype(np.float32)


def test_module_mobilenet_v3_fully_integer_named_by_module_paths():
    import edgeq
    from edgeq.datasets import Samples

    net = build("mobilenet_v3")
    calib, ev = _data((3, 32, 32), 16, 0), _data((3, 32, 32), 8, 1)
    res = edgeq.convert(net, Samples([calib]), example_inputs=(torch.from_numpy(calib[:1]),), calibration="minmax")
    rep = res.report
    assert rep["source"]["kind"] == "torch" and rep["model"]["fully_integer"]
    assert rep["model"]["inputs"][0]["shape"] == [1, 3, 32, 32]  # the model's own NCHW layout
    assert rep["source"]["inputs_assumed"]["layout"] == "nchw"
    layers = {o["layer"] for o in rep["model"]["ops"] if o["op"] in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")}
    assert {"features.0.0", "features.1.block.0", "features.1.block.3", "features.1.block.6.fc1",
            "classifier.0", "classifier.2"} <= layers
    assert _sqnr_vs_torch(res.model, net, ev) > 30  # measured 44.1 dB


def test_pt2_resnet18_cli(run_cli, tmp_path):
    from edgeq.quantize.graph_rewrites import apply_rewrites
    from edgeq.runtime import Interpreter

    net = build("resnet18")
    calib, ev = _data((3, 32, 32), 16, 2), _data((3, 32, 32), 8, 3)
    pt2 = tmp_path / "resnet18.pt2"
    torch.export.save(torch.export.export(net, (torch.from_numpy(calib[:1]),)), pt2)
    np.save(tmp_path / "calib.npy", calib)
    np.save(tmp_path / "val.npy", ev)
    out = tmp_path / "r.tflite"
    res = run_cli("convert", pt2, "--data", tmp_path / "calib.npy", "--eval-data", tmp_path / "val.npy", "-o", out,
                  "--calibration", "minmax", "--json")
    assert res.code == 0, res.err
    rep = json.loads(res.out)
    assert rep["source"]["kind"] == "pt2" and rep["model"]["fully_integer"]
    assert rep["graph_rewrites"].get("max_pool_pad_to_zero_pad") == 1  # PyTorch's padded max pool after ReLU
    assert {"conv1", "layer1.0.conv1", "layer4.1.conv2", "fc"} <= {o["layer"] for o in rep["model"]["ops"]}
    assert _sqnr_vs_torch(out.read_bytes(), net, ev) > 30  # measured 38-42 dB
    # the pad rewrite is exact in float
    from edgeq.model_source import load_model

    src = load_model(pt2).tflite
    rewritten, _ = apply_rewrites(src)
    a, b = Interpreter(src, resolver="builtin"), Interpreter(rewritten, resolver="builtin")
    for i in range(4):
        np.testing.assert_array_equal(a.run_float([ev[i:i + 1]])[0], b.run_float([ev[i:i + 1]])[0])


def test_module_transformer_encoder():
    import edgeq
    from edgeq.datasets import Samples

    net = build("encoder")
    calib, ev = _data((8, 32), 16, 4), _data((8, 32), 8, 5)
    res = edgeq.convert(net, Samples([calib]), example_inputs=(torch.from_numpy(calib[:1]),), calibration="mse")
    assert res.report["model"]["fully_integer"]
    assert {"layers.0.qkv", "layers.1.mlp.2", "layers.0.proj"} <= {o["layer"] for o in res.report["model"]["ops"]}
    assert _sqnr_vs_torch(res.model, net, ev) > 22  # measured 30.1 dB


class _Bucket(torch.nn.Module):
    def forward(self, x):
        return torch.bucketize(x, torch.tensor([-1.0, 0.0, 1.0])).float()


class _WithBucket(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(16, 16)
        self.quant = _Bucket()

    def forward(self, x):
        return self.quant(self.fc(x))


class _Branchy(torch.nn.Module):
    def forward(self, x):
        if x.sum() > 0:
            return x * 2
        return x


def test_unsupported_aten_op_is_one_line_naming_op_and_module():
    import edgeq
    from edgeq.errors import ModelError

    with pytest.raises(ModelError) as info:
        edgeq.convert(_WithBucket(), None, example_inputs=(torch.randn(1, 16),), activations="float")
    msg = str(info.value)
    assert len(msg.splitlines()) == 1
    assert "no TFLite lowering for aten op bucketize" in msg and "'quant' (_Bucket)" in msg, msg


def test_export_failures_and_missing_inputs_are_one_line(tmp_path):
    import edgeq
    from edgeq.errors import ModelError

    x = torch.randn(1, 16)
    with pytest.raises(ModelError, match="data-dependent control flow in forward"):
        edgeq.convert(_Branchy(), None, example_inputs=(x,), activations="float")
    with pytest.raises(ModelError, match="needs example inputs"):
        edgeq.convert(torch.nn.Linear(4, 4), None, activations="float")
    dyn = tmp_path / "dyn.pt2"
    batch = torch.export.Dim("batch", min=2, max=8)
    torch.export.save(torch.export.export(torch.nn.Linear(16, 4), (torch.randn(2, 16),),
                                          dynamic_shapes=({0: batch},)), dyn)
    with pytest.raises(ModelError, match="dynamic sizes.*export with static shapes"):
        edgeq.convert(dyn, None, activations="float")


def test_missing_extra_names_it(monkeypatch):
    import edgeq
    from edgeq.errors import ModelError

    monkeypatch.setitem(sys.modules, "litert_torch", None)  # import fails as when not installed
    with pytest.raises(ModelError, match=r"pip install 'edgeq\[torch\]'"):
        edgeq.convert(torch.nn.Linear(4, 4), None, example_inputs=(torch.randn(1, 4),), activations="float")

