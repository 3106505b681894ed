"""Compare a profile with a baseline profile and gate on regressions (``--baseline``, ``--fail-if``).

Configurations are matched by device name and configuration label. For latency statistics the
change comes with a 95 % confidence interval from a **moving-block bootstrap** over the kept
samples of both runs: each side is resampled in contiguous blocks (length ≈ n^⅓), the statistic
the gate names (median, p90, …) is recomputed on each resample, and the 2.5th/97.5th percentiles
of the resampled changes bound the change.

Why a bootstrap of the named statistic and not Mann-Whitney U: a gate speaks of one statistic
(``p90>+10%``), and the bootstrap answers in that statistic's own units, with an interval a reader
can compare to the threshold; Mann-Whitney tests whether one run is *stochastically* slower, says
nothing about p90 or by how much, and with the thousands of samples a profile keeps it calls
shifts of a fraction of a percent significant. Blocks rather than single samples because
consecutive latencies are correlated (frequency and thermal drift, neighbours on the machine):
resampling them one by one would make the interval too narrow.

A gate is crossed when the change exceeds its threshold **and** the interval excludes no change
(the slowdown is real, not noise). Single-valued figures (load time, peak RSS, energy per inference)
have no samples: their gates compare the two values directly.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ...errors import EdgeqError
from . import units

#: latency statistics computed from the steady-state samples (ms)
SAMPLE_METRICS = {"median": 50.0, "p50": 50.0, "p5": 5.0, "p90": 90.0, "p95": 95.0, "p99": 99.0, "mean": None}
#: single-valued figures: metric → (how to read it from a configuration, unit kind)
SCALAR_METRICS = {
    "load": (lambda c: c.get("load_ms"), "ms"),
    "first": (lambda c: c.get("first_inference_ms"), "ms"),
    "rss": (lambda c: (c.get("memory") or {}).get("peak_rss_bytes"), "bytes"),
    "pss": (lambda c: (c.get("memory") or {}).get("pss_bytes"), "bytes"),
    "energy": (lambda c: (c.get("energy") or {}).get("energy_per_inference_uj"), "uj"),
}
#: shown in the comparison table for every matched configuration
SHOWN = ("median", "p90", "p99")
#: a unit given in an absolute gate → factor to the metric's stored unit (ms, bytes, µJ)
_ABS_UNITS = {"ms": ("ms", 1.0), "us": ("ms", 1e-3), "µs": ("ms", 1e-3), "ns": ("ms", 1e-6), "s": ("ms", 1e3),
              "b": ("bytes", 1), "kib": ("bytes", 1024), "mib": ("bytes", 1024 ** 2),
              "uj": ("uj", 1.0), "µj": ("uj", 1.0), "mj": ("uj", 1e3), "j": ("uj", 1e6)}
_GATE = re.compile(r"^\s*(?P<metric>[a-z0-9_]+)\s*>\s*\+?\s*(?P<value>\d+(?:\.\d*)?)\s*(?P<unit>%|[a-zµ]+)\s*$",
                   re.IGNORECASE)
BOOTSTRAP_RESAMPLES = 1000
#: longer runs are thinned to this many samples (every k-th, order kept) before resampling: 1000 resamples
#: of 10000 keep a comparison of a few configurations to seconds
MAX_SAMPLES = 10000
CONFIDENCE = 0.95
METHOD = ("95 % confidence interval of the change from a moving-block bootstrap (1000 resamples, blocks of "
          "≈ n^⅓ consecutive samples) over the kept steady-state samples of both runs; a gate is crossed when "
          "the change exceeds its threshold and the interval excludes no change")


class GateCrossed(EdgeqError):
    """A ``--fail-if`` gate was crossed: the profile is slower (or bigger) than the baseline allows."""

    exit_code = 3


@dataclass(frozen=True)
class Gate:
    """``metric > +threshold`` (relative when ``relative``, else in the metric's stored unit)."""

    text: str
    metric: str
    threshold: float
    relative: bool

    def as_dict(self) -> dict:
        return {"text": self.text, "metric": self.metric, "threshold": self.threshold, "relative": self.relative}


def parse_gate(text: str) -> Gate:
    """``'p90>+10%'``, ``'median>+0.5ms'``, ``'rss>+5%'``, ``'energy>+2mJ'`` → a Gate; EdgeqError otherwise."""
    m = _GATE.match(text)
    metrics = ", ".join([*SAMPLE_METRICS, *SCALAR_METRICS])
    if not m:
        raise EdgeqError(f"--fail-if '{text}' is not a gate: write METRIC>+N% or METRIC>+N UNIT, e.g. 'p90>+10%' "
                         f"or 'median>+0.5ms' (metrics: {metrics})")
    metric, value, unit = m.group("metric").lower(), float(m.group("value")), m.group("unit")
    if metric not in SAMPLE_METRICS and metric not in SCALAR_METRICS:
        raise EdgeqError(f"--fail-if '{text}': unknown metric '{metric}': choose from {metrics}")
    if unit == "%":
        return Gate(text, metric, value / 100.0, True)
    kind = SCALAR_METRICS[metric][1] if metric in SCALAR_METRICS else "ms"
    u = _ABS_UNITS.get(unit.lower())
    if not u or u[0] != kind:
        allowed = ", ".join(k for k, (kk, _) in _ABS_UNITS.items() if kk == kind)
        raise EdgeqError(f"--fail-if '{text}': '{unit}' is not a unit of {metric}: use % or one of {allowed}")
    return Gate(text, metric, value * u[1], False)


def load_baseline(path: str | Path) -> dict:
    """A profile.json written by edgeq profile; EdgeqError with the fix otherwise."""
    p = Path(path)
    if p.is_dir():
        p = p / "profile.json"
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise EdgeqError(f"--baseline '{path}' not found: give the profile.json (or its folder) of an earlier "
                         "edgeq profile run") from None
    except (OSError, ValueError) as e:
        raise EdgeqError(f"--baseline '{path}' is not readable JSON ({e}): give a profile.json written by "
                         "edgeq profile") from None
    if not isinstance(data, dict) or "edgeq_profile" not in data or not isinstance(data.get("devices"), list):
        raise EdgeqError(f"--baseline '{path}' is not an edgeq profile (no edgeq_profile/devices keys): give a "
                         "profile.json written by edgeq profile")
    data["_path"] = str(p)
    return data


def statistic(x: np.ndarray, metric: str) -> np.ndarray:
    """The metric of each row of ``x`` (or of the 1-D ``x``), percentiles interpolated as the profile's."""
    q = SAMPLE_METRICS[metric]
    return x.mean(axis=-1) if q is None else np.percentile(x, q, axis=-1)


def _thin(x: np.ndarray) -> np.ndarray:
    step = math.ceil(len(x) / MAX_SAMPLES)
    return x[::step] if step > 1 else x


def _block_resamples(x: np.ndarray, metrics: list[str], rng: np.random.Generator, b: int) -> dict[str, np.ndarray]:
    """``b`` moving-block bootstrap replicates of each metric over the series ``x`` (one resample serves all)."""
    n = len(x)
    block = max(1, round(n ** (1 / 3)))
    k = math.ceil(n / block)
    out = {m: np.empty(b) for m in metrics}
    qs = sorted({q for q in (SAMPLE_METRICS[m] for m in metrics) if q is not None})
    chunk = max(1, 2_000_000 // (k * block))
    for s in range(0, b, chunk):
        m = min(chunk, b - s)
        starts = rng.integers(0, n - block + 1, size=(m, k))
        rows = x[(starts[:, :, None] + np.arange(block)).reshape(m, k * block)[:, :n]]
        pct = np.percentile(rows, qs, axis=1) if qs else None
        for metric in metrics:
            q = SAMPLE_METRICS[metric]
            out[metric][s:s + m] = rows.mean(axis=1) if q is None else pct[qs.index(q)]
    return out


def change_ci(base: list[float], cur: list[float], metric: str, seed: int = 0) -> dict:
    """Point estimates and bootstrap intervals of the absolute (ms) and relative change of ``metric``."""
    return changes_ci(base, cur, [metric], seed)[metric]


def changes_ci(base: list[float], cur: list[float], metrics: list[str], seed: int = 0) -> dict[str, dict]:
    """:func:`change_ci` for several metrics, all from the same resamples."""
    a, c = _thin(np.asarray(base, float)), _thin(np.asarray(cur, float))
    rng = np.random.default_rng(seed)
    ra = _block_resamples(a, metrics, rng, BOOTSTRAP_RESAMPLES)
    rc = _block_resamples(c, metrics, rng, BOOTSTRAP_RESAMPLES)
    lo_q, hi_q = (1 - CONFIDENCE) / 2 * 100, (1 + CONFIDENCE) / 2 * 100
    out = {}
    for metric in metrics:
        ea, ec = float(statistic(a, metric)), float(statistic(c, metric))
        diff = rc[metric] - ra[metric]
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = rc[metric] / ra[metric] - 1.0
        lo, hi = float(np.percentile(diff, lo_q)), float(np.percentile(diff, hi_q))
        out[metric] = {"base": ea, "current": ec, "delta": ec - ea, "relative": ec / ea - 1.0 if ea else None,
                       "delta_ci": [lo, hi],
                       "relative_ci": [float(np.nanpercentile(rel, lo_q)), float(np.nanpercentile(rel, hi_q))],
                       "significant": bool(lo > 0 or hi < 0)}
    return out


def box_stats(samples: list[float]) -> list[float] | None:
    """p5, p25, median, p75, p95 of samples: what the side-by-side box plot draws of the baseline."""
    if not samples:
        return None
    return [float(v) for v in np.percentile(np.asarray(samples, float), [5, 25, 50, 75, 95])]


def _configs(report: dict) -> dict[tuple[str, str], dict]:
    out = {}
    for d in report.get("devices") or []:
        if not d:
            continue
        for c in d.get("configs") or []:
            if c.get("label"):
                out[(d["device"]["name"], c["label"])] = c
    return out


def _match(cur: dict, base: dict) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """(current key, baseline key) pairs: same device and label; one device each side matches by label."""
    pairs = [(k, k) for k in cur if k in base]
    cur_devs, base_devs = {k[0] for k in cur}, {k[0] for k in base}
    if not pairs and len(cur_devs) == 1 and len(base_devs) == 1:
        (bd,) = base_devs
        pairs = [(k, (bd, k[1])) for k in cur if (bd, k[1]) in base]
    return pairs


def _gate_value(g: Gate, c: dict, b: dict, ci: dict | None) -> dict:
    """Evaluate one gate on one matched configuration."""
    if g.metric in SAMPLE_METRICS:
        if ci is None:
            return {"evaluated": False, "why": "no steady-state samples on one side"}
        change = ci["relative"] if g.relative else ci["delta"]
        bound = ci["relative_ci"] if g.relative else ci["delta_ci"]
        crossed = change is not None and change > g.threshold and ci["significant"] and bound[0] > 0
        return {"evaluated": True, "base": ci["base"], "current": ci["current"], "change": change, "ci": bound,
                "significant": ci["significant"], "crossed": bool(crossed)}
    read, _ = SCALAR_METRICS[g.metric]
    vb, vc = read(b), read(c)
    if vb is None or vc is None:
        return {"evaluated": False, "why": f"no {g.metric} figure on one side"}
    change = (vc / vb - 1.0 if vb else None) if g.relative else vc - vb
    return {"evaluated": True, "base": vb, "current": vc, "change": change, "ci": None, "significant": None,
            "crossed": bool(change is not None and change > g.threshold)}


def compare(report: dict, baseline: dict, gates: list[Gate] = ()) -> dict:
    """The comparison stored in profile.json under ``comparison`` (and drawn side by side in the HTML)."""
    cur, base = _configs(report), _configs(baseline)
    pairs = _match(cur, base)
    if not pairs:
        raise EdgeqError(f"--baseline {baseline.get('_path')}: no configuration matches this run (baseline has "
                         f"{', '.join(sorted(' · '.join(k) for k in base)) or 'none'}): profile the same devices, "
                         "delegates and threads")
    bm, cm = baseline.get("model") or {}, report.get("model") or {}
    rows, results = [], []
    for ck, bk in pairs:
        c, b = cur[ck], base[bk]
        cs = (c.get("steady") or {}).get("samples_ms") or []
        bs = (b.get("steady") or {}).get("samples_ms") or []
        cis: dict[str, dict] = {}
        needed = set(SHOWN) | {g.metric for g in gates if g.metric in SAMPLE_METRICS}
        if cs and bs:
            cis = changes_ci(bs, cs, sorted(needed))
        row = {"device": ck[0], "config": ck[1], "baseline_device": bk[0], "n": [len(bs), len(cs)],
               "changes": {m: cis[m] for m in SHOWN if m in cis},
               "baseline_box": box_stats(bs), "current_box": box_stats(cs),
               "scalars": {m: [read(b), read(c)] for m, (read, _) in SCALAR_METRICS.items()}}
        if c.get("error") or b.get("error"):
            row["error"] = c.get("error") or b.get("error")
        rows.append(row)
        for g in gates:
            results.append({"gate": g.text, "device": ck[0], "config": ck[1], **_gate_value(g, c, b, cis.get(g.metric))})
    unmatched = sorted(" · ".join(k) for k in set(cur) - {p[0] for p in pairs})
    missing = sorted(" · ".join(k) for k in set(base) - {p[1] for p in pairs})
    return {"baseline": {"path": baseline.get("_path"), "created": baseline.get("created"),
                         "model_sha256": bm.get("sha256"), "model_path": bm.get("path")},
            "same_model": bool(bm.get("sha256")) and bm.get("sha256") == cm.get("sha256"),
            "method": METHOD, "rows": rows, "gates": results, "gate_specs": [g.as_dict() for g in gates],
            "crossed": [r for r in results if r.get("crossed")],
            "only_in_current": unmatched, "only_in_baseline": missing}


def _fmt_change(metric: str, x: dict | None, relative: bool = True) -> str:
    if not x:
        return "—"
    if relative:
        lo, hi = x["relative_ci"]
        return f"{units.signed_percent(x['relative'])} (CI {units.signed_percent(lo)} … {units.signed_percent(hi)})"
    return units.duration_ms(x["delta"])


def format_value(metric: str, v: float | None) -> str:
    """A gate's or scalar's value in its unit."""
    if v is None:
        return "—"
    kind = SCALAR_METRICS[metric][1] if metric in SCALAR_METRICS else "ms"
    return {"ms": units.duration_ms, "bytes": units.size_bytes, "uj": units.energy_uj}[kind](v)


def format_gate_change(r: dict, relative: bool) -> str:
    """``+23.4 % (CI +20.1 % … +26.0 %)`` or an absolute change, for one evaluated gate result."""
    metric = r["gate"].split(">")[0].strip().lower()
    if relative:
        s = units.signed_percent(r["change"])
        if r.get("ci"):
            s += f" (CI {units.signed_percent(r['ci'][0])} … {units.signed_percent(r['ci'][1])})"
        return s
    sign = "+" if r["change"] >= 0 else "−"
    s = sign + format_value(metric, abs(r["change"]))
    if r.get("ci"):
        s += f" (CI {format_value(metric, r['ci'][0])} … {format_value(metric, r['ci'][1])})"
    return s


def summary_lines(cmp: dict) -> list[str]:
    """What the terminal shows of a comparison: per configuration the changes, then each gate's verdict."""
    b = cmp["baseline"]
    lines = [f"compared with {b['path']} ({b.get('created') or 'undated'}"
             f"{', same model' if cmp['same_model'] else ', a different model'})"]
    for r in cmp["rows"]:
        ch = r["changes"]
        parts = []
        for m in SHOWN:
            if m in ch:
                parts.append(f"{m} {units.duration_ms(ch[m]['base'])} → {units.duration_ms(ch[m]['current'])} "
                             f"{_fmt_change(m, ch[m])}")
        lines.append(f"  {r['device']} · {r['config']}: " + ("; ".join(parts) or "no samples to compare"))
    specs = {g["text"]: g for g in cmp.get("gate_specs") or []}
    for r in cmp["gates"]:
        where = f"{r['device']} · {r['config']}"
        if not r["evaluated"]:
            lines.append(f"  gate {r['gate']} on {where}: not evaluated ({r['why']})")
            continue
        verdict = "CROSSED" if r["crossed"] else "ok"
        if not r["crossed"] and r["significant"] is False:
            verdict += " (change not significant)"
        lines.append(f"  gate {r['gate']} on {where}: {format_gate_change(r, specs[r['gate']]['relative'])} → {verdict}")
    for k in cmp["only_in_current"]:
        lines.append(f"  {k}: not in the baseline")
    for k in cmp["only_in_baseline"]:
        lines.append(f"  {k}: in the baseline only")
    return lines
