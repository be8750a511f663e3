"""A full ``Runner.run`` of the real Agents SDK, with a local model stub (no network), keeping its history in a
MastraSession on every backend."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from agents import Agent, Model, ModelResponse, Runner, function_tool, set_tracing_disabled
from agents.usage import Usage
from mastra_core import Storage
from mastra_core import records as r
from mastra_openai_agents import MastraSession
from openai.types.responses import (
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputText,
    ResponseReasoningItem,
)
from openai.types.responses.response_reasoning_item import Summary

set_tracing_disabled(True)  # the SDK's own trace export would call OpenAI


class StubModel(Model):
    """Answers from a script and records the input of every call (what the session fed the model)."""

    def __init__(self, script: list[list[Any]]) -> None:
        self.script = list(script)
        self.inputs: list[list[Any]] = []

    async def get_response(self, system_instructions: Any, input: Any, *args: Any, **kwargs: Any) -> ModelResponse:
        self.inputs.append([input] if isinstance(input, str) else list(input))
        return ModelResponse(output=self.script.pop(0), usage=Usage(), response_id=None)

    def stream_response(self, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        raise NotImplementedError("the tests do not stream")


def say(text: str, id: str) -> ResponseOutputMessage:
    return ResponseOutputMessage(id=id, type="message", role="assistant", status="completed",
                                 content=[ResponseOutputText(type="output_text", text=text, annotations=[])])


@function_tool
def get_weather(city: str) -> str:
    """The weather of a city."""
    return f"sunny in {city}"


async def test_runner_keeps_its_history_in_the_session(storage: Storage) -> None:
    model = StubModel([
        [ResponseReasoningItem(id="rs_1", type="reasoning", summary=[Summary(type="summary_text", text="use tool")]),
         ResponseFunctionToolCall(type="function_call", id="fc_1", call_id="call_1", name="get_weather",
                                  arguments='{"city":"Paris"}', status="completed")],
        [say("It is sunny in Paris.", "msg_1")],
        [say("You asked about Paris.", "msg_2")],
    ])
    agent = Agent(name="weather", instructions="Answer briefly.", model=model, tools=[get_weather])
    session = MastraSession("run-1", storage, resource_id="user-1")

    first = await Runner.run(agent, "Weather in Paris?", session=session)
    assert first.final_output == "It is sunny in Paris."
    history = await session.get_items()
    assert [i.get("type", "message") for i in history] == [
        "message", "reasoning", "function_call", "function_call_output", "message"]
    assert history[0] == {"role": "user", "content": "Weather in Paris?"}
    assert history[3]["output"] == "sunny in Paris"

    # the second turn runs on a fresh session object: the history comes from the storage
    second = await Runner.run(agent, "What did I ask?", session=MastraSession("run-1", storage))
    assert second.final_output == "You asked about Paris."
    sent = model.inputs[-1]
    assert sent[:5] == history  # the model got the stored history back, item for item
    assert sent[5]["content"] == "What did I ask?"
    assert len(await session.get_items()) == 7

    page = await storage.memory.list_messages(thread_id="run-1", resource_id="user-1", per_page=False)
    assert [m.role for m in page.items] == ["user", "assistant", "assistant", "tool", "assistant", "user", "assistant"]
    assert page.items[-1].text == "You asked about Paris."
    tool = page.items[3].content.parts[0]
    assert isinstance(tool, r.ToolInvocationPart) and tool.tool_invocation.tool_name == "get_weather"


async def test_runner_honours_the_session_limit(storage: Storage) -> None:
    model = StubModel([[say(f"answer {i}", f"msg_{i}")] for i in range(3)])
    agent = Agent(name="a", model=model)
    session = MastraSession("run-2", storage, session_settings={"limit": 2})
    for i in range(3):
        await Runner.run(agent, f"question {i}", session=session)
    assert [len(sent) for sent in model.inputs] == [1, 3, 3]  # at most 2 history items, then the new question
    everything = await session.get_items(limit=-1)
    assert len(everything) == 6
    assert model.inputs[2] == [*everything[2:4], {"role": "user", "content": "question 2"}]
