"""Thread titles: the text a title is generated from, the cleaning of a generated title, a default generator."""

from __future__ import annotations

import re

from mastra_core.records import messages as m

MAX_TITLE = 80
_THINK = re.compile(r"<think>.*?(</think>|$)", re.IGNORECASE | re.DOTALL)
_QUOTES = re.compile("[\"'`\u2018\u2019\u201c\u201d\u00ab\u00bb]")
_SPACE = re.compile(r"\s+")

INSTRUCTIONS = (
    "Write a short title for a conversation that starts with the message below: a summary of it in at most "
    f"{MAX_TITLE} characters, without quotes or colons. Answer with the title only."
)


def title_source(message: m.Message) -> str:
    """The text a title is made from: text parts as they are, URLs and files described (first 100 characters)."""
    pieces: list[str] = []
    for part in message.content.parts:
        if isinstance(part, m.TextPart) and part.text:
            pieces.append(part.text)
        elif isinstance(part, m.SourcePart):
            pieces.append(f"User added URL: {str(part.source.get('url', ''))[:100]}")
        elif isinstance(part, m.FilePart):
            pieces.append(f"User added {part.mime_type} file: {part.data[:100]}")
    if not pieces and message.content.content:
        pieces.append(message.content.content)
    return "\n".join(pieces).strip()


def clean_title(raw: str) -> str:
    """Strip ``<think>`` blocks, quotes and colons, collapse whitespace, cut to 80 characters at a word boundary."""
    text = _THINK.sub(" ", raw)
    text = _QUOTES.sub("", text).replace(":", " ")
    text = _SPACE.sub(" ", text).strip(" .-\u2013\u2014")
    if len(text) > MAX_TITLE:
        cut = text[:MAX_TITLE]
        space = cut.rfind(" ")
        text = (cut[:space] if space >= MAX_TITLE // 2 else cut).rstrip(" ,;.-")
    return text


async def first_words_title(text: str) -> str:
    """The default generator (offline, no model): the first line of the message, shortened."""
    first = next((line for line in text.splitlines() if line.strip()), text)
    return first
