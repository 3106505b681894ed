"""The demo's report.html is readable (units, no raw floats or byte counts) and renders cleanly in Chromium."""
from __future__ import annotations

import importlib.util
import re

import edgeq
from edgeq.profiling.reporting.screenshot import layout_check, screenshot
from profiling_helpers import REPO
from test_report_browser import _keep, assert_clean

FAST = {"warmup_runs": 2, "warmup_min_secs": 0.05, "min_runs": 20, "min_secs": 0.1, "rounds": 2}


def _demo_main():
    spec = importlib.util.spec_from_file_location("demo_main", REPO / "apps" / "demo" / "main.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_demo_report_is_readable_in_chromium(demo, tmp_path):
    main = _demo_main()
    result = edgeq.convert(demo.keras_path, demo.calib, eval_data=demo.test)
    model = result.save(tmp_path / "digits_int8.tflite")
    import numpy as np
    with np.load(demo.test) as z:
        x = z["image"][:32]
    report = {"conversion": result.report, "engines": main.run_everywhere(result.model, x),
              "profile": main.profile_here(model, tmp_path / "profile", FAST)}
    page = tmp_path / "report.html"
    main.write_html(report, page)
    html = page.read_text()
    # what the old page showed: medians as 0.011366999999040672 and peak RSS as 56619008
    assert not re.search(r"\d\.\d{5,}", html), re.search(r"\d\.\d{5,}", html).group(0)
    assert not re.search(r">\d{6,}<", html)
    assert re.search(r"\d+(\.\d+)? (µs|ms)</td>", html) and " MiB</td>" in html and " KiB" in html
    assert "on builtin kernels" in html and "profile/report.html" in html
    check = layout_check(page)
    assert_clean(check, min_svgs=1)
    png = screenshot(page, tmp_path / "demo_report.png", height=check["height"])
    _keep(png)
