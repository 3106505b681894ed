"""Click commands ``profile`` and ``devices`` (registered by the main ``edgeq`` group)."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from concurrent.futures import ThreadPoolExecutor

import click

from .. import opencl_probe
from ..errors import EdgeqError
from ..runtime import parse_delegate_options
from .devices import Device, list_profiles, resolve_device
from .errors import DeviceError
from .links import open_link, uri_usage
from .ondevice.measure import DELEGATES
from .profile import DEFAULT_OPTIONS, RESERVED_DELEGATE_OPTIONS, Interrupted, run_profile
from .reporting.compare import GateCrossed, compare, load_baseline, parse_gate
from .reporting.compare import summary_lines as compare_lines
from .reporting.report_files import write_report
from .reporting.terminal import summary_lines


def _fail(e: EdgeqError, as_json: bool = False) -> None:
    """One line on stderr and the error's exit status; with ``as_json`` (nothing printed on stdout yet) also the
    ``{"error", "kind"}`` document every other command prints on stdout for --json."""
    if as_json:
        from ..report import to_json
        click.echo(to_json({"error": str(e), "kind": type(e).__name__}))
    click.echo(f"edgeq: error: {e}", err=True)
    sys.exit(e.exit_code)


#: what every configuration entry holds, measured or not
_CONFIG_HEAD = {"config", "label", "error", "incomplete"}


def measured(report: dict) -> bool:
    """Whether any configuration of any device delivered a figure. A run that delivered none (a device that
    cannot be reached, a fit check that failed, Ctrl-C before the first configuration) writes no report: an
    empty profile.json and report.html beside the error would only stand in for an earlier run's."""
    return any(set(c) - _CONFIG_HEAD for d in report["devices"] for c in d.get("configs") or [])


def _check_out_dir(out_dir) -> None:
    """-o refused before measuring (minutes on a device), not when the first configuration's report is written:
    a file in the way, or a read-only / not writable folder where the report folder would go."""
    import os
    d = Path(out_dir)
    if d.exists() and not d.is_dir():
        raise EdgeqError(f"-o {out_dir} is a file: give a folder for profile.json and report.html")
    probe = d
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if not probe.is_dir():
        raise EdgeqError(f"-o {out_dir}: '{probe}' is a file, not a folder: choose another -o path")
    if not os.access(probe, os.W_OK):
        raise EdgeqError(f"-o folder '{probe}' is not writable (read-only or no permission): choose another -o path")


def _write_measured(report: dict, out_dir, streamed: set) -> None:
    if measured(report):
        streamed.update(write_report(report, out_dir))


def _unstream(streamed: set, made_dir=None) -> None:
    """Remove what this run streamed when its end shows nothing measured (a gpu configuration timed before its
    placement said the delegate had no OpenCL device): no report, as for any run that measured nothing; and the
    report folder if this run made it and it is empty."""
    for path in streamed:
        try:
            path.unlink()
        except OSError:
            pass
    if made_dir is not None:
        try:
            Path(made_dir).rmdir()
        except OSError:
            pass


@click.command("profile")
@click.argument("model", type=click.Path())
@click.option("--device", "-d", "devices", multiple=True, required=True, metavar="DEVICE",
              help=f"Profile name (edgeq devices), NAME@URI, or a URI: {uri_usage()}. Repeatable; devices run "
                   "in parallel.")
@click.option("--delegate", "delegates", multiple=True, default=("xnnpack",), show_default=True,
              type=click.Choice(list(DELEGATES)), help="Repeatable: configurations are "
              "delegates × threads, interleaved in seeded shuffled order.")
@click.option("--delegate-option", "delegate_options", multiple=True, metavar="KEY=VALUE",
              help="An option of edgeq's cpu and gpu delegates (delegates/README.md), e.g. ops=CONV_2D,ADD; "
                   "gpu:KEY=VALUE or cpu:KEY=VALUE for one of them, e.g. gpu:platform=Portable to run the gpu "
                   "delegate on PoCL's CPU device. Repeatable.")
@click.option("--threads", "threads", multiple=True, type=int, default=(1,), show_default=True,
              help="Interpreter threads; repeatable.")
@click.option("-o", "--output", "out_dir", default="edgeq-profile", show_default=True, type=click.Path(),
              help="Report folder: profile.json and report.html (written atomically).")
@click.option("--json", "as_json", is_flag=True, help="Print the JSON result on stdout.")
@click.option("--warmup-runs", default=DEFAULT_OPTIONS["warmup_runs"], show_default=True, type=int)
@click.option("--warmup-secs", default=DEFAULT_OPTIONS["warmup_min_secs"], show_default=True, type=float)
@click.option("--min-runs", default=DEFAULT_OPTIONS["min_runs"], show_default=True, type=int,
              help="Steady-state minimum count.")
@click.option("--min-secs", default=DEFAULT_OPTIONS["min_secs"], show_default=True, type=float,
              help="Steady-state minimum time.")
@click.option("--max-secs", default=DEFAULT_OPTIONS["max_secs"], show_default=True, type=float,
              help="Cap per phase.")
@click.option("--rounds", default=DEFAULT_OPTIONS["rounds"], show_default=True, type=int,
              help="Interleaved rounds of steady state.")
@click.option("--seed", default=DEFAULT_OPTIONS["seed"], show_default=True, type=int,
              help="Seed of the configuration order.")
@click.option("--cpus", default=None, help="CPU affinity on the device, e.g. 4-7 or 0,2.")
@click.option("--no-memory", is_flag=True, help="Skip the separate memory pass.")
@click.option("--energy-window", type=float, default=None,
              help="Seconds per energy window (default: what the meter's refresh rate needs).")
@click.option("--sysfs-root", default=DEFAULT_OPTIONS["sysfs_root"], show_default=True,
              help="Prefix for sysfs reads on the device (recorded trees in tests).")
@click.option("--keep", is_flag=True, help="Leave the agent's working dir on the device.")
@click.option("--no-progress", is_flag=True, help="No progress bars.")
@click.option("--baseline", type=click.Path(), default=None, metavar="OLD/profile.json",
              help="Compare with an earlier run (its profile.json or folder): per-configuration changes with a "
                   "95 % bootstrap confidence interval over the kept samples; the HTML shows both side by side.")
@click.option("--fail-if", "fail_if", multiple=True, metavar="GATE",
              help="With --baseline: exit with status 3 when a gate is crossed, i.e. the change exceeds it and is "
                   "significant. GATE is METRIC>+N% or METRIC>+N UNIT: 'p90>+10%', 'median>+0.2ms', 'rss>+5%', "
                   "'energy>+1mJ' (metrics median p5 p90 p95 p99 mean load first rss pss energy). Repeatable.")
def profile(model, devices, delegates, delegate_options, threads, out_dir, as_json, warmup_runs, warmup_secs, min_runs, min_secs,
            max_secs, rounds, seed, cpus, no_memory, energy_window, sysfs_root, keep, no_progress, baseline,
            fail_if) -> None:
    """Measure MODEL (.tflite) on one or more devices; write a JSON result and an HTML report.

    \b
    Examples:
      edgeq profile m.tflite -d local --delegate xnnpack --delegate cpu --threads 1 --threads 2
      edgeq profile m.tflite -d local --delegate gpu --delegate-option gpu:platform=Portable
      edgeq profile m.tflite -d pixel-8 --baseline before/ --fail-if 'p90>+10%' -o after/

    Exit status: 0 all measured, 2 bad input or a device failed (measured results are still written),
    3 a --fail-if gate was crossed.
    """
    try:
        gates = [parse_gate(g) for g in fail_if]
        if gates and not baseline:
            raise EdgeqError("--fail-if needs --baseline OLD/profile.json to compare with")
        base = load_baseline(baseline) if baseline else None
        dopts = parse_delegate_options(delegate_options, "edgeq profile", reserved=RESERVED_DELEGATE_OPTIONS)
        devs = [resolve_device(d) for d in devices]
        _check_out_dir(out_dir)
        opts = {"warmup_runs": warmup_runs, "warmup_min_secs": warmup_secs, "min_runs": min_runs,
                "min_secs": min_secs, "max_secs": max_secs, "rounds": rounds, "seed": seed,
                "affinity": _parse_cpus(cpus), "memory": not no_memory, "energy_window_s": energy_window,
                "sysfs_root": sysfs_root}
        streamed: set = set()  # the files written as configurations finished
        fresh = not Path(out_dir).exists()  # a folder this run would create: left out too when nothing is written
        try:
            report = run_profile(model, devs, list(delegates), list(threads), opts, keep=keep,
                                 show_progress=not no_progress and not as_json,
                                 on_update=lambda rep: _write_measured(rep, out_dir, streamed), delegate_options=dopts)
        except Interrupted as e:
            if not measured(e.report):
                _unstream(streamed, out_dir if fresh else None)
                e.args = ("interrupted (Ctrl-C) before any configuration was measured: no report written",)
                _fail(e, as_json)
                return
            jpath, _ = write_report(e.report, out_dir)
            timed = sum(1 for d in e.report["devices"] for c in d["configs"] if (c.get("steady") or {}).get("count"))
            e.args = (f"interrupted (Ctrl-C): what finished is in {jpath} (status incomplete, {timed} "
                      "configuration(s) with timings)",)
            _fail(e, as_json)
            return
        cmp_error = None
        if base is not None:
            try:
                report["comparison"] = compare(report, base, gates)
            except EdgeqError as e:  # the measurement is kept even when nothing matches the baseline
                cmp_error = e
        if not measured(report):  # one line, no report (a device that cannot be reached, no configuration ran)
            _unstream(streamed, out_dir if fresh else None)
            raise DeviceError("; ".join(f"{d['device']['name']} {d['status']}: {d['error']}" for d in report["devices"]
                                        if d["status"] != "ok") + " (nothing measured: no report written)")
        jpath, hpath = write_report(report, out_dir)
    except EdgeqError as e:
        _fail(e, as_json)
        return
    if as_json:
        click.echo(json.dumps(report, default=str))
    else:
        for line in summary_lines(report):
            click.echo(line)
        for line in compare_lines(report["comparison"]) if report.get("comparison") else []:
            click.echo(line)
        click.echo(f"wrote {jpath} and {hpath}")
    bad = [d for d in report["devices"] if d["status"] != "ok"]
    if bad:
        _fail(DeviceError("; ".join(f"{d['device']['name']} {d['status']}: {d['error']}" for d in bad)
                          + f" (results kept in {jpath})"))
    if cmp_error is not None:
        _fail(EdgeqError(f"{cmp_error} (results kept in {jpath})"))
    crossed = (report.get("comparison") or {}).get("crossed") or []
    if crossed:
        _fail(GateCrossed("regression gate crossed: " + "; ".join(
            f"{r['gate']} on {r['device']} · {r['config']} ({r['change'] * 100:+.1f} %)" if
            any(g.relative and g.text == r["gate"] for g in gates) else f"{r['gate']} on {r['device']} · {r['config']}"
            for r in crossed) + f" (see {hpath})"))


def _parse_cpus(spec: str | None) -> list[int] | None:
    if not spec:
        return None
    cpus: list[int] = []
    try:
        for part in spec.split(","):
            a, _, b = part.partition("-")
            cpus += list(range(int(a), int(b) + 1)) if b else [int(a)]
    except ValueError:
        raise EdgeqError(f"--cpus '{spec}' is not a CPU list: write e.g. 4-7 or 0,2") from None
    return cpus


def _check(dev: Device, timeout: float) -> str | None:
    """None if reachable, else the reason."""
    if dev.uri.startswith("serial:///dev/null"):  # a template (virtual-board): the port comes with the name
        return (f"its profile names no port: give the board's, e.g. {dev.name}@serial:///dev/pts/N "
                f"(a pty edgeq.lab.virtual_board opened)")
    try:
        link = open_link(dev, timeout)
        try:
            link.check(timeout=timeout)
        finally:
            link.close()
        return None
    except EdgeqError as e:
        return str(e)


@click.command("devices")
@click.option("--check", is_flag=True, help="Also say which devices answer (bounded timeouts, in parallel), and "
              "whether this machine has an OpenCL runtime for the gpu delegate.")
@click.option("--timeout", default=5.0, show_default=True, type=float, help="Seconds per reachability check.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def devices(check, timeout, as_json) -> None:
    """List device profiles (devices/profiles/*.toml and $EDGEQ_DEVICE_PROFILES)."""
    try:
        profs = list_profiles()
    except EdgeqError as e:
        _fail(e, as_json)
        return
    reach: list[str | None] = []
    opencl = None
    if check:
        with ThreadPoolExecutor(max_workers=8) as ex:
            here = ex.submit(opencl_probe.probe, max(timeout, 10.0))
            reach = list(ex.map(lambda d: _check(d, timeout), profs))
            opencl = here.result()
    rows = []
    for i, d in enumerate(profs):
        row = d.as_dict()
        if check:
            row["reachable"] = reach[i] is None
            row["unreachable_reason"] = reach[i]
            if d.transport == "local":  # this machine: what the gpu delegate would find
                row["opencl"] = opencl
        rows.append(row)
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    head = f"{'name':<18} {'class':<6} {'cores':>5} {'ram':>9} {'flash':>9} {'energy':<15} {'uri':<36}"
    click.echo(head + ("  reachable" if check else ""))
    for r in rows:
        cores = r["cores"] or "auto"  # 0: this machine's count, asked of the OS when measuring
        line = (f"{r['name']:<18} {r['class']:<6} {cores:>5} {_size(r['ram_bytes']):>9} "
                f"{_size(r['flash_bytes']):>9} {r['energy']:<15} {r['uri']:<36}")
        if check:
            line += "  yes" if r["reachable"] else f"  no ({r['unreachable_reason']})"
        click.echo(line + ("  [emulated]" if r["emulated"] else ""))
    if opencl is not None:
        click.echo(f"OpenCL on this machine (edgeq's gpu delegate): {opencl_probe.describe(opencl)}")


def _size(n: int) -> str:
    if not n:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f}{unit}" if unit == "B" else f"{n:.4g}{unit}"
        n /= 1024
    return str(n)

