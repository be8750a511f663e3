"""One sample of every Responses-API input item kind (and a few shapes no version knows yet)."""

from __future__ import annotations

from typing import Any

PNG = "data:image/png;base64,iVBORw0KGgo="

ITEMS: dict[str, dict[str, Any]] = {
    "user text": {"role": "user", "content": "What is the weather in Paris?"},
    "user text typed": {"type": "message", "role": "user", "content": "typed easy message"},
    "assistant text": {"role": "assistant", "content": "It is sunny."},
    "system text": {"role": "system", "content": "You are terse."},
    "developer text": {"role": "developer", "content": "Answer in French."},
    "empty text": {"role": "user", "content": ""},
    "user parts": {
        "type": "message",
        "role": "user",
        "content": [
            {"type": "input_text", "text": "look at this"},
            {"type": "input_image", "image_url": PNG, "detail": "high"},
            {"type": "input_image", "file_id": "file-img", "detail": "auto"},
            {"type": "input_file", "file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"},
            {"type": "input_file", "file_url": "https://example.com/report.pdf"},
            {"type": "input_file", "file_id": "file-123"},
            {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        ],
    },
    "developer parts with status": {
        "type": "message",
        "role": "developer",
        "status": "completed",
        "content": [{"type": "input_text", "text": "rules"}],
    },
    "assistant output": {
        "id": "msg_abc",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [
            {
                "type": "output_text",
                "text": "Sunny, 21C.",
                "logprobs": [],
                "annotations": [
                    {"type": "url_citation", "url": "https://w.example", "title": "W", "start_index": 0, "end_index": 5}
                ],
            }
        ],
    },
    "assistant refusal": {
        "id": "msg_r",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "refusal", "refusal": "I can't help with that."}],
    },
    "assistant phase": {
        "id": "msg_p",
        "type": "message",
        "role": "assistant",
        "status": "completed",
        "phase": "final_answer",
        "content": [{"type": "output_text", "text": "done", "annotations": []}],
    },
    "function call compact": {
        "type": "function_call",
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"Paris"}',
        "id": "fc_1",
        "status": "completed",
    },
    "function call spaced": {
        "type": "function_call",
        "call_id": "call_2",
        "name": "get_weather",
        "arguments": '{"city": "Paris", "days": [1, 2]}',
    },
    "function call pretty": {"type": "function_call", "call_id": "call_3", "name": "f", "arguments": '{\n  "a": 1\n}'},
    "function call not json": {"type": "function_call", "call_id": "call_4", "name": "f", "arguments": "{broken"},
    "function call namespaced": {
        "type": "function_call",
        "call_id": "call_5",
        "name": "lookup",
        "namespace": "crm",
        "arguments": "{}",
    },
    "function output": {"type": "function_call_output", "call_id": "call_1", "output": "21C and sunny"},
    "function output parts": {
        "type": "function_call_output",
        "call_id": "call_2",
        "id": "fco_2",
        "status": "completed",
        "output": [{"type": "input_text", "text": "chart:"}, {"type": "input_image", "image_url": PNG}],
    },
    "reasoning": {
        "type": "reasoning",
        "id": "rs_1",
        "summary": [
            {"type": "summary_text", "text": "The user wants weather."},
            {"type": "summary_text", "text": "Call the tool."},
        ],
    },
    "reasoning encrypted": {
        "type": "reasoning",
        "id": "rs_2",
        "summary": [],
        "encrypted_content": "gAAAA==",
        "content": [{"type": "reasoning_text", "text": "raw chain"}],
        "status": "completed",
    },
    "computer call": {
        "type": "computer_call",
        "id": "cu_1",
        "call_id": "c_1",
        "status": "completed",
        "action": {"type": "click", "button": "left", "x": 10, "y": 20},
        "pending_safety_checks": [],
    },
    "computer call output": {
        "type": "computer_call_output",
        "call_id": "c_1",
        "output": {"type": "computer_screenshot", "image_url": PNG},
    },
    "file search call": {
        "type": "file_search_call",
        "id": "fs_1",
        "queries": ["q"],
        "status": "completed",
        "results": [{"file_id": "f", "score": 0.5, "text": "hit"}],
    },
    "web search call": {
        "type": "web_search_call",
        "id": "ws_1",
        "status": "completed",
        "action": {"type": "search", "query": "paris weather"},
    },
    "image generation call": {
        "type": "image_generation_call",
        "id": "ig_1",
        "status": "completed",
        "result": "iVBORw0KGgo=",
    },
    "code interpreter call": {
        "type": "code_interpreter_call",
        "id": "ci_1",
        "container_id": "cntr",
        "code": "print(1)",
        "outputs": [{"type": "logs", "logs": "1"}],
        "status": "completed",
    },
    "local shell call": {
        "type": "local_shell_call",
        "id": "ls_1",
        "call_id": "lsc_1",
        "status": "completed",
        "action": {"type": "exec", "command": ["ls"], "env": {}},
    },
    "local shell output": {"type": "local_shell_call_output", "id": "lsc_1", "output": "a.txt"},
    "mcp list tools": {
        "type": "mcp_list_tools",
        "id": "ml_1",
        "server_label": "s",
        "tools": [{"name": "t", "input_schema": {"type": "object"}}],
    },
    "mcp approval request": {
        "type": "mcp_approval_request",
        "id": "mar_1",
        "server_label": "s",
        "name": "t",
        "arguments": "{}",
    },
    "mcp approval response": {"type": "mcp_approval_response", "approval_request_id": "mar_1", "approve": True},
    "mcp call": {"type": "mcp_call", "id": "mc_1", "server_label": "s", "name": "t", "arguments": "{}", "output": "ok"},
    "custom tool call": {"type": "custom_tool_call", "call_id": "ct_1", "name": "grammar", "input": "raw text"},
    "custom tool output": {"type": "custom_tool_call_output", "call_id": "ct_1", "output": "parsed"},
    "item reference": {"type": "item_reference", "id": "msg_old"},
    "compaction": {"type": "compaction", "encrypted_content": "zzz"},
    "unknown future item": {"type": "hologram_call", "id": "h_1", "payload": {"nested": [1, 2.5, None, True]}},
    "unknown part": {
        "type": "message",
        "role": "user",
        "content": [{"type": "input_hologram", "data": "x"}, {"type": "input_text", "text": "and text"}],
    },
    "unknown role": {"role": "critic", "content": "kept whole"},
    "unicode": {"role": "user", "content": "héllo \u2603 \U0001f600 end"},
}
