#!/usr/bin/env bash
# The main job: install core + the embedded libSQL backend + mastra-memory (which brings `mastra demo`)
# into .venv and run `mastra demo` on file:./mastra.db (pass --url URL to use another backend).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e core -e plugins/mastra-libsql -e plugins/mastra-memory
exec .venv/bin/mastra demo "$@"
