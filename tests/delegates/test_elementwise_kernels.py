"""The elementwise kernel families' SIMD variants against their scalar references, byte for byte:
natively (AVX2 / AVX-512 where the host has them) and for aarch64 NEON under qemu. Built and run for real."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
KERNELS_DIR = REPO / "delegates" / "kernels"
TOOLCHAIN = REPO / "delegates" / "cmake" / "aarch64-linux-gnu.cmake"
HOST_FLAGS = Path("/proc/cpuinfo").read_text().split("flags", 1)[1].split("\n", 1)[0].split()


def _build(build_dir: Path, exe: str, *extra: str) -> Path:
    for cmd in (["cmake", "-S", str(KERNELS_DIR), "-B", str(build_dir), "-DEDGEQ_KERNELS_BUILD_TESTS=ON", *extra],
                ["cmake", "--build", str(build_dir), "-j2", "--target", exe]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return build_dir / exe


def _rows(cmd: list[str]) -> dict[str, tuple[int, int]]:
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    rows = {m[0]: (int(m[1]), int(m[2])) for m in re.findall(r"isa=(\w+) cases=\d+ outputs=(\d+) mismatches=(\d+)",
                                                               r.stdout)}
    assert r.returncode == (1 if any(bad for _, bad in rows.values()) else 0), r.stdout + r.stderr
    return rows


def test_mul_x86_variants_match_scalar(tmp_path):
    rows = _rows([str(_build(tmp_path / "k", "qs8-vmul-test")), "400"])
    avx512 = {"avx512f", "avx512bw", "avx512vl"} <= set(HOST_FLAGS)
    assert set(rows) == ({"avx2"} if "avx2" in HOST_FLAGS else set()) | ({"avx512"} if avx512 else set())
    for isa, (outputs, bad) in rows.items():
        assert outputs > 100_000 and bad == 0, (isa, outputs, bad)


def test_mul_neon_matches_scalar_under_qemu(tmp_path):
    exe = _build(tmp_path / "k_a64", "qs8-vmul-test", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}",
                 "-DCMAKE_EXE_LINKER_FLAGS=-static")
    assert exe.read_bytes()[18:20] == b"\xb7\x00"  # EM_AARCH64
    rows = _rows(["qemu-aarch64-static", "-cpu", "cortex-a72", str(exe), "400"])
    assert set(rows) == {"neon"} and rows["neon"][0] > 100_000 and rows["neon"][1] == 0, rows


def test_prelu_x86_variants_match_scalar(tmp_path):
    rows = _rows([str(_build(tmp_path / "k", "qs8-vprelu-test")), "400"])
    avx512 = {"avx512f", "avx512bw", "avx512vl"} <= set(HOST_FLAGS)
    assert set(rows) == ({"avx2"} if "avx2" in HOST_FLAGS else set()) | ({"avx512"} if avx512 else set())
    for isa, (outputs, bad) in rows.items():
        assert outputs > 100_000 and bad == 0, (isa, outputs, bad)


def test_prelu_neon_matches_scalar_under_qemu(tmp_path):
    exe = _build(tmp_path / "k_a64", "qs8-vprelu-test", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}",
                 "-DCMAKE_EXE_LINKER_FLAGS=-static")
    assert exe.read_bytes()[18:20] == b"\xb7\x00"  # EM_AARCH64
    rows = _rows(["qemu-aarch64-static", "-cpu", "cortex-a72", str(exe), "400"])
    assert set(rows) == {"neon"} and rows["neon"][0] > 100_000 and rows["neon"][1] == 0, rows


def test_bilinear_rows_match_resize_bilinear_integer(tmp_path):
    rows = _rows([str(_build(tmp_path / "k", "s8-ibilinear-test")), "400"])
    assert set(rows) == {"portable"} and rows["portable"][0] > 100_000 and rows["portable"][1] == 0, rows


def test_bilinear_rows_neon_match_under_qemu(tmp_path):
    exe = _build(tmp_path / "k_a64", "s8-ibilinear-test", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}",
                 "-DCMAKE_EXE_LINKER_FLAGS=-static")
    rows = _rows(["qemu-aarch64-static", "-cpu", "cortex-a72", str(exe), "400"])
    assert set(rows) == {"neon"} and rows["neon"][0] > 100_000 and rows["neon"][1] == 0, rows


def test_softmax_table_variants_match_reference_arithmetic(tmp_path):
    rows = _rows([str(_build(tmp_path / "k", "qs8-softmax-test")), "600"])
    assert set(rows) == ({"scalar", "avx2"} if "avx2" in HOST_FLAGS else {"scalar"})
    for isa, (outputs, bad) in rows.items():
        assert outputs > 100_000 and bad == 0, (isa, outputs, bad)


def test_softmax_table_neon_matches_reference_arithmetic_under_qemu(tmp_path):
    exe = _build(tmp_path / "k_a64", "qs8-softmax-test", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}",
                 "-DCMAKE_EXE_LINKER_FLAGS=-static")
    rows = _rows(["qemu-aarch64-static", "-cpu", "cortex-a72", str(exe), "300"])
    assert set(rows) == {"scalar", "neon"} and all(o > 100_000 and b == 0 for o, b in rows.values()), rows


def test_lut_x86_variants_match_scalar(tmp_path):
    rows = _rows([str(_build(tmp_path / "k", "x8-lut-test")), "400"])
    vbmi = {"avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx512vbmi"} <= set(HOST_FLAGS)
    assert set(rows) == ({"avx2"} if "avx2" in HOST_FLAGS else set()) | ({"avx512vbmi"} if vbmi else set())
    for isa, (outputs, bad) in rows.items():
        assert outputs > 100_000 and bad == 0, (isa, outputs, bad)


def test_two_input_lut_gathers_match_scalar(tmp_path):
    rows = _rows([str(_build(tmp_path / "k", "x8-lut2d-test")), "300"])
    avx512 = {"avx512f", "avx512bw", "avx512vl"} <= set(HOST_FLAGS)
    assert set(rows) == ({"avx2"} if "avx2" in HOST_FLAGS else set()) | ({"avx512"} if avx512 else set())
    for isa, (outputs, bad) in rows.items():
        assert outputs > 80_000 and bad == 0, (isa, outputs, bad)


def test_lut_neon_matches_scalar_under_qemu(tmp_path):
    exe = _build(tmp_path / "k_a64", "x8-lut-test", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}",
                 "-DCMAKE_EXE_LINKER_FLAGS=-static")
    assert exe.read_bytes()[18:20] == b"\xb7\x00"  # EM_AARCH64
    rows = _rows(["qemu-aarch64-static", "-cpu", "cortex-a72", str(exe), "400"])
    assert set(rows) == {"neon"} and rows["neon"][0] > 100_000 and rows["neon"][1] == 0, rows


def test_mean_rows_avx512_matches_scalar(tmp_path):
    rows = _rows([str(_build(tmp_path / "k", "qs8-mean-test")), "600"])
    avx512 = {"avx512f", "avx512bw", "avx512vl"} <= set(HOST_FLAGS)
    assert set(rows) == ({"avx512"} if avx512 else set())
    for isa, (outputs, bad) in rows.items():
        assert outputs > 30_000 and bad == 0, (isa, outputs, bad)


def test_maxpool_taps_x86_variants_match_scalar(tmp_path):
    rows = _rows([str(_build(tmp_path / "k", "s8-maxpool-taps-test")), "500"])
    avx512 = {"avx512f", "avx512bw", "avx512vl"} <= set(HOST_FLAGS)
    assert set(rows) == ({"avx2"} if "avx2" in HOST_FLAGS else set()) | ({"avx512"} if avx512 else set())
    for isa, (outputs, bad) in rows.items():
        assert outputs > 50_000 and bad == 0, (isa, outputs, bad)


def test_mean_rows_neon_matches_scalar_under_qemu(tmp_path):
    exe = _build(tmp_path / "k_a64", "qs8-mean-test", f"-DCMAKE_TOOLCHAIN_FILE={TOOLCHAIN}",
                 "-DCMAKE_EXE_LINKER_FLAGS=-static")
    assert exe.read_bytes()[18:20] == b"\xb7\x00"  # EM_AARCH64
    rows = _rows(["qemu-aarch64-static", "-cpu", "cortex-a72", str(exe), "600"])
    assert set(rows) == {"neon"} and rows["neon"][0] > 30_000 and rows["neon"][1] == 0, rows


def test_mean_row_split_matches_whole_block(tmp_path):
    # threads cut squeeze-excite's tall, narrow MEANs into row ranges summed apart and added up
    exe = _build(tmp_path / "k", "qs8-mean-test")
    r = subprocess.run([str(exe), "600"], capture_output=True, text=True, timeout=300)
    m = re.search(r"row split cases=\d+ outputs=(\d+) mismatches=(\d+)", r.stdout)
    assert m and int(m[1]) > 10_000 and int(m[2]) == 0 and r.returncode == 0, r.stdout + r.stderr
