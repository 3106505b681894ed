"""The README's demo output is what a fresh run prints: the demo trains, converts and compares in a new
process (single-threaded, seeded: apps/demo/model.py) and every line of the README's block appears in
its output, in order. The README's block came from another run on another machine, so this is the demo
run twice. Masked: the output folder, the conversion's seconds and the .keras file's sha256 (the .keras
zip stores file times); left out: the latency profile (timings, skipped here with --no-profile)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
README_OUT = "apps/demo/out"


def _readme_block() -> list[str]:
    text = (REPO / "README.md").read_text()
    at = text.index("== converting to full int8")  # the demo's output block
    block = text[text.rindex("```", 0, at) + 3:text.index("```", at)]
    lines = block.strip("\n").splitlines()
    prof = next(i for i, ln in enumerate(lines) if ln.startswith("== profiling"))
    return lines[:prof]


def test_the_note_under_the_block_says_what_the_block_shows():
    """The parenthesis under the demo block counts each runtime that differs from LiteRT's builtin kernels as
    the block does (it said 'a few steps' for XNNPACK's 13, and 'agree bit for bit' of the reference kernels
    after they began to differ on 1 of 450), and no other."""
    text = (REPO / "README.md").read_text()
    at = text.index("== converting to full int8")
    end = text.index("```", at) + 3
    note = text[end:text.index("\n\n", end + 2)].replace("\n", " ")
    rows = re.findall(r"^  (\S+) +identical to LiteRT builtin: (yes|no) +\(max \|diff\| (\d+), (\d+) of (\d+) samples",
                      text[at:end], re.M)
    assert len(rows) == 4, rows
    names = {"litert-default": "`litert-default`", "litert-reference": "reference kernels",
             "tflite-micro": "TFLite Micro", "litert-builtin": None}
    for name, same, diff, k, n in rows:
        if same == "no":
            assert f"{k} of {n} samples" in note and f"{diff} steps" in note, (name, note)
    differ = [names[r[0]] for r in rows if r[1] == "no"]
    assert note.count(" differ") == len(differ) and all(d in note for d in differ), note
    assert "TFLite Micro" not in differ and "bit for bit" in note


def _normalize(line: str, out: str) -> str:
    line = line.replace(out, README_OUT)
    line = re.sub(r"sha256 [0-9a-f]{12}", "sha256 <keras file>", line)
    return re.sub(r" in \d+\.\d s$", " in <s> s", line)


def test_a_fresh_demo_run_prints_the_readme_figures(tmp_path):
    want = [_normalize(ln, README_OUT) for ln in _readme_block()]
    assert len(want) >= 10 and any(ln.startswith("  probs: top-1 agreement") for ln in want)
    out = tmp_path / "out"
    r = subprocess.run([sys.executable, str(REPO / "apps" / "demo" / "main.py"), "--out", str(out), "--retrain",
                        "--no-profile"], capture_output=True, text=True, timeout=900,
                       env={k: v for k, v in os.environ.items() if not k.startswith("TF_")})
    assert r.returncode == 0, r.stderr[-3000:]
    got = [_normalize(ln, str(out)) for ln in r.stdout.splitlines()]
    i = 0
    for line in want:  # in order; the README abridges (op table, inputs/outputs)
        while i < len(got) and got[i].rstrip() != line.rstrip():
            i += 1
        assert i < len(got), f"README line not printed by a fresh run: {line!r}\n--- run:\n{r.stdout}"
        i += 1
