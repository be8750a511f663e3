"""Message content keeps the reference's key names: ``experimental_attachments`` (AI SDK v4 ``UIMessage``)."""

from __future__ import annotations

from mastra_core import records as r
from mastra_core.serde import content_from_json, content_to_json, to_wire

ATTACHMENTS = [{"name": "a.png", "contentType": "image/png", "url": "https://example.com/a.png"}]


def test_attachments_are_stored_under_the_reference_key() -> None:
    content = r.MessageContent(parts=[r.TextPart(text="hi")], experimental_attachments=ATTACHMENTS)
    assert to_wire(content)["experimental_attachments"] == ATTACHMENTS
    assert "experimentalAttachments" not in content_to_json(content)
    assert content_from_json(content_to_json(content)).experimental_attachments == ATTACHMENTS


def test_rows_written_with_the_camel_case_key_still_read() -> None:
    old = '{"format":2,"parts":[{"type":"text","text":"hi"}],"experimentalAttachments":' + \
        '[{"name":"a.png","contentType":"image/png","url":"https://example.com/a.png"}]}'
    content = content_from_json(old)
    assert content.experimental_attachments == ATTACHMENTS and "experimentalAttachments" not in content.extra
