"""edgeq firmware on emulated Cortex-M boards (qemu-system-arm, UART on a pty, -icount): the demo and
the MLPerf Tiny models bit-exact with BUILTIN_REF on the Cortex-M4 and Cortex-M55 kernels, the serial
protocol's errors, exact instruction counting, `edgeq profile --device mcu://…`, and the real-board
ports building."""
from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "delegates"))  # _opmodels: the delegate tests' op models
import mcu_helpers as _mcu  # noqa: E402

from edgeq.errors import EdgeqError  # noqa: E402
from edgeq.mcu.boards import board  # noqa: E402

pytestmark = pytest.mark.skipif(not (_mcu.have("arm-none-eabi-gcc") and _mcu.have("qemu-system-arm")),
                                reason="needs gcc-arm-none-eabi and qemu-system-arm (tests/apt-packages.txt)")

QEMU_BOARDS = ["mps2-an386", "mps3-an547"]
TINY = ["kws", "vww", "resnet8", "autoencoder"]


def _run_on_board(model: bytes, bname: str, work: Path, samples: int = 2, seed: int = 5) -> dict:
    from edgeq.mcu.firmware import compile_and_build
    from edgeq.mcu.qemu import QemuBoard, instructions
    from edgeq.mcu.session import FirmwareSession
    b = board(bname)
    cm, fw = compile_and_build(model, b, work)
    out = {"target": cm.target, "mismatches": 0, "kernels": {o["kernel"] for o in cm.report["ops"]}}
    with QemuBoard(b, fw.elf) as q, FirmwareSession(q.uri) as s:
        info = s.info()
        assert info.model_sha256 == cm.sha256 and info.arena_bytes == cm.plan.arena_bytes
        for xs in _mcu.random_inputs(model, samples, seed):
            want = b"".join(r.tobytes() for r in _mcu.reference(model, xs))
            s.load_input(b"".join(np.ascontiguousarray(x).tobytes() for x in xs))
            ticks = s.infer(1)
            got = s.outputs()
            assert len(got) == len(want)
            out["mismatches"] += sum(a != c for a, c in zip(got, want))
        out["instructions"] = instructions(ticks, info.timer_hz)
        out["op_instructions"] = [instructions(t, info.timer_hz) for t in s.op_ticks()]
    return out


@pytest.mark.parametrize("bname", QEMU_BOARDS)
def test_demo_and_mlperf_tiny_models_are_bit_exact_under_qemu(demo, bname, tmp_path):
    models = {"demo": _mcu.logits_exposed(_mcu.demo_int8(demo)),
              **{n: _mcu.logits_exposed(_mcu.tiny_model(n)) for n in TINY}}
    for name, m in models.items():
        r = _run_on_board(m, bname, tmp_path / name)
        assert r["mismatches"] == 0, f"{name} on {bname}: {r['mismatches']} output bytes differ from BUILTIN_REF"
        variant = "armsimd32" if bname == "mps2-an386" else "mve"
        assert any(variant in k for k in r["kernels"]), r["kernels"]  # the Cortex-M kernels ran, not the portable
        # per-op counts add up to the inference (the hooks cost a few instructions per op)
        assert 0.97 * r["instructions"] <= sum(r["op_instructions"]) <= r["instructions"]


def _odd_channels_model() -> bytes:
    """Channel counts that are no multiple of the Cortex-M kernels' tiles (2, 4, 16): partial GEMM
    tiles, predicated Helium tails, the DSP depthwise's leftover channels, FC's single rounding."""
    import _opmodels as om
    tf = om._tf()
    rng = np.random.default_rng(3)
    w1, wd, w2, wf = (om.rand_w(rng, 3, 3, 5, 13), om.rand_w(rng, 3, 3, 13, 1), om.rand_w(rng, 1, 1, 13, 7),
                      om.rand_w(rng, 7 * 5 * 5, 33, scale=0.1))

    def fn(x):
        y = tf.nn.relu(tf.nn.conv2d(x, w1, 2, "SAME"))
        y = tf.nn.relu6(tf.nn.depthwise_conv2d(y, wd, [1, 1, 1, 1], "SAME"))
        y = tf.nn.conv2d(y, w2, 1, "VALID")
        return tf.matmul(tf.reshape(y, [1, -1]), wf)
    return om.convert(fn, [(1, 10, 9, 5)])


@pytest.mark.parametrize("bname", QEMU_BOARDS)
def test_odd_channel_counts_are_bit_exact_on_the_cortex_m_kernels(bname, tmp_path):
    m = _odd_channels_model()
    r = _run_on_board(m, bname, tmp_path, samples=3)
    assert r["mismatches"] == 0, f"{r['mismatches']} output bytes differ on {bname}"


@pytest.mark.parametrize("bname", QEMU_BOARDS)
def test_instruction_counting_is_exact_under_icount(bname, tmp_path):
    from edgeq.mcu.qemu import QemuBoard, instructions
    from edgeq.mcu.session import FirmwareSession
    from edgeq.mcu.firmware import compile_and_build
    cm, fw = compile_and_build(_mcu.tiny_model("autoencoder"), board(bname), tmp_path)
    with QemuBoard(board(bname), fw.elf) as q, FirmwareSession(q.uri) as s:
        hz = s.info().timer_hz
        for loops in (100_000, 1_000_000):
            n = instructions(s.calibrate(loops), hz)
            assert abs(n - 2 * loops) <= 64, (loops, n)  # a 2-instruction loop, to the timer's 40-insn grain


def test_protocol_errors_name_the_problem(tmp_path):
    from edgeq.mcu.firmware import compile_and_build
    from edgeq.mcu.qemu import QemuBoard
    from edgeq.mcu.session import FirmwareSession
    import _opmodels as om
    m = om.convert(*om.mlp())  # a few KB: 'model load' streams the whole file in 31-byte commands
    cm, fw = compile_and_build(m, board("mps2-an386"), tmp_path)
    with QemuBoard(board("mps2-an386"), fw.elf) as q, FirmwareSession(q.uri) as s:
        with pytest.raises(EdgeqError, match="input has 5 bytes, the model needs 256"):
            s.link.command("db load 5")
        with pytest.raises(EdgeqError, match="no input loaded"):
            s.link.command("infer 1 0")
        with pytest.raises(EdgeqError, match="runs another model"):
            s.load_model(m[:-1] + bytes([m[-1] ^ 1]))  # one bit off
        lines = s.load_model(m)  # the compiled-in model: accepted, arena reported
        assert f"m-model-ready-arena-{cm.plan.arena_bytes}-init-us-0" in lines
        with pytest.raises(EdgeqError, match="unknown command 'flash'"):
            s.link.command("flash")
        assert s.link.command("name") == ["m-name-dut-[edgeq-mps2-an386]"]  # still in step after errors


def test_edgeq_profile_on_mcu_device_compiles_boots_measures_and_checks(run_cli, tmp_path):
    m = tmp_path / "kws.tflite"
    m.write_bytes(_mcu.tiny_model("kws"))
    r = run_cli("profile", m, "--device", "mcu://mps3-an547", "-o", tmp_path / "rep", "--no-progress", "--json")
    assert r.code == 0, r.err
    dev = json.loads(r.out)["devices"][0]
    assert dev["status"] == "ok" and dev["emulated"] and "NOT hardware timings" in dev["notice"]
    c = dev["configs"][0]
    assert c["bit_exact"]["equal"] and c["bit_exact"]["output_bytes"] == 12
    assert c["instructions_per_inference"] > 0 and "icount" in c["note"]
    assert c["memory"]["arena_bytes"] == dev["compile"]["ram"]["arena_bytes"]
    ram = dev["compile"]["ram"]
    assert 200 < ram["stack_estimate_bytes"] < 8192 and dev["compile"]["flash"]["kernel_code_bytes"] > 1000
    ops = c["op_profile"]["nodes"]
    assert [o["op"] for o in ops][:2] == ["CONV_2D", "DEPTHWISE_CONV_2D"]
    assert 0.97 * c["instructions_per_inference"] <= sum(o["instructions"] for o in ops) <= \
        c["instructions_per_inference"]
    html = (tmp_path / "rep" / "report.html").read_text()
    assert "Per-op time: edgeq-aot/cortex-m55" in html and "edgeq compile planned" in html


def test_unsupported_op_fails_the_mcu_device_with_its_name(run_cli, tmp_path):
    import _opmodels as om
    tf = om._tf()
    m = tmp_path / "tanh.tflite"
    m.write_bytes(om.convert(lambda x: tf.math.tanh(x * 2.0) + 1.0, [(1, 16)]))
    r = run_cli("profile", m, "--device", "mcu://mps2-an386", "-o", tmp_path / "rep", "--no-progress")
    assert r.code != 0 and "TANH" in r.err and "Traceback" not in r.err


@pytest.mark.parametrize("bname,ram_top,flash", [("nucleo-h743zi", 0x24080000, (0x08000000, 2 << 20)),
                                                  ("nrf52840-dk", 0x20040000, (0, 1 << 20))])
def test_real_board_ports_build_with_a_valid_vector_table(demo, bname, ram_top, flash, tmp_path):
    from edgeq.mcu.firmware import compile_and_build
    cm, fw = compile_and_build(_mcu.demo_int8(demo), board(bname), tmp_path)
    assert cm.target == board(bname).target
    # the first two words of the image: initial stack pointer, reset handler (Thumb: odd)
    data = fw.elf.read_bytes()
    e_phoff, = struct.unpack_from("<I", data, 28)
    e_phentsize, e_phnum = struct.unpack_from("<HH", data, 42)
    segments = [struct.unpack_from("<II", data, e_phoff + i * e_phentsize + 4) for i in range(e_phnum)]
    p_offset = next(off for off, vaddr in segments if vaddr == flash[0])  # the image starts at the boot address
    sp, reset = struct.unpack_from("<II", data, p_offset)
    assert sp == ram_top
    assert reset & 1 and flash[0] <= reset < flash[0] + flash[1]
    assert fw.text_bytes < flash[1]


def test_lab_board_is_flashed_per_model_and_keeps_its_serial_port(run_cli, tmp_path):
    # edgeq lab's board without the rest of the lab: the emulated Cortex-M4 behind a pty, two models
    # profiled one after the other through the same port, each flashed through the control socket
    from edgeq.lab import board as lab_board
    rec = lab_board.start(tmp_path / "board.log")
    try:
        uri = f"mcu://{rec['board']}?port={rec['tty']}&lab={rec['control']}"
        for name in ("autoencoder", "kws"):
            m = tmp_path / f"{name}.tflite"
            m.write_bytes(_mcu.tiny_model(name))
            r = run_cli("profile", m, "--device", uri, "-o", tmp_path / name, "--no-progress", "--json")
            assert r.code == 0, r.err
            dev = json.loads(r.out)["devices"][0]
            assert dev["status"] == "ok" and dev["emulated"]
            assert dev["configs"][0]["bit_exact"]["equal"]
            assert dev["board"]["firmware"]["arena_bytes"] == dev["configs"][0]["memory"]["arena_bytes"]
    finally:
        lab_board.stop(rec)
    assert not Path(rec["control"]).exists()
