"""``mastra_core.codegen.define``: generated functions run with their env and show their own source in tracebacks."""

from __future__ import annotations

import traceback

import pytest
from mastra_core.codegen import define


def test_the_function_runs_with_its_env() -> None:
    scale = define("scale", ["def scale(x):", "    return x * FACTOR"], {"FACTOR": 3}, what="test scale")
    assert scale(14) == 42
    assert scale.__name__ == "scale"


def test_a_traceback_shows_the_generated_line_and_names_it() -> None:
    check = define("check", ["def check(record):", "    v = record.missing", "    return v"], {},
                   what="test check")
    with pytest.raises(AttributeError) as failed:
        check(object())
    text = "".join(traceback.format_exception(failed.value))
    assert "<mastra generated test check #" in text
    assert "v = record.missing" in text  # the line itself, from linecache (not "<string>" with no source)


def test_each_definition_has_its_own_file_name() -> None:
    first = define("f", ["def f():", "    return 1"], {}, what="same")
    second = define("f", ["def f():", "    return 2"], {}, what="same")
    assert first.__code__.co_filename != second.__code__.co_filename
    assert (first(), second()) == (1, 2)
