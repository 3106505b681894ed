"""The files of a profile run: ``profile.json`` (the whole report) and ``report.html``, each written atomically."""
from __future__ import annotations

import json
import os
from pathlib import Path

from ...atomic import write_files_atomic
from ...errors import EdgeqError
from .html_report import render_html


def write_report(report: dict, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """``profile.json`` and ``report.html`` in ``out_dir``, each written atomically."""
    d = Path(out_dir)
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise EdgeqError(f"cannot create report folder '{d}' ({e.strerror}): choose a writable -o") from None
    jpath, hpath = d / "profile.json", d / "report.html"
    write_files_atomic({jpath: json.dumps(report, indent=1, default=str).encode(),
                        hpath: render_html(report).encode()})
    return jpath, hpath
