"""The README's example runs as written (in a temporary directory, on the libSQL file it names)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_example_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    example = next(b for b in blocks if "asyncio.run(main())" in b)
    (tmp_path / "example.py").write_text(example)
    run = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "OPENAI_API_KEY": ""})
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "The tool says: sunny in Paris"
    assert lines[1] == "['message', 'function_call', 'function_call_output', 'message']"
    assert lines[4] == "[('user', 'text'), ('assistant', 'tool-invocation'), ('tool', 'tool-invocation')]"
    assert (tmp_path / "agents.db").exists()
