"""The mastra command: backends table, demo, init, plugin sub-commands, errors."""

from __future__ import annotations

import pytest
from mastra_core.cli import main


def test_backends_lists_inmemory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "inmemory" in out and "mastra-core" in out and "memory, workflows, scores" in out


def test_demo_on_memory(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--url", "memory:"]) == 0
    out = capsys.readouterr().out
    for section in ("1. resource and thread", "3. last 3 messages (of 8)", "4. include window", "5. working memory",
                    "6. workflow snapshot, reloaded", "7. scores of the run", "8. trace"):
        assert section in out
    assert "demo-m3" in out and "success" in out


def test_unknown_command_and_unknown_backend(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["frobnicate"]) == 2
    assert "unknown command" in capsys.readouterr().err
    assert main(["init", "nosuch://x"]) == 2
    assert "no installed backend" in capsys.readouterr().err
