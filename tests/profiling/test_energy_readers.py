"""Energy readers against recorded sysfs trees and command outputs shaped like the real ones."""
from __future__ import annotations

import os
import sys
import threading
import time

import pytest

from edgeq.profiling.ondevice.energy.base import NoMeter, measure_window
from edgeq.profiling.ondevice.energy.battery import BatteryReader
from edgeq.profiling.ondevice.energy.detect import READERS, detect_reader
from edgeq.profiling.ondevice.energy.ina2xx import Ina2xxReader
from edgeq.profiling.ondevice.energy.odpm import OdpmReader, parse_energy_value
from edgeq.profiling.ondevice.energy.pmic import PmicReader, parse_pmic
from edgeq.profiling.ondevice.energy.rapl import RaplReader


def _w(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# ---- RAPL -----------------------------------------------------------------------------------------
def _rapl_tree(root, pkg0, pkg1, rng=262143328850):
    base = root / "sys/class/powercap"
    for name, val in (("intel-rapl:0", pkg0), ("intel-rapl:1", pkg1)):
        _w(base / name / "energy_uj", f"{val}\n")
        _w(base / name / "max_energy_range_uj", f"{rng}\n")
        _w(base / name / "name", "package\n")
    _w(base / "intel-rapl:0:0" / "energy_uj", "999999\n")  # a subzone: must not be double counted
    _w(base / "intel-rapl:0:0" / "max_energy_range_uj", f"{rng}\n")


def test_rapl_sums_packages_and_handles_wraparound(tmp_path):
    rng = 262143328850
    _rapl_tree(tmp_path, rng - 1000, 5000, rng)
    r = RaplReader(str(tmp_path))
    assert [os.path.basename(d) for d in r.domains] == ["intel-rapl:0", "intel-rapl:1"]
    before = r.read()
    _rapl_tree(tmp_path, 500, 7000, rng)  # package 0 wrapped past max_energy_range_uj
    after = r.read()
    # pkg0: 1000 up to max, +1 for the wrap to 0, +500; pkg1: plain 2000
    assert r.delta_uj(before, after) == 1000 + 1 + 500 + 2000


def test_rapl_absent_is_a_reason_not_a_figure(tmp_path):
    with pytest.raises(NoMeter, match="no RAPL domains"):
        RaplReader(str(tmp_path))


# ---- hwmon INA2xx ---------------------------------------------------------------------------------
def test_ina228_energy_counter(tmp_path):
    hw = tmp_path / "sys/class/hwmon"
    _w(hw / "hwmon0/name", "coretemp\n")
    _w(hw / "hwmon3/name", "ina228\n")
    _w(hw / "hwmon3/energy1_input", "1000000\n")
    _w(hw / "hwmon3/power1_input", "2000000\n")
    r = Ina2xxReader(str(tmp_path))
    assert r.kind == "counter" and r.chip == "ina228"
    a = r.read()
    _w(hw / "hwmon3/energy1_input", "1250000\n")
    assert r.delta_uj(a, r.read()) == 250000


def test_ina219_power_is_integrated_over_the_window(tmp_path):
    hw = tmp_path / "sys/class/hwmon/hwmon1"
    _w(hw / "name", "ina219\n")
    _w(hw / "power1_input", "1500000\n")  # 1.5 W in µW
    r = Ina2xxReader(str(tmp_path))
    assert r.kind == "power"
    res = measure_window(r, lambda: (time.sleep(0.3), 7)[1], 0.3)
    assert res["count"] == 7 and res["samples"] >= 3
    assert res["energy_uj"] == pytest.approx(1.5e6 * res["seconds"], rel=0.15)


def test_ina_missing(tmp_path):
    _w(tmp_path / "sys/class/hwmon/hwmon0/name", "nvme\n")
    with pytest.raises(NoMeter, match="no INA2xx"):
        Ina2xxReader(str(tmp_path))


# ---- Pixel ODPM -----------------------------------------------------------------------------------
ODPM0 = """t=473034
CH0(T=473034)[S10M_VDD_TPU], 3013277
CH1(T=473034)[VSYS_PWR_MODEM], 1260310
CH2(T=473034)[VSYS_PWR_RFFE], 15221
"""
ODPM1 = """t=473035
CH0(T=473035)[S2M_VDD_CPUCL2], 9200400
CH1(T=473035)[S3M_VDD_CPUCL1], 4100200
CH2(T=473035)[S4M_VDD_CPUCL0], 2050100
"""


def test_odpm_parse_and_delta_per_rail(tmp_path):
    assert parse_energy_value(ODPM0)["S10M_VDD_TPU"] == (473034, 3013277)
    dev = tmp_path / "sys/bus/iio/devices"
    _w(dev / "iio:device0/energy_value", ODPM0)
    _w(dev / "iio:device1/energy_value", ODPM1)
    r = OdpmReader(str(tmp_path), rails=["S2M_VDD_CPUCL2", "S10M_VDD_TPU"])
    a = r.read()
    _w(dev / "iio:device0/energy_value", ODPM0.replace("3013277", "3113277").replace("473034", "475034"))
    _w(dev / "iio:device1/energy_value", ODPM1.replace("9200400", "9700400").replace("473035", "475035"))
    b = r.read()
    assert r.delta_by_rail(a, b) == {"S2M_VDD_CPUCL2": 500000, "S10M_VDD_TPU": 100000}
    assert r.delta_uj(a, b) == 600000
    assert len(OdpmReader(str(tmp_path)).rails) == 6  # default: every rail of both chips
    with pytest.raises(NoMeter, match="NOPE not present"):
        OdpmReader(str(tmp_path), rails=["NOPE"])


# ---- battery fuel gauge ---------------------------------------------------------------------------
def _battery(root, current, voltage="3850000", status="Discharging"):
    b = root / "sys/class/power_supply/battery"
    _w(b / "current_now", f"{current}\n")
    _w(b / "voltage_now", f"{voltage}\n")
    _w(b / "status", f"{status}\n")


@pytest.mark.parametrize("current", ["-420000", "420000", "420"])
def test_battery_sign_conventions_and_milliamp_drivers(tmp_path, current):
    _battery(tmp_path, current)
    r = BatteryReader(str(tmp_path))
    assert r.current_unit == ("mA" if current == "420" else "uA")
    assert r.read() == pytest.approx(420000 * 3.85)  # µW: 0.42 A × 3.85 V, whatever the sign


def test_battery_refuses_while_charging(tmp_path):
    _battery(tmp_path, "-800000", status="Charging")
    with pytest.raises(NoMeter, match="unplug USB power"):
        BatteryReader(str(tmp_path))


# ---- Raspberry Pi 5 PMIC --------------------------------------------------------------------------
PMIC = """     3V7_WL_SW_A current(0)=0.00000000A
       3V3_SYS_A current(1)=0.05000000A
          VDD_CORE_A current(7)=0.90000000A
     3V7_WL_SW_V volt(8)=3.70000000V
       3V3_SYS_V volt(9)=3.30000000V
          VDD_CORE_V volt(15)=0.80000000V
         EXT5V_V volt(24)=5.15976000V
"""


def test_pmic_parse_and_power(tmp_path):
    rails = parse_pmic(PMIC)
    assert rails["VDD_CORE"] == {"A": 0.9, "V": 0.8} and rails["EXT5V"] == {"V": 5.15976}
    script = tmp_path / "vcgencmd"
    script.write_text(f"import sys\nsys.stdout.write({PMIC!r})\n")
    r = PmicReader([sys.executable, str(script)])
    assert r.read() == pytest.approx((0.05 * 3.3 + 0.9 * 0.8) * 1e6)  # EXT5V has no current: excluded


def test_pmic_without_vcgencmd(tmp_path):
    with pytest.raises(NoMeter, match="failed"):
        PmicReader([str(tmp_path / "no-such-vcgencmd")])


# ---- external monitor on a serial line ------------------------------------------------------------
def test_serial_monitor_protocol_over_a_pty():
    from edgeq.profiling.ondevice.energy.serial_monitor import SerialMonitorReader
    master, slave = os.openpty()
    state = {"uj": 1000, "stop": False}

    def monitor():
        buf = b""
        while not state["stop"]:
            try:
                buf += os.read(master, 64)
            except OSError:
                return
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                if line.strip() == b"E?":
                    state["uj"] += 2500
                    os.write(master, f"E {state['uj']} {state['uj'] * 2}\n".encode())
                else:
                    os.write(master, b"ERR unknown\n")
    th = threading.Thread(target=monitor, daemon=True)
    th.start()
    try:
        r = SerialMonitorReader(os.ttyname(slave), timeout=5)
        a = r.read()
        b = r.read()
        assert r.delta_uj(a, b) == 2500
        r.close()
    finally:
        state["stop"] = True
        os.close(slave)
        os.close(master)


# ---- detection ------------------------------------------------------------------------------------
def test_detect_reports_reasons_and_picks_what_exists(tmp_path):
    reader, why = detect_reader("none", str(tmp_path))
    assert reader is None and "no energy meter" in why
    reader, why = detect_reader("auto", str(tmp_path))
    assert reader is None and "odpm" in why and "rapl" in why and "battery" in why
    _w(tmp_path / "sys/bus/iio/devices/iio:device0/energy_value", ODPM0)
    reader, why = detect_reader("auto", str(tmp_path))
    assert why is None and reader.name == "odpm"
    reader, why = detect_reader("tea-kettle", str(tmp_path))
    assert reader is None and "unknown energy source" in why


def test_every_registered_reader_is_a_profile_energy_name_and_builds_from_options(tmp_path):
    from edgeq.profiling.devices import ENERGY
    assert set(ENERGY) == set(READERS) | {"auto", "none"}
    _rapl_tree(tmp_path, 10, 20)
    reader, why = detect_reader("rapl", str(tmp_path), {"unrelated": 1})
    assert why is None and isinstance(reader, RaplReader)
    reader, why = detect_reader("serial-monitor", str(tmp_path), {})
    assert reader is None and why == "serial-monitor: needs energy_port in the device profile"
