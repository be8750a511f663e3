"""Every ```python block of README.md and of each plugin README runs, as a program of its own, against the real
services of the test environment (issue 13, item 4). The docs show local placeholder URLs; the test swaps them for
the services' before running, and fails when a placeholder it expects is gone (docs and test stay in step).

The blocks of one README run in order in one fresh directory (a later block may read what an earlier one wrote).
mastra-embed-local's README needs the model: the ``memory`` nox session runs it (``-k embed_local``); the ``docs``
session runs the others (``-k "not embed_local"``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docs_helpers import ROOT, env_url, run_python, service_urls, with_database

#: README -> the placeholders its blocks use (replaced by the test environment's URLs).
READMES: dict[str, tuple[str, ...]] = {
    "README.md": (),
    "plugins/mastra-libsql/README.md": (),
    "plugins/mastra-pg/README.md": ("postgresql://user:pw@localhost:5432/app",),
    "plugins/mastra-mongodb/README.md": ("mongodb://localhost:27017/mastra",),
    "plugins/mastra-dynamodb/README.md": ("http://127.0.0.1:8000",),
    "plugins/mastra-upstash/README.md": ("redis://127.0.0.1:6379/0",),
    "plugins/mastra-mysql/README.md": ("mysql://app:secret@127.0.0.1:3306/mastra",),
    "plugins/mastra-memory/README.md": (),
    "plugins/mastra-embed-local/README.md": (),
}
#: READMEs whose blocks run elsewhere, or not yet, and why (each README with a block is here or in READMES).
NOT_YET = {
    "plugins/mastra-langchain/README.md": "run by its own tests (test_langchain_readme.py, nox session langchain)",
    "plugins/mastra-openai-agents/README.md": "run by its own tests (test_openai_agents_readme.py, integrations)",
    "plugins/mastra-otel/README.md": "run by its own tests (nox session integrations)",
}
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def _substitutions() -> dict[str, str]:
    urls = service_urls()
    return {
        "postgresql://user:pw@localhost:5432/app": urls["pg"],
        "mongodb://localhost:27017/mastra": urls["mongodb"],
        "http://127.0.0.1:8000": env_url("MASTRA_TEST_DYNAMODB_ENDPOINT"),
        "redis://127.0.0.1:6379/0": env_url("MASTRA_TEST_REDIS_URL"),
        "mysql://app:secret@127.0.0.1:3306/mastra": with_database(env_url("MASTRA_TEST_MYSQL_URL"), "mastra_docs"),
    }


def test_every_readme_is_covered() -> None:
    found = {p.relative_to(ROOT).as_posix() for p in [ROOT / "README.md", *ROOT.glob("plugins/*/README.md")]
             if _BLOCK.search(p.read_text())}
    assert found == set(READMES) | set(NOT_YET)


@pytest.mark.parametrize("readme", sorted(READMES), ids=lambda r: r.split("/")[-2].replace("-", "_")
                         if "/" in r else "root")
def test_readme_blocks_run(readme: str, tmp_path: Path) -> None:
    text = (ROOT / readme).read_text()
    blocks = _BLOCK.findall(text)
    assert blocks, f"{readme} has no python block"
    subs = {k: v for k, v in _substitutions().items() if k in READMES[readme]} if READMES[readme] else {}
    for placeholder in READMES[readme]:
        assert placeholder in text, f"{readme} no longer shows {placeholder!r}: update READMES"
    for number, block in enumerate(blocks, 1):
        for placeholder, url in subs.items():
            block = block.replace(placeholder, url)
        out = run_python(block, tmp_path)
        assert out.returncode == 0, f"{readme} block {number} failed:\n{block}\n{out.stderr[-3000:]}"
