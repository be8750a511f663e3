"""The direct record <-> row path (``fastrow``) gives exactly what core's RowCodec gives, or hands over to it.

Every case is run both ways: ``Codec.encode``/``decode`` (fast path first) against the RowCodec alone, on records
and stored rows of the shapes a shared database can hold (text as bytes, JSON text that is not an object, dates in
another spelling, empty dates, JSON values json cannot write directly).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from mastra_core.records import Resource, Thread, WorkflowRun
from mastra_libsql.codec import Codec, ts
from mastra_libsql.domains.memory import RESOURCE, THREAD
from mastra_libsql.domains.workflows import RUN
from mastra_libsql.fastrow import Unusual
from mastra_libsql.schema import EXPIRES

AT = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)


class _Frozen(Mapping[str, Any]):
    """A mapping that is not a dict (json cannot write it; the converter can)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def _slow_encode(codec: Codec[Any], record: Any, expires: datetime | None) -> list[Any]:
    row = codec.rows.to_row(record, **{EXPIRES: ts(expires)})
    return [row[c] for c in codec._insert_order]


def _slow_decode(codec: Codec[Any], row: tuple[Any, ...]) -> Any:
    values: dict[str, Any] = {}
    for column, value in zip(codec._order, row, strict=True):
        if isinstance(value, bytes):
            value = value.decode("utf-8", "surrogatepass")
        values[column] = None if value == "" and column in codec._times else value
    return codec.rows.from_row(values)


RECORDS = [
    (THREAD, Thread(id="t", resource_id="r", created_at=AT, updated_at=AT)),
    (THREAD, Thread(id="t", resource_id="r", title="é ☃ \x00", metadata={"a": [1, 2.5, None, True, {"b": "c"}]},
                    created_at=AT, updated_at=AT + timedelta(milliseconds=1))),
    (THREAD, Thread(id="t", resource_id="r", metadata={"t": (1, 2), "o": OrderedDict(x=1)}, created_at=AT,
                    updated_at=AT)),
    (THREAD, Thread(id="t", resource_id="r", metadata={"m": _Frozen({"x": 1})}, created_at=AT, updated_at=AT)),
    (THREAD, Thread(id="t", resource_id="r", created_at=AT.astimezone(timezone(timedelta(hours=2))),
                    updated_at=AT)),
    (RESOURCE, Resource(id="r", working_memory="w" * 1024, metadata={}, created_at=AT, updated_at=AT)),
    (RUN, WorkflowRun(workflow_name="wf", run_id="1", snapshot={"status": "running", "context": {"n": [1, {}]}},
                      resource_id=None, created_at=AT, updated_at=AT)),
]


@pytest.mark.parametrize(("codec", "record"), RECORDS)
@pytest.mark.parametrize("expires", [None, AT + timedelta(days=1)])
def test_encode_equals_the_row_codec(codec: Codec[Any], record: Any, expires: datetime | None) -> None:
    assert codec.encode(record, expires) == _slow_encode(codec, record, expires)


@pytest.mark.parametrize(("codec", "record"), RECORDS)
def test_a_record_reads_back_as_the_row_codec_reads_it(codec: Codec[Any], record: Any) -> None:
    row = tuple(codec.encode(record)[: len(codec._order)])
    assert codec.decode(row) == _slow_decode(codec, row)


T = "2024-05-06T07:08:09.123Z"
ROWS = [
    (THREAD, ("t", "r", "title", '{"a":1}', T, T)),
    (THREAD, (b"t", b"r", b"\xed\xa0\x80 lone", None, T, T)),  # text written as bytes (lone surrogate)
    (THREAD, ("t", "r", None, None, "2024-05-06 07:08:09", "2024-05-06T07:08:09.123456+00:00")),  # other spellings
    (THREAD, ("t", "r", None, None, "", T)),  # empty date: the record's default
    (THREAD, ("t", "r", None, "[1, 2]", T, T)),  # JSON that is not an object (the RowCodec decides)
    (THREAD, ("t", "r", None, "null", T, T)),
    (RESOURCE, ("r", None, "not json", T, T)),
    (RUN, ("wf", "1", '{"status":"success"}', None, T, T)),
    (RUN, ("wf", "1", '"text"', "res", T, T)),
]


@pytest.mark.parametrize(("codec", "row"), ROWS)
def test_decode_equals_the_row_codec_or_fails_alike(codec: Codec[Any], row: tuple[Any, ...]) -> None:
    try:
        expected: Any = _slow_decode(codec, row)
    except Exception as exc:  # the RowCodec refuses it: so must the codec, with the same error
        with pytest.raises(type(exc)):
            codec.decode(row)
        return
    got = codec.decode(row)
    if row[-2] == "":  # created_at defaulted to now on both sides: compare the rest
        assert (got.id, got.metadata) == (expected.id, expected.metadata)
    else:
        assert got == expected


def test_the_fast_path_takes_plain_rows_and_hands_over_the_rest() -> None:
    assert THREAD.fast.decode(("t", "r", None, '{"a":1}', T, T)) == Thread(
        id="t", resource_id="r", metadata={"a": 1}, created_at=AT, updated_at=AT)
    for row in (("t", "r", None, "[1]", T, T), ("t", "r", None, None, "2024-05-06 07:08:09", T)):
        with pytest.raises(Unusual):
            THREAD.fast.decode(row)
    with pytest.raises(Unusual):
        THREAD.fast.encode(Thread(id="t", resource_id="r", metadata={"m": _Frozen({})}))


@pytest.mark.parametrize("text", ["hello", "é ☃ \x00 \"quoted\" \\ \n", ""])
def test_message_content_text_is_content_to_json(text: str) -> None:
    from mastra_core.records import Message, MessageContent, TextPart
    from mastra_core.serde import content_to_json
    from mastra_libsql.codec import message_params, safe_json

    messages = [Message.from_text(text, id="m", thread_id="t", resource_id="r"),
                Message(id="m", role="assistant", thread_id="t",
                        content=MessageContent(parts=[TextPart(text=text)], metadata={"k": [1, 2.5, None]}))]
    for m in messages:
        assert message_params(m, None)[2] == safe_json(content_to_json(m.content))
