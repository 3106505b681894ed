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

echo "== running tests"
exec .venv/bin/python -m pytest -q "$@"
