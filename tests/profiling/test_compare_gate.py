"""Compare with a baseline and gate: the bootstrap interval, the gate grammar, and edgeq profile's exit status
on a deliberately slowed configuration (a bigger model) and on an unchanged one."""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from edgeq.errors import EdgeqError
from edgeq.profiling.cli import profile
from edgeq.profiling.reporting.compare import change_ci, compare, parse_gate
from profiling_helpers import FAST, build_int8_model


def _lognormal(n: int, median_ms: float, seed: int) -> list[float]:
    return list(np.random.default_rng(seed).lognormal(np.log(median_ms), 0.2, n))


def test_bootstrap_finds_a_real_shift_and_not_noise():
    base = _lognormal(3000, 1.0, 1)
    slower = _lognormal(3000, 1.2, 2)
    same = _lognormal(3000, 1.0, 3)
    up = change_ci(base, slower, "median")
    assert up["significant"] and up["relative_ci"][0] < 0.2 < up["relative_ci"][1]
    assert up["relative"] == pytest.approx(0.2, abs=0.03)
    assert up["delta_ci"][0] > 0.1  # in ms: the absolute interval agrees
    flat = change_ci(base, same, "p90")
    assert not flat["significant"] and flat["relative_ci"][0] < 0 < flat["relative_ci"][1]


def test_blocks_widen_the_interval_of_a_drifting_series():
    """Consecutive latencies are correlated; resampling them one by one would claim too much certainty."""
    rng = np.random.default_rng(5)
    x = np.empty(4000)
    x[0] = 0.0
    for i in range(1, len(x)):  # AR(1) drift around 1 ms
        x[i] = 0.98 * x[i - 1] + rng.normal(0, 0.02)
    drift = list(1.0 + x)
    shuffled = list(rng.permutation(drift))
    other = list(1.0 + rng.permutation(x))
    w_drift = np.diff(change_ci(drift, other, "median")["delta_ci"])[0]
    w_iid = np.diff(change_ci(shuffled, other, "median")["delta_ci"])[0]
    assert w_drift > 1.5 * w_iid


@pytest.mark.parametrize("text, metric, threshold, relative", [
    ("p90>+10%", "p90", 0.10, True), ("median > 0.5 ms", "median", 0.5, False), ("p99>+250us", "p99", 0.25, False),
    ("rss>+5%", "rss", 0.05, True), ("rss>+2MiB", "rss", 2 * 2 ** 20, False), ("energy>+1mJ", "energy", 1000, False)])
def test_gate_grammar(text, metric, threshold, relative):
    g = parse_gate(text)
    assert (g.metric, g.relative) == (metric, relative) and g.threshold == pytest.approx(threshold)


@pytest.mark.parametrize("text, says", [("p90<10%", "is not a gate"), ("p42>+10%", "unknown metric 'p42'"),
                                        ("rss>+3ms", "not a unit of rss"), ("p90>+10", "is not a gate")])
def test_bad_gates_say_how_to_write_one(text, says):
    with pytest.raises(EdgeqError, match=says):
        parse_gate(text)


def _report(samples: dict[str, list[float]], sha: str = "a") -> dict:
    return {"edgeq_profile": 1, "model": {"sha256": sha}, "devices": [{"device": {"name": "dev"}, "configs": [
        {"label": k, "steady": {"samples_ms": v}, "memory": {"peak_rss_bytes": 1000}} for k, v in samples.items()]}]}


def test_gate_needs_both_the_threshold_and_significance():
    base = _report({"a": _lognormal(2000, 1.0, 1), "b": _lognormal(2000, 1.0, 2)})
    cur = _report({"a": _lognormal(2000, 1.15, 3), "b": _lognormal(2000, 1.05, 4)})
    cmp = compare(cur, base, [parse_gate("median>+10%")])
    verdict = {r["config"]: r["crossed"] for r in cmp["gates"]}
    assert verdict == {"a": True, "b": False}  # +15 % crosses, +5 % (significant, but under) does not
    assert cmp["same_model"]
    # nothing in common: one line that says what to do
    with pytest.raises(EdgeqError, match="no configuration matches"):
        compare(_report({"c": [1.0]}), _report({"d": [1.0]}), [])


def test_profile_gate_fails_on_a_bigger_model_and_passes_unchanged(tiny_model, tmp_path):
    """The same configuration profiled three times: the baseline, unchanged, and on a model 16x wider."""
    big = build_int8_model(tmp_path / "wide_int8.tflite", width=128)
    run = lambda model, out, *extra: CliRunner().invoke(  # noqa: E731
        profile, [str(model), "-d", "local", "--delegate", "none", "-o", str(tmp_path / out), "--no-memory",
                  "--min-runs", "200", *extra, *FAST])
    r = run(tiny_model, "base")
    assert r.exit_code == 0, r.output
    gate = ["--baseline", str(tmp_path / "base"), "--fail-if", "median>+50%"]
    r = run(tiny_model, "same", *gate)
    assert r.exit_code == 0, r.output
    assert "gate median>+50% on local · none/t1" in r.output and "→ ok" in r.output
    r = run(big, "slow", *gate)
    assert r.exit_code == 3, r.output
    assert "regression gate crossed: median>+50% on local · none/t1" in r.output and "Traceback" not in r.output
    rep = json.loads((tmp_path / "slow" / "profile.json").read_text())  # the measurement is kept
    cmp = rep["comparison"]
    assert not cmp["same_model"] and cmp["crossed"][0]["change"] > 0.5 and cmp["crossed"][0]["ci"][0] > 0.5
    html = (tmp_path / "slow" / "report.html").read_text()
    assert "Compared with the baseline" in html and "CROSSED" in html and "a different model" in html
    # a gate without a baseline, and a baseline that is not a profile: one line, nothing measured
    r = run(tiny_model, "x", "--fail-if", "p90>+10%")
    assert r.exit_code == 2 and "needs --baseline" in r.output
    (tmp_path / "junk.json").write_text("{}")
    r = run(tiny_model, "x", "--baseline", str(tmp_path / "junk.json"))
    assert r.exit_code == 2 and "not an edgeq profile" in r.output and not (tmp_path / "x").exists()
