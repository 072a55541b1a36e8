"""The official `openai` Python client against the gateway's POST /v1/chat/completions.

Cases: plain, stream, tools, stream_tools, stop, seed (see _common.py for input and output).
"""

from __future__ import annotations

from typing import Any

from openai import OpenAI

from _common import Case, gateway, header_subset, read_cases, run, user_of

url, token = gateway()
cases = read_cases()
# Retries off: a request the gateway refused is seen as it came, and never sent twice.
client = OpenAI(base_url=f"{url}/v1", api_key=token, max_retries=0, timeout=180)


def calls_of(tool_calls: Any) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": c.type, "function": {"name": c.function.name, "arguments": c.function.arguments}}
        for c in tool_calls or []
    ]


def usage_of(usage: Any) -> dict[str, int] | None:
    if usage is None:
        return None
    return {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens}


def completion(name: str, case: Case, **extra: Any) -> dict[str, Any]:
    raw = client.chat.completions.with_raw_response.create(
        model=case["model"], messages=case["messages"], user=user_of(cases, name), **extra
    )
    res = raw.parse()
    choice = res.choices[0]
    return {
        "content": choice.message.content,
        "tool_calls": calls_of(choice.message.tool_calls),
        "finish_reason": choice.finish_reason,
        "model": res.model,
        "object": res.object,
        "usage": usage_of(res.usage),
        "headers": header_subset(raw.headers),
    }


def plain(case: Case) -> dict[str, Any]:
    return completion("plain", case)


def stop(case: Case) -> dict[str, Any]:
    return completion("stop", case, stop=case["stop"])


def seed(case: Case) -> dict[str, Any]:
    return completion("seed", case, seed=case["seed"])


def tools(case: Case) -> dict[str, Any]:
    return completion("tools", case, tools=case["tools"])


def stream(case: Case) -> dict[str, Any]:
    chunks = client.chat.completions.create(
        model=case["model"],
        messages=case["messages"],
        user=user_of(cases, "stream"),
        stream=True,
        stream_options={"include_usage": True},
    )
    deltas: list[str] = []
    finish = None
    model = None
    usage = None
    for chunk in chunks:
        model = chunk.model
        if chunk.usage is not None:
            usage = usage_of(chunk.usage)
        for choice in chunk.choices:
            if choice.delta.content:
                deltas.append(choice.delta.content)
            if choice.finish_reason:
                finish = choice.finish_reason
    return {
        "content": "".join(deltas),
        "deltas": len(deltas),
        "finish_reason": finish,
        "model": model,
        "usage": usage,
        "headers": header_subset(chunks.response.headers),
    }


def stream_tools(case: Case) -> dict[str, Any]:
    # The client's own streaming helper: it assembles the tool-call deltas into calls.
    arg_deltas = 0
    with client.chat.completions.stream(
        model=case["model"], messages=case["messages"], tools=case["tools"], user=user_of(cases, "stream_tools")
    ) as s:
        for event in s:
            if event.type == "tool_calls.function.arguments.delta":
                arg_deltas += 1
        final = s.get_final_completion()
    choice = final.choices[0]
    return {
        "tool_calls": calls_of(choice.message.tool_calls),
        "arg_deltas": arg_deltas,
        "finish_reason": choice.finish_reason,
        "model": final.model,
    }


run(
    "openai",
    "openai",
    cases,
    {"plain": plain, "stream": stream, "tools": tools, "stream_tools": stream_tools, "stop": stop, "seed": seed},
)
