"""One way to configure: option aliases (the shared names and the old keyword names), giving both is an error."""

from __future__ import annotations

import pytest
from mastra_core.errors import ConfigError
from mastra_core.storage import apply_aliases


def test_aliases_rename_and_conflicts_are_errors() -> None:
    aliases = {"url": "connection_string"}
    assert apply_aliases({"url": "x", "a": 1}, aliases, "pg") == {"connection_string": "x", "a": 1}
    assert apply_aliases({"connection_string": "x"}, aliases, "pg") == {"connection_string": "x"}
    with pytest.raises(ConfigError, match="not both"):
        apply_aliases({"url": "x", "connection_string": "y"}, aliases, "pg")
