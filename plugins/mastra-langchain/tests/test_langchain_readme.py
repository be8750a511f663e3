"""The README's examples run as written (in a temporary directory: they create libSQL files there)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL)


def test_the_readme_has_its_examples() -> None:
    assert len(BLOCKS) == 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(BLOCKS[index], f"README.md[{index}]", "exec"), {"__name__": "__readme__"})
    printed = out.getvalue().splitlines()
    # every `print(...)  # expected` comment of the block is what it printed
    expected = [line.split("#", 1)[1].strip() for line in BLOCKS[index].splitlines()
                if line.lstrip().startswith("print(") and "#" in line]
    assert printed == expected
