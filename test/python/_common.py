"""What the client scripts of this folder share.

Each script drives one official Python client, unmodified, against a running cascade-router
gateway, as a user of that client would, and prints ONE JSON document on stdout: the client's
name and version, and per case what the client handed back (text, tool calls, model, headers).
test/e2e/python-clients.test.ts starts the stack, runs the scripts with .cascade/pyenv's python
and asserts on that JSON.

Input:
  CASCADE_GATEWAY_URL  the gateway's root URL (http://127.0.0.1:PORT); the scripts add /v1 where
                       the client wants it
  CASCADE_TOKEN        a token of the gateway's CASCADE_API_TOKENS
  stdin                the cases, one JSON object: {"marker": str, "<case>": {"model": str,
                       "messages": [...], "tools"?: [...], "stop"?: [...], "seed"?: int}, ...}

A case that raises is reported as {"error": "..."} and the others still run, so one broken
feature shows as one failed test, not as a crash that hides the rest.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import traceback
from importlib import metadata
from typing import Any, Callable

Case = dict[str, Any]


def gateway() -> tuple[str, str]:
    """The gateway's root URL (no trailing slash) and the caller's token, from the environment."""
    url = os.environ.get("CASCADE_GATEWAY_URL")
    token = os.environ.get("CASCADE_TOKEN")
    if not url or not token:
        sys.exit("set CASCADE_GATEWAY_URL and CASCADE_TOKEN (see test/python/_common.py)")
    return url.rstrip("/"), token


def read_cases() -> dict[str, Any]:
    return json.load(sys.stdin)


def user_of(cases: dict[str, Any], name: str) -> str:
    """The `user` (OpenAI) or `metadata.user_id` (Anthropic) a case's request carries: the test
    finds that request's body in the recorded-model server's log by it."""
    return f"{cases['marker']}-{name}"


def header_subset(headers: Any) -> dict[str, str]:
    """The gateway's x-cascade-* headers, lower-cased names."""
    out: dict[str, str] = {}
    for key, value in dict(headers).items():
        k = str(key).lower()
        if k.startswith("x-cascade-") or k == "request-id":
            out[k] = str(value)
    return out


def run(client: str, package: str, cases: dict[str, Any], handlers: dict[str, Callable[[Case], Any]]) -> None:
    """Runs every case present in `cases` with its handler; prints the results as JSON."""
    results: dict[str, Any] = {}
    for name, handler in handlers.items():
        case = cases.get(name)
        if case is None:
            continue
        try:
            # stdout is the JSON document alone: whatever a client prints goes to stderr.
            with contextlib.redirect_stdout(sys.stderr):
                results[name] = handler(case)
        except Exception as err:  # noqa: BLE001 - reported, the next case still runs
            traceback.print_exc(file=sys.stderr)
            results[name] = {"error": f"{type(err).__name__}: {err}"}
    json.dump(
        {
            "client": client,
            "package": package,
            "version": metadata.version(package),
            "python": sys.version.split()[0],
            "results": results,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")
