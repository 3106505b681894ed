#!/usr/bin/env bash
# The test command of the README: installs what the suite needs (apt and pip), then runs it.
# Usage: bash tests/run.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the tests start for real (sshd, adb, qemu, cross compilers, PoCL); waits for apt's lock.
bash tests/install-system-packages.sh

# Python environment: a venv in the checkout, edgeq installed editable (this builds the delegates).
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
quiet() { "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }; }
quiet .venv/bin/python -m pip install -q --upgrade pip
quiet .venv/bin/python -m pip install -q -e ".[test]"
# onnx2tf imports tf_keras, whose wheel requires the full `tensorflow` wheel: installed beside tensorflow-cpu it
# overwrites that build's files with another one (other float numerics: the demo's trained figures change), so the
# tests take tf-keras of the same version without its dependencies
TFV=$(.venv/bin/python -c "import importlib.metadata as m
for d in ('tensorflow-cpu', 'tensorflow'):
    try: print(m.version(d)); break
    except m.PackageNotFoundError: pass")
quiet .venv/bin/python -m pip install -q --no-deps "tf-keras==${TFV%.*}.*"

echo "== running tests"
exec .venv/bin/python -m pytest -q "$@"
