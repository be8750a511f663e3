"""Working memory: the default template, the JSON deep merge, the system instruction and the update tool.

Pure helpers; :class:`~mastra_memory.Memory` does the storage side (atomic read-modify-write
through ``modify_resource`` / ``modify_thread``).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import attrs

DEFAULT_TEMPLATE = """# User Information
- **First Name**:
- **Last Name**:
- **Location**:
- **Occupation**:
- **Interests**:
- **Goals**:
- **Events**:
- **Facts**:
- **Projects**:
"""

TOOL_NAME = "updateWorkingMemory"
TOOL_ID = "update-working-memory"


@attrs.frozen(kw_only=True)
class WorkingMemoryTemplate:
    """What the agent is asked to maintain: ``format`` ``markdown`` (content: the template) or ``json`` (content:
    the schema as JSON)."""

    format: Literal["markdown", "json"]
    content: str


def deep_merge(base: Any, patch: Any) -> Any:
    """Merge ``patch`` into ``base``: objects merge recursively, ``None`` deletes a key, arrays and scalars replace."""
    if not isinstance(patch, Mapping):
        return patch
    out: dict[str, Any] = dict(base) if isinstance(base, Mapping) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, Mapping):
            out[key] = deep_merge(out.get(key), value)
        else:
            out[key] = value
    return out


def parse_json_memory(text: str | None) -> dict[str, Any]:
    """Stored JSON working memory as a dict (missing or unreadable: ``{}``)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _strip_required(schema: Any) -> Any:
    """The schema with every ``required`` removed: an update may name any subset of the fields."""
    if isinstance(schema, Mapping):
        return {k: _strip_required(v) for k, v in schema.items() if k != "required"}
    if isinstance(schema, list):
        return [_strip_required(v) for v in schema]
    return schema


def tool_input_schema(template: WorkingMemoryTemplate, schema: Mapping[str, Any] | None) -> dict[str, Any]:
    """JSON Schema of the update tool's input (``{"memory": ...}``)."""
    if template.format == "json" and schema is not None:
        memory: dict[str, Any] = {
            **_strip_required(dict(schema)),
            "description": "The fields to change, as an object matching the schema. Fields you leave out are kept; "
            "null deletes a field; arrays replace the stored array.",
        }
        memory.setdefault("type", "object")
    else:
        memory = {
            "type": "string",
            "description": "The complete working memory as Markdown, following the template. "
            "It replaces what is stored, "
            "so repeat everything worth keeping.",
        }
    return {"type": "object", "properties": {"memory": memory}, "required": ["memory"], "additionalProperties": False}


def system_instruction(
    template: WorkingMemoryTemplate, data: str | None, scope: str, *, read_only: bool = False
) -> str:
    """The instruction an agent gets: how to use the tool, the template and the current data.

    ``read_only``: the data as context only, with no tool to call (the reference's read-only memory).
    """
    where = "across all conversations with this user" if scope == "resource" else "for this conversation"
    if read_only:
        return (
            "WORKING MEMORY (read-only)\n"
            f"These are notes kept {where}. Use them to answer naturally; they cannot be updated in this "
            "conversation, and do not mention them to the user.\n"
            f"<working_memory_data>\n{data if data else '(empty)'}\n</working_memory_data>"
        )
    how = (
        "Send only the fields that changed as an object; omitted fields are kept, null removes a field."
        if template.format == "json"
        else "Send the whole Markdown document each time: it replaces the stored one, so keep existing facts."
    )
    return (
        "WORKING MEMORY\n"
        f"You keep notes {where} in working memory. Whenever the user shares something worth remembering "
        "(name, preferences, goals, facts, ongoing projects) or corrects an earlier fact, call the "
        f"`{TOOL_NAME}` tool right away, before answering. {how} Do not mention working memory to the user; "
        "use what it holds to answer naturally.\n"
        f'<working_memory_template format="{template.format}">\n{template.content}\n</working_memory_template>\n'
        f"<working_memory_data>\n{data if data else '(empty)'}\n</working_memory_data>"
    )


@attrs.frozen(kw_only=True)
class WorkingMemoryTool:
    """The update tool for agent frameworks: ``name``, ``description``, ``input_schema``, and ``execute``.

    ``await tool.execute({"memory": ...}, thread_id=..., resource_id=...)`` stores the update and returns
    ``{"success": True, "working_memory": <stored text>}``.
    """

    name: str
    id: str
    description: str
    input_schema: dict[str, Any]
    _run: Callable[..., Awaitable[dict[str, Any]]] = attrs.field(alias="run", repr=False)

    async def execute(
        self, args: Mapping[str, Any], *, thread_id: str | None = None, resource_id: str | None = None
    ) -> dict[str, Any]:
        """Run the tool with the model's arguments."""
        return await self._run(args, thread_id=thread_id, resource_id=resource_id)

    def to_openai(self) -> dict[str, Any]:
        """The OpenAI function-tool form ``{"type": "function", "function": {...}}``."""
        return {
            "type": "function",
            "function": {"name": self.name, "description": self.description, "parameters": self.input_schema},
        }

    def to_anthropic(self) -> dict[str, Any]:
        """The Anthropic tool form ``{"name", "description", "input_schema"}``."""
        return {"name": self.name, "description": self.description, "input_schema": self.input_schema}
