#!/usr/bin/env bash
# The main job: install core + the embedded libSQL backend + mastra-memory (which brings `mastra demo`)
# into .venv and run `mastra demo` on file:./mastra.db (pass --url URL to use another backend).
#
# The packages are installed in editable mode, so a change to their Python sources needs no reinstall;
# only their pyproject.toml files (dependencies, entry points) do. .venv/.mastra-demo-stamp records a hash
# of those files and of the Python version: when it matches, the install step is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
PACKAGES=(core plugins/mastra-libsql plugins/mastra-memory)
STAMP=.venv/.mastra-demo-stamp

if [ ! -x .venv/bin/python ]; then
  echo "demo: creating the virtual environment .venv (python3 -m venv)" >&2
  python3 -m venv .venv
fi

wanted=$( { .venv/bin/python --version; for p in "${PACKAGES[@]}"; do echo "$p"; cat "$p/pyproject.toml"; done; } \
          | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$wanted" ] && [ -x .venv/bin/mastra ]; then
  echo "demo: ${PACKAGES[*]} already installed in .venv (editable; pyproject files unchanged)" >&2
else
  echo "demo: installing ${PACKAGES[*]} into .venv (editable; the first time takes a minute)..." >&2
  args=()
  for p in "${PACKAGES[@]}"; do args+=(-e "$p"); done
  .venv/bin/python -m pip install -q --disable-pip-version-check "${args[@]}"
  echo "$wanted" > "$STAMP"
  echo "demo: installed" >&2
fi
echo "demo: running .venv/bin/mastra demo $*" >&2
exec .venv/bin/mastra demo "$@"
