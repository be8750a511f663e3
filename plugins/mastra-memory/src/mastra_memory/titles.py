"""Thread titles: the text a title is generated from, the cleaning of a generated title, the generators.

The default generator is rule-based (the first line of the message). Others are callables (sync or
async, ``text -> title``), optionally taking ``model`` and ``instructions`` keywords, registered by name
with :func:`register_title_generator`; :func:`model_title_generator` builds one over a model client.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

from mastra_core.errors import ValidationError
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


TitleFn = Callable[..., Any]
_GENERATORS: dict[str, TitleFn] = {"rule-based": first_words_title}


def register_title_generator(name: str, generator: TitleFn) -> None:
    """Register a generator under ``name`` so configs can say ``generate_title="<name>"`` (replaces an earlier one)."""
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(
            "a title generator needs a non-empty name", id="MASTRA_MEMORY_TITLE_GENERATOR_INVALID_NAME"
        )
    if not callable(generator):
        raise ValidationError(f"title generator {name!r} is not callable", id="MASTRA_MEMORY_TITLE_GENERATOR_INVALID")
    _GENERATORS[name] = generator


def get_title_generator(name: str) -> TitleFn:
    """The generator registered under ``name`` (``rule-based`` is always there)."""
    generator = _GENERATORS.get(name)
    if generator is None:
        raise ValidationError(
            f"no title generator {name!r} is registered (registered: {sorted(_GENERATORS)})",
            id="MASTRA_MEMORY_TITLE_GENERATOR_UNKNOWN",
        )
    return generator


def accepts_model(generator: TitleFn) -> bool:
    """Whether ``generator`` takes the ``model`` and ``instructions`` keyword arguments (or ``**kwargs``)."""
    try:
        params = inspect.signature(generator).parameters.values()
    except (TypeError, ValueError):
        return False
    names = {p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)}
    return any(p.kind is p.VAR_KEYWORD for p in params) or {"model", "instructions"} <= names


def model_title_generator(complete: Callable[[str, str, Any], Any], *, default_model: Any = None) -> TitleFn:
    """A title generator over the caller's model client.

    ``complete(instructions, text, model)`` asks the model (sync or async) and returns its answer; the
    generator passes :data:`INSTRUCTIONS` (or the config's ``instructions``) and the config's ``model``
    (or ``default_model``). With the OpenAI client, for example::

        client = openai.AsyncOpenAI()

        async def complete(instructions, text, model):
            r = await client.chat.completions.create(model=model, messages=[
                {"role": "system", "content": instructions}, {"role": "user", "content": text}])
            return r.choices[0].message.content

        register_title_generator("openai", model_title_generator(complete, default_model="gpt-4o-mini"))
    """

    async def generate(text: str, *, model: Any = None, instructions: str | None = None) -> str:
        answer = complete(instructions or INSTRUCTIONS, text, model if model is not None else default_model)
        if inspect.isawaitable(answer):
            answer = await answer
        return str(answer)

    return generate
