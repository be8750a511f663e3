#!/usr/bin/env bash
# Every test: install nox into .venv, start (or reuse) every real service, run every nox session
# (lint, core, conformance for each backend, memory, interop). Extra arguments go to nox, e.g.
# `./scripts/test.sh -s "conformance(pg)"`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check 'nox>=2024.4'
echo "== starting services" >&2
bash scripts/services/start.sh all >/dev/null
echo "== running nox" >&2
exec .venv/bin/nox "$@"
