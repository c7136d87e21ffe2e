"""Replay: LLM calls and tool calls answered from a `pytest_agenttrace.cassettes` cassette vs plain vcrpy.

Setup (not timed): a fake OpenAI Chat Completions server on 127.0.0.1 answers distinct requests (`question i`);
the same requests are recorded once through `use_cassette(mode="once")` and once through a plain
`vcr.VCR(record_mode="once")`; the server is then stopped, so a replay that missed would fail, not reach it.
Tools: a `@tool`-decorated lookup is recorded with `use_cassette(mode="once", http=False)`.

Timed (interleaved, best of N, GC on), through an `httpx2.Client` (the OpenAI and Anthropic SDKs' transport):
- LLM: the requests inside `use_cassette(mode="none")` vs inside a plain vcrpy cassette with its default matching
  (method+URI: answers in recorded order) vs with body matching (the same semantics as ours; vcrpy scans the whole
  cassette per request, so this side is slow and run fewer times: its N is stated) vs an `httpx2.MockTransport`
  answering from a dict (the floor; aim <= 2x). Requests-only time; opening the cassette is a separate row.
- Flatness: per-request time on a small and a large cassette (the first requests of the same sequence).
- Tools: the calls inside `use_cassette(mode="none", http=False)` vs the same decorated tool with no session (it
  runs for real: the chokepoint's own cost, an OTel no-op span per call included on both sides).
"""

from __future__ import annotations

import gc
import importlib.util
import json
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from harness import Config, Row, fmt_time, interleaved, ratio_row, skip_row

NAME = "replay"
CHAT_PATH = "/v1/chat/completions"
MODEL = "gpt-4o-mini"
_VCR_BODY_MATCH = ["method", "scheme", "host", "port", "path", "query", "body"]


def request_body(i: int) -> dict[str, Any]:
    return {"model": MODEL, "messages": [{"role": "user", "content": f"question {i}"}]}


def response_bytes(body: dict[str, Any]) -> bytes:
    """The fake server's answer to a request body (deterministic, distinct per question)."""
    q = body["messages"][-1]["content"]
    return json.dumps(
        {
            "id": "chatcmpl-" + q.split()[-1],
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": body["model"],
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": "answer to " + q}, "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17},
        }
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        out = response_bytes(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def fake_server() -> Iterator[str]:
    """A local Chat Completions stand-in for the recordings; yields its base URL and stops it on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def send(client: Any, n: int) -> None:
    """The workload's `n` requests, each answer checked (a replay that answered the wrong request fails)."""
    for i in range(n):
        r = client.post(CHAT_PATH, json=request_body(i), headers={"authorization": "Bearer sk-bench-not-a-key"})
        if r.status_code != 200 or r.json()["id"] != f"chatcmpl-{i}":
            raise RuntimeError(f"request {i} got {r.status_code} {r.text[:200]!r}")


ORDERS = {f"A-{i}": {"id": f"A-{i}", "total": i} for i in range(10_000)}


def run(cfg: Config, log: Callable[[str], None]) -> list[Row]:
    if importlib.util.find_spec("pytest_agenttrace.cassettes") is None:
        return [skip_row(NAME, "not yet: cassettes land with issue 4")]
    import httpx2
    import vcr

    from pytest_agenttrace.cassettes import tool, use_cassette

    llm_sizes = (50, 200) if cfg.quick else (100, 1000)
    tool_sizes = (200, 1000) if cfg.quick else (1000, 10_000)
    n = cfg.n(3, 2)
    n_body = cfg.n(1, 1)
    no_ci: dict[str, str] = {}  # never let a CI variable force record mode "none" while recording the setup

    @tool
    def get_order(order_id: str) -> dict[str, Any]:
        return ORDERS[order_id]

    with tempfile.TemporaryDirectory(prefix="agenttrace-bench-replay-") as tmp:
        root = Path(tmp)
        ours = {k: root / f"ours-{k}.yaml" for k in llm_sizes}
        plain = {k: root / f"vcr-{k}.yaml" for k in llm_sizes}
        tools = {k: root / f"tools-{k}.yaml" for k in tool_sizes}
        t0 = time.perf_counter()
        with fake_server() as base:
            for k in llm_sizes:
                with use_cassette(ours[k], mode="once", environ=no_ci), httpx2.Client(base_url=base) as c:
                    send(c, k)
                with vcr.VCR(record_mode="once").use_cassette(str(plain[k])), httpx2.Client(base_url=base) as c:
                    send(c, k)
        for k in tool_sizes:
            with use_cassette(tools[k], mode="once", http=False, environ=no_ci):
                for i in range(k):
                    get_order(f"A-{i}")
        log(f"replay: recorded {llm_sizes} LLM and {tool_sizes} tool cassettes in {time.perf_counter() - t0:.1f} s")
        mock_answers = {  # keyed by the exact bytes httpx2 sends: the cheapest possible lookup
            httpx2.Request("POST", "http://x" + CHAT_PATH, json=request_body(i)).content: response_bytes(
                request_body(i)
            )
            for i in range(max(llm_sizes))
        }
        # the recordings' server is gone (vcrpy's default matching includes host and port, so keep its URL)
        unreachable = base

        def ours_llm(k: int, opened: dict[str, float]) -> Callable[[], float]:
            def go() -> float:
                t0 = time.perf_counter()
                with use_cassette(ours[k], mode="none", environ=no_ci), httpx2.Client(base_url=unreachable) as c:
                    t1 = time.perf_counter()
                    send(c, k)
                    t = time.perf_counter() - t1
                opened["ours"] = min(opened.get("ours", 1e9), time.perf_counter() - t0 - t)
                return t

            return go

        def vcr_llm(k: int, match_on: list[str] | None, opened: dict[str, float]) -> Callable[[], float]:
            def go() -> float:
                v = vcr.VCR(record_mode="none", **({"match_on": match_on} if match_on else {}))
                t0 = time.perf_counter()
                with v.use_cassette(str(plain[k])), httpx2.Client(base_url=unreachable) as c:
                    t1 = time.perf_counter()
                    send(c, k)
                    t = time.perf_counter() - t1
                opened["vcr"] = min(opened.get("vcr", 1e9), time.perf_counter() - t0 - t)
                return t

            return go

        def mock_llm(k: int) -> Callable[[], float]:
            def handler(request: Any) -> Any:
                return httpx2.Response(
                    200, content=mock_answers[request.content], headers={"content-type": "application/json"}
                )

            def go() -> float:
                with httpx2.Client(base_url=unreachable, transport=httpx2.MockTransport(handler)) as c:
                    t1 = time.perf_counter()
                    send(c, k)
                    return time.perf_counter() - t1

            return go

        def ours_tools(k: int, opened: dict[str, float]) -> Callable[[], float]:
            def go() -> float:
                t0 = time.perf_counter()
                with use_cassette(tools[k], mode="none", http=False, environ=no_ci):
                    t1 = time.perf_counter()
                    for i in range(k):
                        if get_order(f"A-{i}")["total"] != i:
                            raise RuntimeError(f"tool call {i} replayed the wrong result")
                    t = time.perf_counter() - t1
                opened["tools"] = min(opened.get("tools", 1e9), time.perf_counter() - t0 - t)
                return t

            return go

        def live_tools(k: int) -> Callable[[], float]:
            def go() -> float:
                t1 = time.perf_counter()
                for i in range(k):
                    get_order(f"A-{i}")
                return time.perf_counter() - t1

            return go

        small, large = llm_sizes
        tsmall, tlarge = tool_sizes
        opened: dict[str, float] = {}
        opened_small: dict[str, float] = {}
        log(f"replay: {large} LLM requests / {tlarge} tool calls, best of {n}, interleaved, GC on")
        best = interleaved(
            {
                f"ours {large}": ours_llm(large, opened),
                f"ours {small}": ours_llm(small, opened_small),
                f"vcr default {large}": vcr_llm(large, None, opened),
                f"mock {large}": mock_llm(large),
                f"ours tools {tlarge}": ours_tools(tlarge, opened),
                f"ours tools {tsmall}": ours_tools(tsmall, opened_small),
                f"live tools {tlarge}": live_tools(tlarge),
            },
            n,
            log=log,
        )
        log(f"replay: vcrpy with body matching, {large} requests, best of {n_body} (it scans the cassette per request)")
        body_opened: dict[str, float] = {}
        best.update(interleaved({f"vcr body {large}": vcr_llm(large, _VCR_BODY_MATCH, body_opened)}, n_body, log=log))
    gc.collect()

    ol, ov = opened["ours"], opened["vcr"]
    llm_label = f"{large} LLM calls ({large}-interaction cassette)"
    data = {"repeat": n, "llm_requests": large, "tool_calls": tlarge}
    per_small = best[f"ours {small}"] / small
    per_large = best[f"ours {large}"] / large
    growth = per_large / per_small
    tper_small = best[f"ours tools {tsmall}"] / tsmall
    tper_large = best[f"ours tools {tlarge}"] / tlarge
    tgrowth = tper_large / tper_small
    return [
        ratio_row(
            NAME,
            f"{llm_label}: agenttrace vs vcrpy, body matching (N={n_body})",
            best[f"ours {large}"],
            best[f"vcr body {large}"],
            per=large,
            unit="req",
            data={**data, "vcr_body_repeat": n_body},
        ),
        ratio_row(
            NAME,
            f"{llm_label}: agenttrace vs vcrpy, default matching",
            best[f"ours {large}"],
            best[f"vcr default {large}"],
            per=large,
            unit="req",
            data=data,
        ),
        ratio_row(
            NAME,
            f"{llm_label}: agenttrace vs httpx2.MockTransport (dict)",
            best[f"ours {large}"],
            best[f"mock {large}"],
            per=large,
            unit="req",
            target=2.0,
            aim=True,
            data=data,
        ),
        Row(
            NAME,
            f"LLM replay per request, {small}- vs {large}-interaction cassette (flat)",
            f"{per_small * 1e3:.3f} -> {per_large * 1e3:.3f} ms/req",
            "",
            f"{growth:.2f}x",
            "<= 1.50x",
            "PASS" if growth <= 1.5 else "MISS",
            {"per_request_s": {str(small): per_small, str(large): per_large}, "growth": growth},
        ),
        ratio_row(NAME, f"open + close the {large}-interaction cassette: agenttrace vs vcrpy", ol, ov, data=data),
        ratio_row(
            NAME,
            f"{tlarge} tool calls: replayed (agenttrace) vs the same @tool with no cassette",
            best[f"ours tools {tlarge}"],
            best[f"live tools {tlarge}"],
            per=tlarge,
            unit="call",
            data=data,
        ),
        Row(
            NAME,
            f"tool replay per call, {tsmall}- vs {tlarge}-call cassette (flat)",
            f"{tper_small * 1e6:.1f} -> {tper_large * 1e6:.1f} us/call",
            "",
            f"{tgrowth:.2f}x",
            "<= 1.50x",
            "PASS" if tgrowth <= 1.5 else "MISS",
            {"per_call_s": {str(tsmall): tper_small, str(tlarge): tper_large}, "growth": tgrowth},
        ),
        Row(
            NAME,
            f"open + close the {tlarge}-tool-call cassette (agenttrace)",
            fmt_time(opened["tools"], per=tlarge, unit="call"),
            result="INFO",
            data={"open_close_s": opened["tools"]},
        ),
    ]
