"""A bounded, seeded fuzz of damaged .tflite files: byte-level (bit flips, bytes, 32-bit words, truncation) and
structure-level (indices, types, shapes rewritten in the parsed model) mutations of real models go through
``edgeq inspect``, the converter's model reader and both delegates. edgeq may refuse a file, in one line; it may
not raise a traceback, and a delegate may not crash where stock LiteRT alone does not."""
from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from edgeq.errors import EdgeqError

BYTE_MUTATIONS = 600
STRUCT_MUTATIONS = 120
DELEGATE_MUTATIONS = 30


@pytest.fixture(scope="module")
def int8_model(tiny, tmp_path_factory) -> Path:
    import edgeq

    p = tmp_path_factory.mktemp("fuzz") / "tiny_int8.tflite"
    edgeq.convert(tiny.float_tflite, tiny.calib, calibration="minmax").save(p, manifest_sidecar=False)
    return p


def byte_mutants(data: bytes, n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        b = bytearray(data)
        kind = rng.choice(["flip", "byte", "word", "trunc"])
        if kind == "flip":
            for _ in range(rng.randint(1, 8)):
                j = rng.randrange(len(b))
                b[j] ^= 1 << rng.randrange(8)
        elif kind == "byte":
            for _ in range(rng.randint(1, 4)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind == "word":  # flatbuffer offsets and lengths are 32-bit words
            j = rng.randrange(0, len(b) - 4) & ~3
            b[j:j + 4] = rng.choice([0, 1, 0xFFFFFFFF, 0x7FFFFFFF, rng.randrange(1 << 32)]).to_bytes(4, "little")
        else:
            b = b[:rng.randrange(8, len(b))]
        out.append(bytes(b))
    return out


def struct_mutants(data: bytes, n: int, seed: int) -> list[bytes]:
    """Valid flatbuffers whose content is wrong: what a buggy exporter writes."""
    from edgeq.tflite_schema import schema, write_model
    s = schema()
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        m = s.ModelT.InitFromObj(s.Model.GetRootAsModel(data, 0))
        sg = m.subgraphs[0]
        kind = rng.choice(["op-input", "op-output", "opcode", "buffer", "sg-io", "type", "shape", "builtin",
                           "no-subgraph", "metadata", "name"])
        big = rng.choice([len(sg.tensors), len(sg.tensors) + 7, 1 << 20, -2])
        op = rng.choice(sg.operators)
        t = rng.choice(sg.tensors)
        if kind == "op-input":
            op.inputs = list(op.inputs)
            op.inputs[rng.randrange(len(op.inputs))] = big
        elif kind == "op-output":
            op.outputs = [big] + list(op.outputs)[1:]
        elif kind == "opcode":
            op.opcodeIndex = len(m.operatorCodes) + rng.randrange(5)
        elif kind == "buffer":
            t.buffer = len(m.buffers) + rng.randrange(5)
        elif kind == "sg-io":
            if rng.random() < 0.5:
                sg.inputs = [big] + list(sg.inputs)[1:]
            else:
                sg.outputs = [big] + list(sg.outputs)[1:]
        elif kind == "type":
            t.type = rng.choice([-1, 99, 127])
        elif kind == "shape":
            t.shape = [rng.choice([-7, 0, 1 << 40, 3])] + list(t.shape if t.shape is not None else [])[1:]
        elif kind == "builtin":
            m.operatorCodes[0].builtinCode = rng.choice([250, 1000])
            m.operatorCodes[0].deprecatedBuiltinCode = 127
        elif kind == "no-subgraph":
            m.subgraphs = []
        elif kind == "metadata":
            md = s.MetadataT()
            md.name, md.buffer = b"x", len(m.buffers) + 3
            m.metadata = (m.metadata or []) + [md]
        else:
            t.name = bytes(rng.randrange(128, 256) for _ in range(6))
        try:
            out.append(write_model(m))
        except Exception:  # noqa: BLE001 - the flatbuffers builder refuses some values (e.g. negative unsigned)
            continue
    return out


def _check_inspect(run_cli, path: Path, blob: bytes, what: str) -> str:
    path.write_bytes(blob)
    res = run_cli("inspect", path)
    assert "Traceback" not in res.err + res.out, (what, res.err[-2000:])
    if res.code == 0:
        return "read"
    lines = [ln for ln in res.err.splitlines() if ln.strip()]
    assert res.code == 2 and len(lines) == 1 and lines[0].startswith("edgeq: error: "), (what, res.code, res.err)
    return "refused"


def test_inspect_survives_byte_mutations(run_cli, int8_model, tmp_path):
    seen = {"read": 0, "refused": 0}
    for i, blob in enumerate(byte_mutants(int8_model.read_bytes(), BYTE_MUTATIONS, seed=12)):
        seen[_check_inspect(run_cli, tmp_path / "m.tflite", blob, f"byte mutant {i}")] += 1
    assert seen["refused"] > 50 and seen["read"] > 10, seen  # the mutations do reach both outcomes


def test_inspect_and_the_model_reader_survive_structure_mutations(run_cli, tiny, int8_model, tmp_path):
    from edgeq.model_source import load_model
    mutants = struct_mutants(int8_model.read_bytes(), STRUCT_MUTATIONS, seed=13)
    assert len(mutants) > STRUCT_MUTATIONS // 2
    refused = sum(_check_inspect(run_cli, tmp_path / "m.tflite", b, f"struct mutant {i}") == "refused"
                  for i, b in enumerate(mutants))
    assert refused > len(mutants) // 2
    # the converter's reader takes float models: the same mutations of one
    for i, blob in enumerate(struct_mutants(tiny.float_tflite.read_bytes(), 40, seed=14)):
        p = tmp_path / "f.tflite"
        p.write_bytes(blob)
        try:
            load_model(p)
        except EdgeqError as e:
            assert "\n" not in str(e), (i, str(e))


DELEGATE_SCRIPT = textwrap.dedent(r'''
    import json, sys
    import numpy as np
    from edgeq.runtime import Interpreter
    for line in sys.stdin:
        path, mode = line.split()
        print("START", path, mode, flush=True)
        try:
            it = Interpreter(path, resolver="builtin", delegates=[] if mode == "stock" else [mode], num_threads=1)
            it.run([np.zeros(d["shape"], d["dtype"]) for d in it.raw.get_input_details()])
            print("DONE ok", flush=True)
        except BaseException as e:  # a refusal is fine; only a crash of the process is not
            print("DONE refused", type(e).__name__, flush=True)
''')


def _run_isolated(jobs: list[tuple[str, str]], timeout: float = 300) -> dict[tuple[str, str], str]:
    """Run (path, mode) jobs in a worker process; one that kills the worker is a 'crash', the rest go on."""
    results: dict[tuple[str, str], str] = {}
    todo = list(jobs)
    while todo:
        p = subprocess.run([sys.executable, "-c", DELEGATE_SCRIPT], input="".join(f"{a} {b}\n" for a, b in todo),
                           capture_output=True, text=True, timeout=timeout)
        current = None
        for ln in p.stdout.splitlines():
            if ln.startswith("START "):
                current = tuple(ln.split()[1:3])
            elif ln.startswith("DONE ") and current:
                results[current] = ln.split()[1]
                current = None
        if current is not None:  # the worker died inside this job
            results[current] = f"crash (exit {p.returncode})"
        todo = [j for j in todo if j not in results]
        if p.returncode == 0 and todo:
            raise AssertionError(f"worker ended without running {todo[:3]}: {p.stderr[-1000:]}")
    return results


@pytest.mark.parametrize("delegate", ["cpu", "gpu"])
def test_delegates_do_not_crash_where_stock_litert_does_not(int8_model, tmp_path, delegate):
    from edgeq.errors import EdgeqError as _E
    from edgeq.runtime import delegate_path
    try:
        delegate_path(delegate)
    except _E:
        pytest.skip(f"edgeq's {delegate} delegate is not built here")
    blobs = byte_mutants(int8_model.read_bytes(), DELEGATE_MUTATIONS, seed=15) + \
        struct_mutants(int8_model.read_bytes(), DELEGATE_MUTATIONS, seed=16)
    paths = []
    for i, b in enumerate(blobs):
        p = tmp_path / f"m{i}.tflite"
        p.write_bytes(b)
        paths.append(str(p))
    res = _run_isolated([(p, m) for p in paths for m in ("stock", delegate)])
    worse = [p for p in paths if res[(p, delegate)].startswith("crash") and not res[(p, "stock")].startswith("crash")]
    assert not worse, [(p, res[(p, "stock")], res[(p, delegate)]) for p in worse]
    assert sum(r == "ok" for (p, m), r in res.items() if m == delegate) > 0  # the delegate did run some
