"""Outputs appear whole and together or not at all: the multi-file writer failed at each of its steps, and the
CLI on a real full disk and a real read-only filesystem (tmpfs mounts)."""
from __future__ import annotations

import errno
import os
import subprocess
import tempfile

import pytest

from edgeq import atomic
from edgeq.errors import EdgeqError

OLD = {"a.tflite": b"old model", "c.json": b"old report"}
NEW = {"a.tflite": b"new model" * 100, "b.manifest.json": b"new manifest", "c.json": b"new report"}


def _state(d):
    return {p: (d / p).read_bytes() for p in sorted(os.listdir(d))}


def _fail_nth(monkeypatch, module, name, n, exc):
    real = getattr(module, name)
    calls = [0]

    def wrapped(*a, **k):
        calls[0] += 1
        if calls[0] == n:
            raise exc
        return real(*a, **k)
    monkeypatch.setattr(module, name, wrapped)


@pytest.mark.parametrize("exc", [OSError(errno.ENOSPC, "No space left on device"), KeyboardInterrupt()],
                         ids=["ENOSPC", "Ctrl-C"])
@pytest.mark.parametrize("step", [("tempfile", "mkstemp"), ("os", "fsync"), ("os", "chmod"), ("os", "replace")])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_a_failure_at_any_step_changes_nothing(tmp_path, monkeypatch, step, n, exc):
    for name, data in OLD.items():
        (tmp_path / name).write_bytes(data)
    before = _state(tmp_path)
    _fail_nth(monkeypatch, tempfile if step[0] == "tempfile" else os, step[1], n, exc)
    with pytest.raises(KeyboardInterrupt if isinstance(exc, KeyboardInterrupt) else EdgeqError) as e:
        atomic.write_files_atomic({tmp_path / k: v for k, v in NEW.items()})
    monkeypatch.undo()
    assert _state(tmp_path) == before  # old files intact, nothing new, no temp or backup file
    if isinstance(exc, OSError):
        assert "no space left" in str(e.value)


def test_success_replaces_every_file_and_leaves_nothing_else(tmp_path):
    for name, data in OLD.items():
        (tmp_path / name).write_bytes(data)
    atomic.write_files_atomic({tmp_path / k: v for k, v in NEW.items()})
    assert _state(tmp_path) == NEW


@pytest.fixture
def tmpfs(tmp_path):
    """Mount a small tmpfs (root only): ``tmpfs(opts)`` returns its folder; unmounted afterwards."""
    mounted = []

    def mount(opts: str):
        d = tmp_path / f"fs{len(mounted)}"
        d.mkdir()
        p = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(d)], capture_output=True, text=True)
        if p.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here ({p.stderr.strip()}): needs root")
        mounted.append(d)
        return d
    yield mount
    for d in mounted:
        subprocess.run(["umount", str(d)], capture_output=True)


def _one_line(res, *words):
    assert res.code == 2 and "Traceback" not in res.err + res.out, res.err
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert lines and lines[-1].startswith("edgeq: error: "), res.err
    for w in words:
        assert w in lines[-1], (w, res.err)


def test_convert_onto_a_full_disk_writes_nothing(run_cli, tiny, tmpfs):
    d = tmpfs("size=4k")  # one page: the model does not fit, the manifest would
    res = run_cli("convert", tiny.keras, "--data", tiny.calib, "-o", d / "m.tflite", "--calibration", "minmax")
    _one_line(res, "no space left")
    assert os.listdir(d) == []  # no model, no orphan manifest, no temp file


def test_convert_onto_a_read_only_filesystem_fails_before_converting(run_cli, tiny, tmpfs):
    d = tmpfs("ro,size=64k")
    res = run_cli("convert", tiny.keras, "--data", tiny.calib, "-o", d / "m.tflite")
    _one_line(res, "not writable")
    assert "ops:" not in res.out  # refused before the conversion ran


def test_a_failing_report_path_leaves_no_model(run_cli, tiny, tmp_path, tmpfs):
    out = tmp_path / "out"
    out.mkdir()
    full = tmpfs("size=4k")
    (full / "filler").write_bytes(b"\0" * 4096)
    res = run_cli("convert", tiny.keras, "--data", tiny.calib, "-o", out / "m.tflite", "--report", full / "r.json",
                  "--calibration", "minmax")
    _one_line(res, "no space left")
    assert os.listdir(out) == [] and os.listdir(full) == ["filler"]


def test_profile_onto_a_read_only_filesystem_is_one_line(run_cli, tiny, tmpfs):
    # a real model: edgeq profile refuses a damaged one before it looks at the report folder
    d = tmpfs("ro,size=64k")
    res = run_cli("profile", tiny.float_tflite, "-d", "local", "-o", d / "rep", "--no-progress")
    # refused before measuring (main measured every configuration, then lost the figures failing to write the
    # first report: 'cannot create report folder ... (Read-only file system)')
    _one_line(res, f"-o folder '{d}' is not writable")
    assert os.listdir(d) == [] and res.out == ""
    f = d.parent / "afile"  # a file as -o, or in its path
    f.write_text("")
    for out, want in ((f, "is a file: give a folder"), (f / "sub", "afile' is a file, not a folder")):
        res = run_cli("profile", tiny.float_tflite, "-d", "local", "-o", out, "--no-progress")
        _one_line(res, want)
        assert res.out == ""

