"""The official `anthropic` Python SDK against the gateway's POST /v1/messages (its base URL is
the gateway's root: the SDK adds /v1/messages; it sends the token as x-api-key).

Cases: plain, stream (see _common.py for input and output). A case's system message goes as
`system`, its user message as the one message, and its marker as `metadata.user_id`.
"""

from __future__ import annotations

from typing import Any

import anthropic

from _common import Case, gateway, header_subset, read_cases, run, user_of

url, token = gateway()
cases = read_cases()
client = anthropic.Anthropic(base_url=url, api_key=token, max_retries=0, timeout=180)


def params_of(name: str, case: Case) -> dict[str, Any]:
    system = [m["content"] for m in case["messages"] if m["role"] == "system"]
    return {
        "model": case["model"],
        "max_tokens": case.get("max_tokens", 4096),
        **({"system": system[0]} if system else {}),
        "messages": [{"role": m["role"], "content": m["content"]} for m in case["messages"] if m["role"] != "system"],
        "metadata": {"user_id": user_of(cases, name)},
    }


def result_of(message: Any) -> dict[str, Any]:
    return {
        "id": message.id,
        "type": message.type,
        "role": message.role,
        "model": message.model,
        "content": [block.model_dump(exclude_none=True) for block in message.content],
        "text": "".join(b.text for b in message.content if b.type == "text"),
        "stop_reason": message.stop_reason,
        "usage": {"input_tokens": message.usage.input_tokens, "output_tokens": message.usage.output_tokens},
    }


def plain(case: Case) -> dict[str, Any]:
    raw = client.messages.with_raw_response.create(**params_of("plain", case))
    return {**result_of(raw.parse()), "headers": header_subset(raw.headers)}


def stream(case: Case) -> dict[str, Any]:
    events: list[str] = []
    deltas: list[str] = []
    with client.messages.stream(**params_of("stream", case)) as s:
        for event in s:
            events.append(event.type)
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                deltas.append(event.delta.text)
        final = s.get_final_message()
        headers = header_subset(s.response.headers)
        request_id = s.request_id
    return {**result_of(final), "deltas": deltas, "events": events, "headers": headers, "request_id": request_id}


run("anthropic", "anthropic", cases, {"plain": plain, "stream": stream})
