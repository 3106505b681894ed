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
    # a phone (390 px): tables scroll in their own box, the size chart scales down, the page never scrolls
    # sideways (main: 506 px wide, the chart's float32 label and the latency table's last column cut off)
    phone = layout_check(page, width=390)
    assert phone["errors"] == [] and phone["scroll_width"] <= phone["viewport"] and phone["overflowing"] == [], phone
    assert phone["clipped_text"] == [] and phone["empty_svgs"] == 0, phone


def _engines(**differing):
    names = ("litert-builtin", "litert-reference", "litert-default", "tflite-micro")
    return {"samples": 450, "baseline": "litert-builtin",
            "identical_to_baseline": {k: k not in differing for k in names},
            "max_abs_diff": {k: differing.get(k, 0) for k in names},
            "samples_differing": {k: 47 if k in differing else 0 for k in names}}


def test_demo_report_note_says_what_the_table_shows(tmp_path):
    # the page said "LiteRT's reference kernels round FULLY_CONNECTED differently" under a table in which they
    # agreed with the builtin kernels on every sample
    main = _demo_main()
    ev = {"float_accuracy": 0.982, "quant_accuracy": 0.982, "accuracy_drop_points": 0.0, "top1_agreement": 0.996,
          "sqnr_db": 37.7}
    report = {"conversion": {"evaluation": {"outputs": [ev], "samples": 450},
                             "sizes": {"float_tflite_bytes": 60000, "quant_bytes": 22000, "compression": 2.7},
                             "model": {"ops": []}},
              "engines": _engines(**{"litert-default": 17})}
    page = tmp_path / "report.html"
    main.write_html(report, page)
    html = page.read_text()
    assert "round FULLY_CONNECTED differently" not in html
    assert "TFLite Micro and LiteRT&#x27;s reference kernels agree with LiteRT&#x27;s builtin kernels bit for bit" in html
    # the table's figures, not 'a few steps' (the demo's XNNPACK differs by up to 13)
    assert "XNNPACK, which requantizes in float and so differs on 47 of 450 samples, by up to 17 steps" in html
    assert "450 test images." in html  # an evaluation that did not record its runtime: no empty parentheses
    # the accuracy figures came from LiteRT's default path (XNNPACK); the page did not say which kernels
    report["conversion"]["evaluation"]["runtime"] = {"runtime": "ai-edge-litert", "version": "2.3.0",
                                                     "resolver": "default", "path": "xnnpack"}
    main.write_html(report, page)
    assert ("450 test images (float and int8 run by ai-edge-litert 2.3.0 on XNNPACK, its default path)."
            in page.read_text())
    report["engines"] = _engines(**{"litert-reference": 1, "litert-default": 17})
    main.write_html(report, page)
    html = page.read_text()
    assert "round FULLY_CONNECTED differently" in html and "they differ on 47 of 450 samples, by up to 1 step;" in html
    assert "TFLite Micro agrees with" in html and "reference kernels agree" not in html
