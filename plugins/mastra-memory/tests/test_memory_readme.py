"""The README's context-building example runs as written and prints what its comments say."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_context_building_example_runs() -> None:
    block = next(b for b in re.findall(r"```python\n(.*?)```", README.read_text(), re.DOTALL) if "build_context" in b
                 and "asyncio.run" in b)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})
    expected = [line.split("#", 1)[1].strip() for line in block.splitlines() if line.lstrip().startswith("print(")]
    assert out.getvalue().splitlines() == expected
