"""`edgeq --help` lists the commands without importing them (numpy, TensorFlow): main imported all nine command
modules first, ~1.3 s of a 2 s `edgeq --help` on a loaded 2-core machine (0.24 s now)."""
from __future__ import annotations

import importlib
import subprocess
import sys

import click


def test_help_imports_no_command_module():
    code = ("import sys\nfrom edgeq.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('numpy', 'tensorflow', 'keras', 'edgeq.converter.cli', 'edgeq.profiling.cli') "
            "if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    out = r.stdout.strip().splitlines()
    assert out[-1] == "[]", out[-1]
    assert "convert   Convert MODEL (.keras, .h5, SavedModel" in r.stdout and "profile   Measure MODEL" in r.stdout


def test_each_listed_help_line_is_the_commands_own():
    from edgeq.cli import COMMANDS, cli
    ctx = click.Context(cli)
    for name, (module, attr, line) in COMMANDS.items():
        cmd = cli.get_command(ctx, name)
        assert cmd is getattr(importlib.import_module(module, "edgeq"), attr)
        assert cmd.get_short_help_str(limit=500) == line, name
    assert cli.get_command(ctx, "nosuch") is None
