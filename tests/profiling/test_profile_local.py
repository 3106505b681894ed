"""edgeq profile on the local device: the agent really runs the model; JSON and HTML come out whole."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from edgeq.errors import EdgeqError
from edgeq.profiling.ondevice import stats
from edgeq.profiling.cli import devices, profile
from profiling_helpers import FAST, profile_ok


def test_stats_percentiles_match_numpy():
    import numpy as np
    xs = list(np.random.default_rng(1).exponential(2.0, 501))
    s = stats.summarize(xs)
    for q in (5, 50, 90, 95, 99):
        assert s[f"p{q}"] == pytest.approx(float(np.percentile(xs, q)))
    assert s["median"] == pytest.approx(float(np.median(xs)))
    assert s["std"] == pytest.approx(float(np.std(xs, ddof=1)))
    assert s["min"] == min(xs) and s["max"] == max(xs) and s["count"] == 501
    assert stats.summarize([]) == {"count": 0}


def test_profile_local_two_delegates_two_threads(tiny_model, tmp_path):
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--delegate", "none", "--delegate",
                                     "xnnpack", "--threads", "1", "--threads", "2", "-o", str(out),
                                     "--seed", "7", *FAST])
    assert r.exit_code == 0, r.output
    rep = json.loads((out / "profile.json").read_text())
    dev = rep["devices"][0]
    assert dev["status"] == "ok" and dev["error"] is None
    labels = sorted(c["label"] for c in dev["configs"])
    assert labels == ["none/t1", "none/t2", "xnnpack/t1", "xnnpack/t2"]
    # interleaved, seeded schedule: every round holds every configuration once
    assert len(dev["schedule"]) == 2 and all(sorted(rnd) == labels for rnd in dev["schedule"])
    assert dev["seed"] == 7
    for c in dev["configs"]:
        st = c["steady"]
        assert st["count"] == len(st["samples_ms"]) >= 20
        assert st["min"] <= st["p5"] <= st["median"] <= st["p90"] <= st["p95"] <= st["p99"] <= st["max"]
        assert c["load_ms"] > 0 and c["first_inference_ms"] > 0
        assert c["warmup"]["count"] >= 2
        assert c["runtime"]["resolver"] == ("builtin" if c["config"]["delegate"] == "none" else "default")
        assert c["config"]["threads"] in (1, 2)
        mem = c["memory"]
        assert mem["available"] and mem["peak_rss_bytes"] >= mem["peak_rss_after_load_bytes"] > 0
        prof = c["op_profile"]
        if c["config"]["delegate"] == "cpu":  # the delegate's own per-node timers, from a separate pass
            assert prof["available"] and prof["invokes"] == 20 and "edgeq-cpu" in prof["source"], prof
            assert {n["op"] for n in prof["nodes"]} >= {"CONV_2D"} and all(n["ms"] >= 0 for n in prof["nodes"])
        else:
            assert prof["available"] is False and "CONV_2D" in prof["ops"]
        # this VM has no meter: no figure may be invented
        en = c["energy"]
        if not en["available"]:
            assert en["energy_per_inference_uj"] is None and en["reason"]
    html = (out / "report.html").read_text()
    assert html.count("<svg") >= 1 + 4  # box plot + one histogram per configuration
    assert "xnnpack/t2" in html and "<script" not in html and "http://" not in html.replace(
        "http://www.w3.org/2000/svg", "")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


def test_profile_same_seed_same_schedule(tiny_model, tmp_path):
    scheds = []
    for i in range(2):
        r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--delegate", "none", "--delegate",
                                         "xnnpack", "--threads", "1", "--threads", "2", "-o", str(tmp_path / str(i)),
                                         "--seed", "3", "--json", "--no-memory", *FAST])
        assert r.exit_code == 0, r.output
        scheds.append(json.loads(r.output)["devices"][0]["schedule"])
    assert scheds[0] == scheds[1]


def test_profile_energy_from_recorded_rapl_tree(tiny_model, tmp_path):
    """The local agent reads a RAPL tree the test keeps advancing: energy figures come out, consistent."""
    import threading
    import time
    root = tmp_path / "sysroot"
    d = root / "sys/class/powercap/intel-rapl:0"
    d.mkdir(parents=True)
    (d / "max_energy_range_uj").write_text("262143328850\n")
    (d / "name").write_text("package-0\n")
    (d / "energy_uj").write_text("1000\n")
    gov = root / "sys/devices/system/cpu/cpu0/cpufreq"
    gov.mkdir(parents=True)
    (gov / "scaling_governor").write_text("performance\n")
    tz = root / "sys/class/thermal/thermal_zone0"
    tz.mkdir(parents=True)
    (tz / "type").write_text("cpu-thermal\n")
    (tz / "temp").write_text("48312\n")
    stop = threading.Event()

    def counter():  # a 2 W meter refreshed every millisecond
        t0 = time.perf_counter()
        while not stop.is_set():
            uj = 1000 + int((time.perf_counter() - t0) * 2e6)
            tmp = d / "energy_uj.tmp"
            tmp.write_text(f"{uj}\n")
            tmp.replace(d / "energy_uj")
            time.sleep(0.001)
    th = threading.Thread(target=counter, daemon=True)
    th.start()
    try:
        r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--delegate", "none", "-o",
                                         str(tmp_path / "rep"), "--sysfs-root", str(root), "--json",
                                         "--no-memory", *FAST])
    finally:
        stop.set()
        th.join()
    assert r.exit_code == 0, r.output
    dev = json.loads(r.output)["devices"][0]
    env = dev["environment"]["before"]
    assert env["governor"] == "performance" and env["thermal_c"] == {"cpu-thermal": 48.312}
    en = dev["configs"][0]["energy"]
    assert en["available"] and en["meter"]["meter"] == "rapl"
    assert en["idle_power_mw"] == pytest.approx(2000, rel=0.3)
    assert en["busy_power_mw"] == pytest.approx(2000, rel=0.3)
    assert en["energy_per_inference_uj"] == pytest.approx(en["busy"]["energy_uj"] / en["inferences"])
    # same power idle and busy: the marginal energy is small next to the whole-device figure
    assert abs(en["marginal_energy_per_inference_uj"]) < 0.5 * en["energy_per_inference_uj"]
    html = (tmp_path / "rep" / "report.html").read_text()
    from edgeq.profiling.reporting.units import energy_uj
    shown = energy_uj(en["energy_per_inference_uj"])
    assert "energy per inference: whole device" in html and f">{shown}</text>" in html and f"<td>{shown}</td>" in html


def test_bad_inputs_are_one_line_errors(tiny_model, tmp_path):
    runner = CliRunner()
    r = runner.invoke(profile, [str(tmp_path / "missing.tflite"), "-d", "local", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "not found" in r.output and "Traceback" not in r.output
    junk = tmp_path / "junk.tflite"
    junk.write_bytes(b"not a model at all")
    r = runner.invoke(profile, [str(junk), "-d", "local", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "TFL3" in r.output
    cut = tmp_path / "cut.tflite"  # a download cut short: the identifier is there, the model is not
    cut.write_bytes(tiny_model.read_bytes()[:len(tiny_model.read_bytes()) // 3])
    r = runner.invoke(profile, [str(cut), "-d", "local", "--delegate", "cpu", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "is corrupt or truncated" in r.output and "re-download" in r.output, r.output
    assert len(r.output.strip().splitlines()) == 1 and not (tmp_path / "o").exists()
    r = runner.invoke(profile, [str(tiny_model), "-d", "no-such-board", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "unknown device 'no-such-board'" in r.output
    r = runner.invoke(profile, [str(tiny_model), "-d", "local", "--threads", "0", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "--threads 0" in r.output
    assert not (tmp_path / "o" / "profile.json").exists()


def test_devices_lists_profiles():
    r = CliRunner().invoke(devices, ["--json"])
    assert r.exit_code == 0, r.output
    names = {d["name"] for d in json.loads(r.output)}
    assert {"pixel-8", "galaxy-s24", "raspberry-pi-4", "raspberry-pi-5", "nrf52840-dk", "nucleo-h743zi",
            "esp32-s3-devkitc", "alif-ensemble-e7"} <= names
    r = CliRunner().invoke(devices, [])
    assert r.exit_code == 0 and "pixel-8" in r.output and "[emulated]" in r.output
    host = next(ln for ln in r.output.splitlines() if ln.startswith("host "))
    assert host.split()[:3] == ["host", "host", "auto"], host  # it said "0" cores


def test_edgeq_error_is_raised_for_unknown_delegate(tiny_model):
    from edgeq.profiling.devices import resolve_device
    from edgeq.profiling.profile import run_profile
    with pytest.raises(EdgeqError, match="unknown delegate 'npu'"):
        run_profile(tiny_model, [resolve_device("local")], ["npu"], [1], show_progress=False)


def test_a_configuration_that_cannot_load_does_not_sink_the_others(tiny_model, tmp_path, monkeypatch):
    libs = tmp_path / "native"
    libs.mkdir()
    (libs / "libedgeq_gpu.so").write_bytes(b"this is not a shared library")
    monkeypatch.setenv("EDGEQ_DELEGATE_DIR", str(libs))
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--delegate", "none", "--delegate", "gpu",
                                     "-o", str(out), "--no-memory", *FAST])
    assert r.exit_code == 2
    err = [ln for ln in r.output.splitlines() if ln.startswith("edgeq: error:")]
    assert len(err) == 1 and "gpu/t1 cannot run" in err[0] and "failed to load" in err[0], r.output
    # named by its file, not by the agent's temporary copy ("delegate /tmp/edgeq.2ZH0Ev/pkg/edgeq/_native/...")
    assert "delegate libedgeq_gpu.so failed to load" in err[0] and "/_native/" not in err[0], err[0]
    dev = json.loads((out / "profile.json").read_text())["devices"][0]
    assert dev["status"] == "partial"
    by = {c["label"]: c for c in dev["configs"]}
    assert by["none/t1"]["steady"]["count"] >= 20 and "error" not in by["none/t1"]
    assert "failed to load" in by["gpu/t1"]["error"] and "steady" not in by["gpu/t1"]


def test_cpu_affinity_is_applied_and_recorded(tiny_model, tmp_path):
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--delegate", "none", "--cpus", "0",
                                     "--json", "--no-memory", "-o", str(tmp_path / "rep"), *FAST])
    assert r.exit_code == 0, r.output
    env = json.loads(r.output)["devices"][0]["environment"]
    assert env["before"]["affinity"] == [0] and env["after"]["affinity"] == [0]
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--cpus", "zero", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2 and "--cpus 'zero' is not a CPU list" in r.output


def test_gpu_configuration_has_per_op_device_times(mixed_model, tmp_path, monkeypatch):
    """The edgeq-gpu configuration's op_profile: OpenCL event times of every node that ran on the
    device, from a profiling interpreter of its own (PoCL, asked for by name as in CI)."""
    monkeypatch.setenv("EDGEQ_GPU_PLATFORM", "Portable Computing Language")
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(mixed_model), "-d", "local", "--delegate", "gpu", "-o", str(out),
                                     "--no-memory", *FAST])
    assert r.exit_code == 0, r.output
    (cfg,) = json.loads((out / "profile.json").read_text())["devices"][0]["configs"]
    op = cfg["op_profile"]
    assert op["available"] is True and op["source"].startswith("OpenCL profiling events"), op
    assert op["invokes"] == 5
    on_gpu = {n["node"] for n in cfg["placement"]["nodes"] if n["ran_on"] == "edgeq-gpu"}
    assert on_gpu and {n["node"] for n in op["nodes"]} == on_gpu
    assert all(n["ms"] > 0 and n["op"] for n in op["nodes"])
    assert cfg["placement"]["claim_report"]["platform"] == "Portable Computing Language"


def test_delegate_options_reach_every_pass(mixed_model, tmp_path, monkeypatch):
    """--delegate-option goes to edgeq's delegates in the timed, per-op and placement passes: PoCL asked for by
    platform name on the command line (no environment variable), and ops= limits what edgeq-cpu runs."""
    monkeypatch.delenv("EDGEQ_GPU_PLATFORM", raising=False)
    monkeypatch.delenv("EDGEQ_GPU_DEVICE", raising=False)
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(mixed_model), "-d", "local", "--delegate", "gpu", "--delegate", "cpu",
                                     "--delegate-option", "gpu:platform=Portable Computing Language",
                                     "--delegate-option", "ops=CONV_2D,DEPTHWISE_CONV_2D",
                                     "-o", str(out), "--no-memory", *FAST])
    assert r.exit_code == 0, r.output
    cfgs = {c["label"]: c for c in json.loads((out / "profile.json").read_text())["devices"][0]["configs"]}
    for label, where in (("gpu/t1", "edgeq-gpu"), ("cpu/t1", "edgeq-cpu")):
        cfg = cfgs[label]
        assert cfg["config"]["options"]["ops"] == "CONV_2D,DEPTHWISE_CONV_2D"
        ran = {n["op"] for n in cfg["placement"]["nodes"] if n["ran_on"] == where}
        assert ran == {"CONV_2D", "DEPTHWISE_CONV_2D"}, (label, cfg["placement"])
        timed = {n["op"] for n in cfg["op_profile"]["nodes"]}
        assert timed <= {"CONV_2D", "DEPTHWISE_CONV_2D"} and timed, (label, cfg["op_profile"])
    assert cfgs["gpu/t1"]["placement"]["claim_report"]["platform"] == "Portable Computing Language"
    assert "platform" not in cfgs["cpu/t1"]["config"]["options"]  # gpu:KEY is the gpu delegate's alone


def test_terminal_says_device_start_and_per_op_times(mixed_model, tmp_path, monkeypatch):
    """What edgeq profile prints, not only what its JSON holds: the OpenCL device the gpu delegate ran on, its
    start cold (program compiled into an empty cache) then warm (from that cache), each edgeq delegate's per-op
    time by op type and slowest node; without a GPU the gpu delegate's own reason and how to ask for PoCL."""
    monkeypatch.delenv("EDGEQ_GPU_PLATFORM", raising=False)
    monkeypatch.delenv("EDGEQ_GPU_DEVICE", raising=False)
    cache = tmp_path / "cl-cache"
    cache.mkdir()
    args = [str(mixed_model), "-d", "local", "--delegate", "gpu", "--delegate", "cpu", "--no-memory", *FAST,
            "--delegate-option", "gpu:platform=Portable Computing Language",
            "--delegate-option", f"gpu:cache_dir={cache}"]
    outs = []
    for run in ("cold", "warm"):
        r = CliRunner().invoke(profile, [*args, "-o", str(tmp_path / run)])
        assert r.exit_code == 0, r.output
        outs.append(r.output)
        cfgs = {c["label"]: c for c in json.loads((tmp_path / run / "profile.json").read_text())["devices"][0]["configs"]}
        assert cfgs["gpu/t1"]["delegate_start"]["cold"] is (run == "cold")
        assert "delegate_start" not in cfgs["cpu/t1"]  # the cpu delegate compiles nothing
    cold, warm = outs
    gpu_block = cold[cold.index("gpu/t1"):]
    assert "device: " in gpu_block and "on Portable Computing Language" in gpu_block and "(cpu)" in gpu_block
    assert "program compiled in" in cold and "(cold start)" in cold and "(cold start)" not in warm
    assert "program from edgeq's cache in" in warm and "(warm start)" in warm
    # the whole start to the first result, in its phases: PoCL builds every kernel while the compiled program is
    # written to the cache, and compiles what it runs in the first inference (neither is in the program's compile)
    for out in outs:
        start_line = next(ln for ln in out[out.index("gpu/t1"):].splitlines() if ln.strip().startswith("start: "))
        assert "to the first result" in start_line and "first inference" in start_line and "context" in start_line
    assert "cache write" in cold[cold.index("gpu/t1"):] and "cache write" not in warm[warm.index("gpu/t1"):]
    for out in outs:
        assert out.count("per-op time: ") == 2 and out.count("slowest node ") == 2, out
        assert "CONV_2D" in out[out.index("per-op time: "):]
    html = (tmp_path / "cold" / "report.html").read_text()
    assert "on Portable Computing Language; program compiled at load: cold start" in html
    r = CliRunner().invoke(profile, [str(mixed_model), "-d", "local", "--delegate", "gpu", "--no-memory", *FAST,
                                     "-o", str(tmp_path / "nogpu")])
    if r.exit_code != 0:  # a machine with a real GPU would take it; PoCL's CPU device is used only when asked for
        # one line, no report: main timed the CPU runtime under the gpu label and exited 0
        lines = [ln for ln in r.output.splitlines() if ln.strip()]
        assert r.exit_code == 2 and len(lines) == 1, r.output
        assert "gpu/t1 cannot run: edgeq_gpu is unavailable: no GPU or accelerator OpenCL device here" in lines[0]
        assert "platform=<name> or device_type=cpu" in lines[0] and not (tmp_path / "nogpu").exists()


def test_gpu_without_any_opencl_platform_is_one_line(mixed_model, tmp_path, monkeypatch):
    """No OpenCL at all (an empty ICD folder): --delegate gpu alone is one line naming the fix and writes nothing
    (main: exit 0 and gpu/t1 timings that were LiteRT's builtin kernels on the CPU); beside another delegate, that
    one's figures are kept and gpu/t1 is a configuration that could not run."""
    empty = tmp_path / "icd"
    empty.mkdir()
    monkeypatch.setenv("OCL_ICD_VENDORS", str(empty))
    r = CliRunner().invoke(profile, [str(mixed_model), "-d", "local", "--delegate", "gpu", "--no-memory", *FAST,
                                     "-o", str(tmp_path / "g")])
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert r.exit_code == 2 and len(lines) == 1, r.output
    assert "gpu/t1 cannot run: edgeq_gpu is unavailable: no OpenCL platform found" in lines[0], lines[0]
    assert "install a driver ICD" in lines[0] and not (tmp_path / "g").exists()
    r = CliRunner().invoke(profile, [str(mixed_model), "-d", "local", "--delegate", "gpu", "--delegate", "none",
                                     "--no-memory", *FAST, "-o", str(tmp_path / "g2")])
    assert r.exit_code == 2
    by = {c["label"]: c for c in json.loads((tmp_path / "g2" / "profile.json").read_text())["devices"][0]["configs"]}
    assert by["none/t1"]["steady"]["count"] >= 20 and set(by["gpu/t1"]) == {"config", "label", "error"}


def test_a_run_that_measures_nothing_writes_no_report(tiny_model, tmp_path, monkeypatch):
    """Every configuration failed (the only delegate asked for cannot load): one line, no profile.json or
    report.html (main wrote both, with nothing measured), and an earlier run's report in -o stays as it was."""
    libs = tmp_path / "native"
    libs.mkdir()
    (libs / "libedgeq_gpu.so").write_bytes(b"this is not a shared library")
    monkeypatch.setenv("EDGEQ_DELEGATE_DIR", str(libs))
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--delegate", "gpu", "-o", str(out),
                                     "--no-memory", *FAST])
    assert r.exit_code == 2
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("edgeq: error: local partial: gpu/t1 cannot run"), r.output
    assert "nothing measured: no report written" in lines[0] and "results kept" not in lines[0]
    assert not out.exists()
    out.mkdir()
    (out / "profile.json").write_text("{}")  # an earlier run's
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--delegate", "gpu", "-o", str(out),
                                     "--no-memory", *FAST])
    assert r.exit_code == 2 and (out / "profile.json").read_text() == "{}" and not (out / "report.html").exists()
    # --json: stdout is the one JSON document every command prints for an error (main: nothing on stdout)
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--delegate", "gpu", "-o", str(out),
                                     "--no-memory", "--json", *FAST])
    assert r.exit_code == 2 and json.loads(r.stdout) == {"error": lines[0].removeprefix("edgeq: error: "),
                                                         "kind": "DeviceError"}, r.stdout


@pytest.mark.parametrize("args, says", [
    (["--delegate", "xnnpack", "--delegate-option", "ops=CONV_2D"], "add --delegate cpu or --delegate gpu"),
    (["--delegate", "cpu", "--delegate-option", "report_path=x.json"], "report_path is set by edgeq profile"),
    (["--delegate", "cpu", "--delegate-option", "num_threads=4"], "num_threads is set by edgeq profile"),
    (["--delegate", "gpu", "--delegate-option", "gpu:profile=1"], "profile is set by edgeq profile"),
    (["--delegate", "cpu", "--delegate-option", "ops"], "is not KEY=VALUE"),
    (["--delegate", "cpu", "--delegate-option", "npu:ops=ADD"], "the prefix names a delegate"),
])
def test_bad_delegate_option_is_one_line(tiny_model, tmp_path, args, says):
    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", *args, "-o", str(out), "--no-memory", *FAST])
    assert r.exit_code == 2 and r.exception is None or isinstance(r.exception, SystemExit), r.output
    assert says in r.output and "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1, r.output
    assert not out.exists()


def test_latency_agrees_with_an_independent_clock(mixed_model, tmp_path):
    """The agent's figures against this process's own timing of the same model (a 10x band: far from the noise
    of a loaded machine, far inside the 1000x of a unit slip), and their sum against the host's wall clock."""
    import statistics
    import time as _time

    import numpy as np

    from edgeq.runtime import Interpreter
    raw = Interpreter(str(mixed_model), resolver="builtin", num_threads=1).raw
    for d in raw.get_input_details():
        raw.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    for _ in range(20):
        raw.invoke()
    mine = []
    for _ in range(300):
        t0 = _time.perf_counter()
        raw.invoke()
        mine.append((_time.perf_counter() - t0) * 1e3)
    t0 = _time.monotonic()
    dev = profile_ok(mixed_model, "local", tmp_path / "rep", "--delegate", "none", "--no-memory")
    wall_s = _time.monotonic() - t0
    steady = dev["configs"][0]["steady"]
    ratio = steady["median"] / statistics.median(mine)
    assert 0.1 < ratio < 10, (steady["median"], statistics.median(mine))
    assert sum(steady["samples_ms"]) / 1e3 < wall_s
    assert dev["configs"][0]["first_inference_ms"] / 1e3 < wall_s


def test_profile_local_cpu_delegate_reports_its_per_node_times(tiny_model, tmp_path):
    # the edgeq-cpu configuration's op_profile comes from the delegate's own timers (profile_path),
    # node by node under the runtime's node indices, and the report shows them
    import edgeq

    out = tmp_path / "rep"
    r = CliRunner().invoke(profile, [str(tiny_model), "-d", "local", "--delegate", "cpu", "--threads", "1",
                                     "--threads", "2", "-o", str(out), "--seed", "3", *FAST])
    assert r.exit_code == 0, r.output
    cfgs = {c["config"]["threads"]: c for c in json.loads((out / "profile.json").read_text())["devices"][0]["configs"]}
    # one thread: the thread's CPU time, which a busy machine's waits for a core do not inflate; more threads:
    # wall time (the workers' CPU time is not the calling thread's)
    assert cfgs[1]["op_profile"]["clock"] == "thread" and "thread CPU time" in cfgs[1]["op_profile"]["source"]
    assert cfgs[2]["op_profile"]["clock"] == "wall" and "wall time" in cfgs[2]["op_profile"]["source"]
    cfg = cfgs[1]
    prof = cfg["op_profile"]
    assert prof["available"] and prof["invokes"] == 20 and "edgeq-cpu" in prof["source"], prof
    assert "DELEGATE" in prof["ops"] and "reason" not in prof  # the timed interpreter's op list stays
    ops = {o["index"]: o["op"] for o in edgeq.inspect_model(tiny_model.read_bytes())["ops"]}
    placed = {n["node"] for n in cfg["placement"]["nodes"] if n["ran_on"] == "edgeq-cpu"}
    assert {n["node"] for n in prof["nodes"]} == placed and placed
    assert all(n["op"] == ops[n["node"]] and n["ms"] >= 0 for n in prof["nodes"]), prof["nodes"]
    assert sum(n["ms"] for n in prof["nodes"]) > 0
    html = (out / "report.html").read_text()
    assert all(n["op"] in html for n in prof["nodes"])
    # the README's "Per-op times" paragraph names every key of this op_profile and both clocks
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    para = readme[readme.index("**Per-op times.**"):]
    para = para[:para.index("\n\n")]
    for key in {*cfgs[1]["op_profile"], *cfgs[2]["op_profile"], "reason"}:
        assert f'"{key}"' in para, (key, para)
    assert '"thread"' in para and '"wall"' in para


def test_ctrl_c_on_a_local_run_stops_the_agent_too(tiny_model, tmp_path):
    """The local agent is the shell's child: Ctrl-C must end it as well, not leave it measuring."""
    import os
    import signal
    import subprocess
    import sys
    import time as _time
    out = tmp_path / "rep"
    prof = tmp_path / "slow.toml"
    prof.write_text('name = "slow"\nclass = "host"\ncores = 1\nisa = []\nram_bytes = 0\nflash_bytes = 0\n'
                    'transport = "local"\nuri = "local"\nenergy = "none"\nagent = "python"\n')
    p = subprocess.Popen([sys.executable, "-m", "edgeq.cli", "profile", str(tiny_model), "-d", str(prof),
                          "--delegate", "none", "-o", str(out), "--no-progress", "--min-secs", "120",
                          "--max-secs", "120", "--rounds", "1", "--no-memory"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = _time.monotonic() + 60
    agents: list[int] = []
    while _time.monotonic() < deadline and not agents:
        _time.sleep(0.2)
        for pid in os.listdir("/proc"):
            try:
                argv = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\0")
                if b"python_agent.py" in argv and _descends(int(pid), p.pid):  # the agent, not the shell
                    agents.append(int(pid))
            except (OSError, ValueError):
                continue
    assert agents, "the agent did not start"
    _time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 130 and "Traceback" not in err, err
    _time.sleep(0.5)
    left = [a for a in agents if os.path.exists(f"/proc/{a}")
            and b"python_agent.py" in open(f"/proc/{a}/cmdline", "rb").read().split(b"\0")]
    for a in left:
        os.kill(a, signal.SIGKILL)
    assert not left, "the agent outlived Ctrl-C"
    # its one configuration was still in its steady state: nothing measured, so no report (main wrote one with
    # status incomplete and no configuration), and one line says so
    assert err.strip().splitlines() == ["edgeq: error: interrupted (Ctrl-C) before any configuration was measured: "
                                        "no report written"], err
    assert not out.exists()


def _descends(pid: int, ancestor: int) -> bool:
    for _ in range(10):
        try:
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid == ancestor:
            return True
        if pid <= 1:
            return False
    return False


def test_gpu_on_a_model_with_run_time_shapes_says_why(tiny_model, tmp_path):
    """tiny_model has a dynamic batch (TensorFlow's SHAPE ... PACK -> RESHAPE): LiteRT refuses a delegate that takes
    static shapes only with a RuntimeError of no words, and edgeq said 'cannot load this model: RuntimeError'."""
    from edgeq.runtime import Interpreter
    with pytest.raises(EdgeqError) as e:
        Interpreter(str(tiny_model), delegates=["gpu"], delegate_options={"platform": "Portable"})
    assert "refuses delegate libedgeq_gpu.so on this model: it has run-time shapes" in str(e.value), str(e.value)
    assert "RuntimeError" not in str(e.value) and "use the cpu delegate" in str(e.value)
    Interpreter(str(tiny_model), delegates=["cpu"])  # which takes them
