"""LangChain's `ChatOpenAI` (langchain-openai) against the gateway's POST /v1/chat/completions.

Cases: plain, stream, tools (bind_tools), stream_tools, stop, seed (see _common.py for input and
output). Messages go in as LangChain messages; tools as the OpenAI tool dicts bind_tools takes.
"""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI

from _common import Case, gateway, read_cases, run, user_of

url, token = gateway()
cases = read_cases()


def chat(**extra: Any) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=f"{url}/v1",
        api_key=token,
        max_retries=0,
        timeout=180,
        include_response_headers=True,
        **extra,
    )


def model_of(case: Case) -> str:
    return case["model"]


def messages_of(case: Case) -> list[BaseMessage]:
    out: list[BaseMessage] = []
    for m in case["messages"]:
        if m["role"] == "system":
            out.append(SystemMessage(m["content"]))
        elif m["role"] == "user":
            out.append(HumanMessage(m["content"]))
        else:
            raise ValueError(f"unexpected role {m['role']}")
    return out


def headers_of(meta: dict[str, Any]) -> dict[str, str]:
    return {k.lower(): str(v) for k, v in (meta.get("headers") or {}).items() if k.lower().startswith("x-cascade-")}


def calls_of(message: AIMessage) -> list[dict[str, Any]]:
    # LangChain's parsed calls: name, args (a dict), id.
    return [{"id": c["id"], "name": c["name"], "args": c["args"]} for c in message.tool_calls]


def result_of(message: AIMessage) -> dict[str, Any]:
    meta = message.response_metadata
    return {
        "content": message.content,
        "tool_calls": calls_of(message),
        "finish_reason": meta.get("finish_reason"),
        "model": meta.get("model_name"),
        "usage": {
            "prompt_tokens": message.usage_metadata["input_tokens"],
            "completion_tokens": message.usage_metadata["output_tokens"],
        }
        if message.usage_metadata
        else None,
        "headers": headers_of(meta),
    }


def plain(case: Case) -> dict[str, Any]:
    return result_of(chat(model=model_of(case)).invoke(messages_of(case), user=user_of(cases, "plain")))


def stop(case: Case) -> dict[str, Any]:
    llm = chat(model=model_of(case))
    return result_of(llm.invoke(messages_of(case), stop=case["stop"], user=user_of(cases, "stop")))


def seed(case: Case) -> dict[str, Any]:
    llm = chat(model=model_of(case), seed=case["seed"])
    return result_of(llm.invoke(messages_of(case), user=user_of(cases, "seed")))


def tools(case: Case) -> dict[str, Any]:
    llm = chat(model=model_of(case)).bind_tools(case["tools"])
    return result_of(llm.invoke(messages_of(case), user=user_of(cases, "tools")))


def streamed(llm: Any, case: Case, name: str) -> tuple[AIMessageChunk, int, int]:
    total: AIMessageChunk | None = None
    text_chunks = 0
    arg_chunks = 0
    for chunk in llm.stream(messages_of(case), user=user_of(cases, name)):
        if isinstance(chunk.content, str) and chunk.content:
            text_chunks += 1
        arg_chunks += sum(1 for c in chunk.tool_call_chunks if c.get("args"))
        total = chunk if total is None else total + chunk
    assert total is not None, "the stream was empty"
    return total, text_chunks, arg_chunks


def stream(case: Case) -> dict[str, Any]:
    # stream_usage: ask for the usage chunk (stream_options.include_usage) off OpenAI's own API too.
    total, text_chunks, _ = streamed(chat(model=model_of(case), stream_usage=True), case, "stream")
    return {**result_of(total), "deltas": text_chunks}


def stream_tools(case: Case) -> dict[str, Any]:
    llm = chat(model=model_of(case)).bind_tools(case["tools"])
    total, _, arg_chunks = streamed(llm, case, "stream_tools")
    return {**result_of(total), "arg_deltas": arg_chunks}


run(
    "langchain",
    "langchain-openai",
    cases,
    {"plain": plain, "stream": stream, "tools": tools, "stream_tools": stream_tools, "stop": stop, "seed": seed},
)
