#!/usr/bin/env bash
# Every test: install nox into .venv, start (or reuse) every real service, run every default nox session
# (lint, core, conformance for each backend, memory, integrations, interop, ops, packaging, docs), two at a
# time (scripts/run_sessions.py; MASTRA_TEST_JOBS=1 runs them one by one). Extra arguments go to nox
# itself instead, e.g. `./scripts/test.sh -s "conformance(pg)"`.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check 'nox>=2024.4'
echo "== starting services" >&2
bash scripts/services/start.sh all >/dev/null
if [ "$#" -gt 0 ]; then
  echo "== running nox $*" >&2
  exec .venv/bin/nox "$@"
fi
echo "== running every nox session, ${MASTRA_TEST_JOBS:-2} at a time" >&2
exec .venv/bin/python scripts/run_sessions.py --jobs "${MASTRA_TEST_JOBS:-2}"
