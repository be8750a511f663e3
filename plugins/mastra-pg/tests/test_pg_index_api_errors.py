"""The pg index API raises only StorageErrors, whatever it is given (issue 12: psycopg and ValueErrors escaped)."""

from __future__ import annotations

from typing import Any

import pytest
from mastra_core.errors import ErrorCategory, StorageError


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.describe_index("idx\n"),  # a trailing newline used to pass the identifier check
        lambda s: s.describe_index(None),
        lambda s: s.list_indexes(table={"a": 1}),
        lambda s: s.drop_index(5),
        lambda s: s.create_index({"name": "x", "table": "mastra_threads", "columns": ["id; DROP TABLE t"]}),
        lambda s: s.create_index(name="y", table="no_such_table", columns=["id"]),
    ],
    ids=["trailing newline", "None name", "dict table", "int name", "unsafe column", "missing table"],
)
async def test_bad_index_calls_are_storage_errors(make_store: Any, call: Any) -> None:
    store = await make_store()
    with pytest.raises(StorageError) as info:
        await call(store)
    assert info.value.category in (ErrorCategory.USER, ErrorCategory.THIRD_PARTY)
