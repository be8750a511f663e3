"""The README's example runs as written (in a temporary directory, on the libSQL file it names)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_the_readme_example_runs(tmp_path: Path) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    example = next(b for b in blocks if "MastraSpanExporter(storage)" in b)
    (tmp_path / "example.py").write_text(example)
    run = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert [line.rstrip() for line in run.stdout.splitlines()] == [
        "invoke_agent weather [agent_run]",
        "  chat gpt-4o [model_generation] {'inputTokens': 42, 'outputTokens': 7, 'totalTokens': 49}",
        "  execute_tool get_weather [tool_call]  {'message': 'weather service timed out'}",
        "1 agent run(s) stored",
    ]
    assert (tmp_path / "traces.db").exists()
