"""LiteLLM's `completion` against the gateway, as an OpenAI-compatible provider: model
`openai/<gateway model>` with `api_base` the gateway's /v1.

Cases: plain, stream, tools, stream_tools, stop, seed (see _common.py for input and output).
"""

from __future__ import annotations

import os

# LiteLLM fetches its model price map from the internet at import unless told to use its bundled
# copy; the tests have no internet (and need no prices).
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from typing import Any  # noqa: E402

import litellm  # noqa: E402

from _common import Case, gateway, read_cases, run, user_of  # noqa: E402

url, token = gateway()
cases = read_cases()


def complete(name: str, case: Case, **extra: Any) -> Any:
    return litellm.completion(
        model=f"openai/{case['model']}",
        api_base=f"{url}/v1",
        api_key=token,
        messages=case["messages"],
        # LiteLLM drops `user` for a model outside OpenAI's catalog (it is not a parameter every
        # OpenAI-compatible server takes), so the marker goes in the body through extra_body.
        extra_body={"user": user_of(cases, name)},
        timeout=180,
        num_retries=0,
        **extra,
    )


def headers_of(response: Any) -> dict[str, str]:
    # LiteLLM hands the provider's response headers back prefixed with `llm_provider-`.
    hidden = getattr(response, "_hidden_params", None) or {}
    headers = hidden.get("additional_headers") or {}
    out: dict[str, str] = {}
    for key, value in headers.items():
        k = str(key).lower().removeprefix("llm_provider-")
        if k.startswith("x-cascade-"):
            out[k] = str(value)
    return out


def calls_of(tool_calls: Any) -> list[dict[str, Any]]:
    return [
        {"id": c.id, "type": c.type, "function": {"name": c.function.name, "arguments": c.function.arguments}}
        for c in tool_calls or []
    ]


def result_of(response: Any) -> dict[str, Any]:
    choice = response.choices[0]
    return {
        "content": choice.message.content,
        "tool_calls": calls_of(choice.message.tool_calls),
        "finish_reason": choice.finish_reason,
        "model": response.model,
        "usage": {
            "prompt_tokens": response.usage.prompt_tokens,
            "completion_tokens": response.usage.completion_tokens,
        }
        if getattr(response, "usage", None)
        else None,
        "headers": headers_of(response),
    }


def plain(case: Case) -> dict[str, Any]:
    return result_of(complete("plain", case))


def stop(case: Case) -> dict[str, Any]:
    return result_of(complete("stop", case, stop=case["stop"]))


def seed(case: Case) -> dict[str, Any]:
    return result_of(complete("seed", case, seed=case["seed"]))


def tools(case: Case) -> dict[str, Any]:
    return result_of(complete("tools", case, tools=case["tools"]))


def streamed(name: str, case: Case, **extra: Any) -> tuple[Any, list[Any], Any]:
    wrapper = complete(name, case, stream=True, **extra)
    chunks = list(wrapper)
    # LiteLLM's own helper rebuilds the whole response from the chunks.
    return litellm.stream_chunk_builder(chunks, messages=case["messages"]), chunks, wrapper


def stream(case: Case) -> dict[str, Any]:
    # include_usage: the gateway's usage chunk, rather than LiteLLM's own count of the tokens.
    final, chunks, wrapper = streamed("stream", case, stream_options={"include_usage": True})
    deltas = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    return {
        **result_of(final),
        "content": "".join(deltas),
        "assembled": final.choices[0].message.content,
        "deltas": len(deltas),
        "headers": headers_of(wrapper),
    }


def stream_tools(case: Case) -> dict[str, Any]:
    final, chunks, wrapper = streamed("stream_tools", case, tools=case["tools"])
    arg_deltas = sum(
        1
        for c in chunks
        if c.choices
        for t in (c.choices[0].delta.tool_calls or [])
        if t.function is not None and t.function.arguments
    )
    return {**result_of(final), "arg_deltas": arg_deltas, "headers": headers_of(wrapper)}


run(
    "litellm",
    "litellm",
    cases,
    {"plain": plain, "stream": stream, "tools": tools, "stream_tools": stream_tools, "stop": stop, "seed": seed},
)
