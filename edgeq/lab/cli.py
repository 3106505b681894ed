"""``edgeq lab start|status|stop``: the click group the main CLI registers (``edgeq.lab.cli:lab``).

Kept import-light: the lab modules load only when a lab command runs.
"""
from __future__ import annotations

import json

import click


def _log(msg: str) -> None:
    click.echo(msg, err=True)


def _print_status(st: dict) -> None:
    if not st.get("devices"):
        click.echo(f"no lab running (state dir {st.get('lab_dir')})")
        return
    click.echo(f"edgeq lab started {st.get('started')}  ({st.get('notice')})")
    for name, dev in st["devices"].items():
        click.echo(f"  {name:<6} {'up  ' if dev.get('up') else 'DOWN'}  {dev.get('uri', '?')}")
    devs = st["devices"]
    if "pi" in devs and "ssh_config" in devs["pi"]:
        click.echo(f"  ssh:    ssh -F {devs['pi']['ssh_config']} root@{devs['pi']['addr']}   "
                   f"(for edgeq profile: export {devs['pi']['ssh_env']})")
    if "phone" in devs:
        click.echo(f"  adb:    {devs['phone']['adb_connect']}   (the phone trusts ~/.android/adbkey.pub and the "
                   f"lab's key: export {devs['phone'].get('adb_env', 'ADB_VENDOR_KEYS=LAB/adbkey')} before "
                   "the adb server starts)")
    if st.get("profiles_dir"):
        click.echo(f"  profiles: export EDGEQ_DEVICE_PROFILES={st['profiles_dir']}   "
                   "then --device lab-pi / lab-phone / lab-board")


@click.group("lab")
def lab() -> None:
    """Emulated devices for CI without hardware: an arm64 Raspberry Pi (ssh), a phone (adb), an MCU board (serial).

    \b
    Needs root (namespaces, mounts, chroot) and qemu-user-static with binfmt_misc.
    The first start builds a Debian arm64 rootfs into ~/.cache/edgeq/lab (minutes); later starts reuse it.
    Timings measured on lab devices are NOT hardware timings.
    """


@lab.command()
def start() -> None:
    """Build (once) and start the lab's devices, then print how to reach them."""
    from .lab import start as start_lab, status
    start_lab(_log)
    _print_status(status())


@lab.command()
@click.option("--json", "as_json", is_flag=True, help="Print the state (URIs, ssh options, pids) as JSON.")
def status(as_json: bool) -> None:
    """Say which lab devices are up and how to reach them."""
    from .lab import status as lab_status
    st = lab_status()
    if as_json:
        click.echo(json.dumps(st, indent=2))
    else:
        _print_status(st)


@lab.command()
def stop() -> None:
    """Stop every lab device and remove its namespaces, veths, mounts and processes."""
    from .lab import stop as stop_lab
    stop_lab(_log)
