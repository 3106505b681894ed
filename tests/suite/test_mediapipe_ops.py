"""libedgeq_mediapipe: mediapipe's custom ops (float) on stock LiteRT.

The face-mesh attention model of the mediapipe wheel (Landmarks2TransformMatrix,
TransformTensorBilinear and TransformLandmarks, 11 nodes) runs with every tensor kept; each
custom node's output is checked against a numpy implementation of mediapipe's formulas written
here (in float64, so the tolerance is float32 rounding), fed the node's own inputs. Inputs:
crops of scikit-learn's sample photos, as the conformance suite uses.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from edgeq.runtime import Interpreter
from edgeq.tflite_schema import op_name, read_model

from _suite_fetch import fetched


def _model() -> bytes:
    from edgeq.suite.registry import mediapipe_file
    from edgeq.zoo_tflite import prepare

    return prepare(mediapipe_file("face_landmark_with_attention").read_bytes())[0]


def _rot(r: float) -> np.ndarray:
    return np.array([[math.cos(r), -math.sin(r)], [math.sin(r), math.cos(r)]])


def l2tm(lm: np.ndarray, o: dict) -> np.ndarray:
    """Landmarks2TransformMatrix v2: crop pixel -> landmark space, for the subset's rotated box."""
    lm = lm.reshape(-1, 3)[:, :2].astype(np.float64)
    left, right = lm[o["left_rotation_idx"]], lm[o["right_rotation_idx"]]
    rot = o.get("target_rotation_radians", 0.0) - math.atan2(right[1] - left[1], right[0] - left[0])
    pts = lm[np.asarray(o["subset_idxs"])] @ _rot(rot).T
    lo, hi = pts.min(0), pts.max(0)
    centre = _rot(-rot) @ ((lo + hi) / 2)
    w, h = o["output_width"], o["output_height"]
    t = np.eye(4)
    t[:2, 3] = centre
    r4 = np.eye(4)
    r4[:2, :2] = _rot(-rot)
    s = np.diag([o["scale_x"] * (hi - lo)[0] / w, o["scale_y"] * (hi - lo)[1] / h, 1.0, 1.0])
    sh = np.eye(4)
    sh[:2, 3] = [-w / 2, -h / 2]
    return (t @ r4 @ s @ sh).reshape(1, 4, 4)


def ttb(x: np.ndarray, m: np.ndarray, oh: int, ow: int) -> np.ndarray:
    """TransformTensorBilinear v2: bilinear samples at the matrix's points (pixel centres), 0 outside."""
    x = x[0].astype(np.float64)
    ih, iw, c = x.shape
    m = m.reshape(4, 4).astype(np.float64)
    a = m[:2, [0, 1, 3]].copy()
    a[:, 2] += a[:, 0] * 0.5 + a[:, 1] * 0.5 - 0.5
    out = np.zeros((oh, ow, c))
    for oy in range(oh):
        for ox in range(ow):
            tx, ty = a @ [ox, oy, 1.0]
            if tx < 0 or ty < 0 or tx > iw - 1 or ty > ih - 1:
                continue
            x0, y0 = math.floor(tx), math.floor(ty)
            fx, fy = tx - x0, ty - y0

            def at(yy: int, xx: int) -> np.ndarray:
                return x[yy, xx] if yy < ih and xx < iw else np.zeros(c)
            top = (1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)
            bottom = (1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1)
            out[oy, ox] = (1 - fy) * top + fy * bottom
    return out[None]


def tl(p: np.ndarray, m: np.ndarray) -> np.ndarray:
    """TransformLandmarks v2: x, y of each landmark through the matrix's first two rows."""
    m = m.reshape(4, 4).astype(np.float64)
    out = p.astype(np.float64).copy()
    out[0, :, :2] = p[0, :, :2] @ m[:2, :2].T + m[:2, 3]
    return out


@pytest.fixture(scope="module")
def ran():
    from flatbuffers import flexbuffers

    from edgeq.suite.registry import spec

    data = fetched(_model)
    x = fetched(lambda: spec("mp_face_landmark_with_attention").inputs(2, None, 0))[0]
    it = Interpreter(data, resolver="builtin", preserve_all_tensors=True)  # adds the mediapipe delegate itself
    assert any("libedgeq_mediapipe" in str(p) for p in it.delegate_paths)
    m = read_model(data)
    nodes = []
    for k, op in enumerate(m.subgraphs[0].operators):
        name = op_name(m, op)
        if name.startswith("CUSTOM:"):
            opts = flexbuffers.Loads(bytes(op.customOptions)) if op.customOptions is not None else {}
            nodes.append((name[7:], [int(i) for i in op.inputs], int(op.outputs[0]), opts))
    runs = []
    for n in range(2):
        it.run_float([x[n:n + 1]])
        runs.append({i: it.tensor(i).copy() for _, ins, out, _ in nodes for i in (*ins, out)})
    return nodes, runs


def test_every_custom_node_matches_mediapipes_formulas(ran):
    nodes, runs = ran
    assert sorted({n[0] for n in nodes}) == ["Landmarks2TransformMatrix", "TransformLandmarks",
                                             "TransformTensorBilinear"] and len(nodes) == 11
    for t in runs:
        for code, ins, out, opts in nodes:
            got = t[out]
            if code == "Landmarks2TransformMatrix":
                want = l2tm(t[ins[0]], opts)
            elif code == "TransformTensorBilinear":
                want = ttb(t[ins[0]], t[ins[1]], got.shape[1], got.shape[2])
            else:
                want = tl(t[ins[0]], t[ins[1]])
            scale = max(1.0, float(np.abs(want).max()))
            np.testing.assert_allclose(got, want, rtol=0, atol=2e-4 * scale, err_msg=f"{code} -> tensor {out}")
            assert np.abs(got).max() > 0, code  # a kernel that wrote nothing would pass a zero reference


def test_the_crop_lands_inside_the_feature_map(ran):
    # the attention crops must sample real features: most of each 16x16 crop is inside the 48x48 map
    nodes, runs = ran
    for t in runs:
        for code, ins, out, _ in nodes:
            if code == "TransformTensorBilinear":
                assert np.mean(np.abs(t[out]).sum(-1) > 0) > 0.5


def test_options_for_edgeqs_delegates_are_not_given_to_the_mediapipe_one(tmp_path):
    # edgeq profile --delegate cpu of this model: "libedgeq_mediapipe.so failed to load: edgeq mediapipe delegate:
    # unknown option 'report_path': this delegate takes none"
    import json

    data = fetched(_model)
    rep = tmp_path / "claims.json"
    it = Interpreter(data, resolver="builtin", delegates=["cpu"],
                     delegate_options={"num_threads": 1, "report_path": str(rep)})
    assert [p.name.split(".")[0] for p in it.delegate_paths] == ["libedgeq_cpu", "libedgeq_mediapipe"]
    x = np.zeros(it.inputs[0].shape, it.inputs[0].dtype)
    assert all(np.isfinite(y).all() for y in it.run([x]))
    doc = json.loads(rep.read_text())  # the options reached edgeq-cpu: it wrote its claim report (a float model:
    assert doc["rejected"] and not doc["claimed"]  # it declines every node, saying why)
