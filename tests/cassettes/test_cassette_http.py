"""LLM replay over HTTP with vcrpy: record against a fake server, replay with no network, misses, secrets."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import cassette_agents as agents
import openai
import pytest
import yaml
from fake_llm import FakeLLM, Reply, ToolCall

from pytest_agenttrace.cassettes import Cassette, CassetteMismatchError, use_cassette
from pytest_agenttrace.cassettes._http import RECORD_SEED, HttpReplay, rewrite_for_recording

OFFLINE = "http://127.0.0.1:9"  # nothing listens there; with `no_network` nothing may even try
PROMPT = "Please refund my order A1043, the mug arrived broken."
SECRET = "sk-proj-THISISAREALLOOKINGSECRETKEY0123456789"
ANTHROPIC_SECRET = "sk-ant-api03-THISISAREALLOOKINGSECRETKEY0123456789"


def _plan() -> list[Reply]:
    return [
        Reply(tool_calls=[ToolCall(id="call_1", name="get_order", arguments={"order_id": "A1043"})]),
        Reply(tool_calls=[ToolCall(id="call_2", name="refund_order", arguments={"order_id": "A1043", "amount": 25.0})]),
        Reply(text="Refunded 25.00 EUR."),
    ]


_CLIENTS: list[Any] = []


def _openai(base: str, **kw: Any) -> openai.OpenAI:
    client = openai.OpenAI(base_url=base + "/v1", api_key=SECRET, max_retries=0, **kw)
    _CLIENTS.append(client)
    return client


def _anthropic(base: str, **kw: Any) -> anthropic.Anthropic:
    client = anthropic.Anthropic(base_url=base, api_key=ANTHROPIC_SECRET, max_retries=0, **kw)
    _CLIENTS.append(client)
    return client


@pytest.fixture(autouse=True)
def _reset_real_calls() -> Iterator[None]:
    agents.REAL_CALLS.clear()
    yield
    while _CLIENTS:
        _CLIENTS.pop().close()


def _record(path: Path, run: Any, plan: list[Reply] | None = None) -> tuple[Any, FakeLLM]:
    with FakeLLM(plan or _plan()) as srv, use_cassette(path, mode="once") as session:
        result = run(srv.url)
    assert [c.source for c in session.calls] == ["real"] * len(session.calls)
    agents.REAL_CALLS.clear()
    return result, srv


EXPECTED = (["get_order", "refund_order"], "Refunded 25.00 EUR.")


# ------------------------------------------------------------------------------------- record, then replay


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_openai_chat(tmp_path: Path, stream: bool, request: pytest.FixtureRequest) -> None:
    path = tmp_path / "c.yaml"
    recorded, srv = _record(path, lambda url: agents.chat_agent(_openai(url), PROMPT, stream=stream))
    assert recorded == EXPECTED
    assert srv.bodies[0]["temperature"] == 0 and srv.bodies[0]["seed"] == RECORD_SEED
    request.getfixturevalue("no_network")
    with use_cassette(path) as session:
        assert agents.chat_agent(_openai(OFFLINE), PROMPT, stream=stream) == EXPECTED
    assert agents.REAL_CALLS == []
    assert [c.source for c in session.calls] == ["replayed", "replayed"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_async_openai_chat(tmp_path: Path, stream: bool, request: pytest.FixtureRequest) -> None:
    path = tmp_path / "c.yaml"

    def run(url: str) -> Any:
        async def main() -> Any:
            async with openai.AsyncOpenAI(base_url=url + "/v1", api_key=SECRET, max_retries=0) as client:
                return await agents.async_chat_agent(client, PROMPT, stream=stream)

        return asyncio.run(main())

    assert _record(path, run)[0] == EXPECTED
    request.getfixturevalue("no_network")
    with use_cassette(path):
        assert run(OFFLINE) == EXPECTED


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_openai_responses(tmp_path: Path, stream: bool, request: pytest.FixtureRequest) -> None:
    path = tmp_path / "c.yaml"
    recorded, srv = _record(path, lambda url: agents.responses_agent(_openai(url), PROMPT, stream=stream))
    assert recorded == EXPECTED
    assert srv.bodies[0]["temperature"] == 0 and "seed" not in srv.bodies[0]  # Responses has no seed
    request.getfixturevalue("no_network")
    with use_cassette(path):
        assert agents.responses_agent(_openai(OFFLINE), PROMPT, stream=stream) == EXPECTED


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_anthropic(tmp_path: Path, stream: bool, request: pytest.FixtureRequest) -> None:
    path = tmp_path / "c.yaml"
    recorded, _ = _record(path, lambda url: agents.anthropic_agent(_anthropic(url), PROMPT, stream=stream))
    assert recorded == EXPECTED
    request.getfixturevalue("no_network")
    with use_cassette(path):
        assert agents.anthropic_agent(_anthropic(OFFLINE), PROMPT, stream=stream) == EXPECTED


def test_requests_library_is_replayed_too(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    import requests

    path = tmp_path / "c.yaml"
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}

    def run(url: str) -> str:
        r = requests.post(url + "/v1/chat/completions", json=body, timeout=5)
        return str(r.json()["choices"][0]["message"]["content"])

    assert _record(path, run, [Reply(text="hello")])[0] == "hello"
    request.getfixturevalue("no_network")
    with use_cassette(path):
        assert run(OFFLINE) == "hello"


# ------------------------------------------------------------------------------------------------ misses


def test_changed_prompt_fails_with_a_readable_diff(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    path = tmp_path / "c.yaml"
    _record(path, lambda url: agents.chat_agent(_openai(url), PROMPT))
    request.getfixturevalue("no_network")
    with pytest.raises(CassetteMismatchError) as info, use_cassette(path):
        agents.chat_agent(_openai(OFFLINE), PROMPT.replace("A1043", "A1044"))
    message = str(info.value)
    assert message.startswith("LLM/HTTP request not found in the cassette: POST /v1/chat/completions")
    assert "closest recorded request: interactions[0] (not replayed yet); differences:" in message
    assert (
        "messages[1].content: recorded 'Please refund my order A1043, the mug arrived broken.', "
        "sent 'Please refund my order A1044, the mug arrived broken.'"
    ) in message
    assert "--agenttrace-record-mode=new_episodes" in message
    assert agents.REAL_CALLS == []


def test_a_request_sent_more_often_than_recorded_fails(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    path = tmp_path / "c.yaml"
    body = [{"role": "user", "content": "hi"}]
    _record(path, lambda url: _openai(url).chat.completions.create(model="m", messages=body), [Reply(text="x")])
    request.getfixturevalue("no_network")
    with pytest.raises(CassetteMismatchError, match="each recording has already been replayed"), use_cassette(path):
        client = _openai(OFFLINE)
        client.chat.completions.create(model="m", messages=body)
        client.chat.completions.create(model="m", messages=body)


def test_identical_requests_replay_in_recorded_order(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    path = tmp_path / "c.yaml"
    body = [{"role": "user", "content": "roll a die"}]

    def run(url: str) -> list[str]:
        client = _openai(url)
        return [client.chat.completions.create(model="m", messages=body).choices[0].message.content for _ in "123"]

    assert _record(path, run, ["1", "2", "3"])[0] == ["1", "2", "3"]
    request.getfixturevalue("no_network")
    with use_cassette(path):
        assert run(OFFLINE) == ["1", "2", "3"]


def test_missing_cassette_says_how_to_record(tmp_path: Path, no_network: list[Any]) -> None:
    with (
        pytest.raises(CassetteMismatchError, match=r"(?s)does not exist.*--agenttrace-record-mode=once"),
        use_cassette(tmp_path / "missing.yaml"),
    ):
        _openai(OFFLINE).chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])
    assert no_network == []  # it never tried the network


def test_matching_ignores_volatile_fields_and_key_order(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    path = tmp_path / "c.yaml"

    def run(url: str, run_id: str, stamp: str, flip: bool) -> str:
        messages = [{"role": "user", "content": f"hello (request {run_id} at {stamp})"}]
        kwargs: dict[str, Any] = {"model": "m", "messages": messages, "user": run_id, "metadata": {"run": run_id}}
        if flip:
            kwargs = dict(reversed(list(kwargs.items())))
        return str(_openai(url).chat.completions.create(**kwargs).choices[0].message.content)

    with FakeLLM(["answer"]) as srv, use_cassette(path, mode="once"):
        assert run(srv.url, "3f2b8c1e-0d4a-4e7b-9a65-2b1c9d8e7f60", "2026-11-25T10:00:00Z", False) == "answer"
    request.getfixturevalue("no_network")
    with use_cassette(path):
        assert run(OFFLINE, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "2026-11-26T11:30:05.123+01:00", True) == "answer"


# ---------------------------------------------------------------------------------------- record modes


def test_new_episodes_appends_and_all_rerecords(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    ask = lambda url, q: _openai(url).chat.completions.create(  # noqa: E731
        model="m", messages=[{"role": "user", "content": q}]
    )
    _record(path, lambda url: ask(url, "first"), [Reply(text="one")])
    with FakeLLM(["two"]) as srv, use_cassette(path, mode="new_episodes"):
        assert ask(srv.url, "first").choices[0].message.content == "one"  # replayed, not sent
        assert ask(srv.url, "second").choices[0].message.content == "two"
    assert len(srv.requests) == 1
    assert len(Cassette.load(path).interactions) == 2
    with FakeLLM(["uno"]) as srv, use_cassette(path, mode="all"):
        assert ask(srv.url, "first").choices[0].message.content == "uno"
    saved = Cassette.load(path).interactions
    contents = [json.loads(i["response"]["body"]["string"])["choices"][0]["message"]["content"] for i in saved]
    assert sorted(contents) == ["two", "uno"]  # "first" re-recorded, "second" kept


def test_temperature_zero_can_be_turned_off(tmp_path: Path) -> None:
    with FakeLLM(["a"]) as srv, use_cassette(tmp_path / "c.yaml", mode="once", temperature_zero=False):
        _openai(srv.url).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "x"}], temperature=0.7
        )
    assert srv.bodies[0]["temperature"] == 0.7 and "seed" not in srv.bodies[0]


def test_rewrite_leaves_reasoning_requests_alone() -> None:
    assert rewrite_for_recording({"model": "gpt-4o", "temperature": 0.5}, "chat") == {
        "model": "gpt-4o",
        "temperature": 0,
        "seed": RECORD_SEED,
    }
    assert rewrite_for_recording({"model": "gpt-4o", "seed": 7}, "responses") == {
        "model": "gpt-4o",
        "seed": 7,
        "temperature": 0,
    }
    assert rewrite_for_recording({"model": "o3-mini", "seed": 1}, "chat") is None
    assert rewrite_for_recording({"model": "gpt-5", "reasoning": {"effort": "low"}}, "responses") is None
    assert rewrite_for_recording({"model": "claude", "thinking": {"type": "enabled"}}, "messages") is None
    assert rewrite_for_recording({"model": "claude", "temperature": 0}, "messages") is None


# ------------------------------------------------------------------------------------------------ secrets


def test_a_recorded_cassette_holds_no_secret(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    email = re.compile(r"[\w.]+@example\.com")
    prompt = f"I am jane.doe@example.com; my key is {SECRET}. Refund A1043."

    def run(url: str) -> None:
        client = _openai(url, default_headers={"Cookie": "session=COOKIESECRET", "api-key": "AZURESECRET"})
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": prompt}])
        # The anthropic SDK propagates a (per-run random) traceparent when tracing is on.
        traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
        _anthropic(url, default_headers={"traceparent": traceparent}).messages.create(
            model="c", max_tokens=5, messages=[{"role": "user", "content": prompt}]
        )

    with FakeLLM(["ok", "ok"]) as srv, use_cassette(path, mode="once", scrub=[email.pattern]):
        run(srv.url)
    assert srv.requests[0].headers["authorization"] == f"Bearer {SECRET}"  # it was really sent
    assert ANTHROPIC_SECRET in (
        srv.requests[1].headers.get("x-api-key"),
        srv.requests[1].headers.get("authorization", "")[7:],
    )
    assert "traceparent" in srv.requests[1].headers
    text = path.read_text()
    for secret in (SECRET, ANTHROPIC_SECRET, "COOKIESECRET", "AZURESECRET", "jane.doe@example.com", "traceparent"):
        assert secret not in text
    assert not re.search(r"(?im)^\s*(authorization|x-api-key|api-key|cookie):", text)
    assert "[SCRUBBED]" in text
    # The live request is scrubbed the same way before matching, so the scrubbed recording still replays.
    with use_cassette(path, scrub=[email.pattern]):
        run(OFFLINE)


def test_cassette_headers_are_trimmed_to_what_matters(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    _record(path, lambda url: _openai(url).chat.completions.create(model="m", messages=[]), [Reply(text="x")])
    interaction = yaml.safe_load(path.read_text())["interactions"][0]
    assert set(interaction["request"]["headers"]) == {"accept", "content-type"}
    assert "date" not in interaction["response"]["headers"] and "server" not in interaction["response"]["headers"]
    # JSON bodies are pretty-printed for diffs, and Content-Length follows.
    body = interaction["response"]["body"]["string"]
    assert body.startswith("{\n  ") and interaction["response"]["headers"]["content-length"] == [str(len(body))]


# -------------------------------------------------------------------------------------------------- index


def test_lookup_cost_does_not_grow_with_the_cassette(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: list[Any]
) -> None:
    """Replaying from a 2,000-interaction cassette computes a handful of keys per request, not one per interaction."""
    n = 2000
    interactions = []
    for i in range(n):
        req = {"model": "m", "messages": [{"role": "user", "content": f"q{i}"}]}
        resp = {"id": f"c{i}", "object": "chat.completion", "created": 0, "model": "m", "choices": [
            {"index": 0, "message": {"role": "assistant", "content": f"a{i}"}, "finish_reason": "stop"}
        ]}  # fmt: skip
        interactions.append(
            {
                "request": {"method": "POST", "uri": "https://api.openai.com/v1/chat/completions",
                            "body": json.dumps(req), "headers": {}},
                "response": {"status": {"code": 200, "message": "OK"},
                             "headers": {"content-type": ["application/json"]},
                             "body": {"string": json.dumps(resp)}},
            }
        )  # fmt: skip
    path = Cassette(interactions=interactions).save(tmp_path / "big.yaml")
    counted: list[int] = []
    original_key = HttpReplay.key

    def counting_key(self: HttpReplay, request: Any) -> Any:
        counted.append(1)
        return original_key(self, request)

    monkeypatch.setattr(HttpReplay, "key", counting_key)
    with use_cassette(path):
        loaded = len(counted)
        assert loaded == n  # each stored request is keyed once, at load
        client = _openai(OFFLINE)
        for i in (n - 1, 0, n // 2):
            msgs = [{"role": "user", "content": f"q{i}"}]
            assert client.chat.completions.create(model="m", messages=msgs).choices[0].message.content == f"a{i}"
    assert len(counted) - loaded <= 3 * 2  # per request: can_play + play, independent of n


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count request filter runs and request keys computed (the per-request work of matching)."""
    from pytest_agenttrace.cassettes import _http

    counts = {"filter": 0, "key": 0}
    make_filter, original_key = _http._make_request_filter, HttpReplay.key

    def counting_filter(patterns: Any) -> Any:
        inner = make_filter(patterns)

        def before_record_request(request: Any) -> Any:
            counts["filter"] += 1
            return inner(request)

        return before_record_request

    def counting_key(self: HttpReplay, request: Any) -> Any:
        counts["key"] += 1
        return original_key(self, request)

    monkeypatch.setattr(_http, "_make_request_filter", counting_filter)
    monkeypatch.setattr(HttpReplay, "key", counting_key)
    return counts


def test_each_request_is_filtered_and_keyed_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recording and replaying filter (copy + scrub) and normalize each request once, not once per vcrpy call."""
    import httpx2

    path = tmp_path / "c.yaml"
    counts = _counting(monkeypatch)
    questions = [f"question {i} from {SECRET}" for i in range(3)]

    def ask(client: Any, q: str) -> str:
        r = client.post("/v1/chat/completions", json={"model": "m", "messages": [{"role": "user", "content": q}]})
        return str(r.json()["choices"][0]["message"]["content"])

    with FakeLLM(["a0", "a1", "a2"]) as srv, use_cassette(path, mode="once"), httpx2.Client(base_url=srv.url) as c:
        assert [ask(c, q) for q in questions] == ["a0", "a1", "a2"]
    assert counts == {"filter": 3, "key": 3}
    assert SECRET not in path.read_text()
    counts.update(filter=0, key=0)
    with use_cassette(path), httpx2.Client(base_url=OFFLINE) as c:
        assert counts == {"filter": 3, "key": 3}  # each stored request, at load
        assert [ask(c, q) for q in reversed(questions)] == ["a2", "a1", "a0"]
    assert counts == {"filter": 6, "key": 6}
    with (
        pytest.raises(CassetteMismatchError, match="each recording has already been replayed"),
        use_cassette(path),
        httpx2.Client(base_url=OFFLINE) as c,
    ):
        for q in [*questions, questions[0]]:  # no repeats: the fourth request has no recording left
            ask(c, q)


def test_a_failed_live_call_leaves_nothing_pending(tmp_path: Path) -> None:
    """A request looked up, then sent live and failed, is never recorded; its lookup is dropped with the cassette."""
    import httpx2

    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
    with use_cassette(tmp_path / "c.yaml", mode="once") as session, httpx2.Client(base_url=OFFLINE) as client:
        with pytest.raises(httpx2.ConnectError):
            client.post("/v1/chat/completions", json=body)
        assert session.http is not None
        cassette = session.http.cassette
        assert len(cassette._pending) == 1 and cassette.data == []
    assert cassette._pending == {}
    assert not (tmp_path / "c.yaml").exists()  # nothing was recorded


def test_a_request_changed_after_its_lookup_is_recorded_as_sent(tmp_path: Path) -> None:
    """vcrpy's http.client stub may set a request's body after creating it: the lookup made before is not reused."""
    from vcr.request import Request as VcrRequest

    uri = "https://api.example.com/v1/chat/completions"
    response = {"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b"{}"}}
    with use_cassette(tmp_path / "c.yaml", mode="once") as session:
        assert session.http is not None
        cassette = session.http.cassette
        request = VcrRequest("POST", uri, b'{"model": "early"}', {"content-type": "application/json"})
        assert not cassette.can_play_response_for(request)
        request.body = f'{{"model": "late", "key": "{SECRET}"}}'.encode()
        cassette.append(request, response)
        ((stored, _),) = cassette.data
        assert json.loads(stored.body) == {"model": "late", "key": "[SCRUBBED]"}
        assert cassette._pending == {}
        again = VcrRequest("POST", uri, f'{{"model": "late", "key": "{SECRET}"}}'.encode(), {})
        assert list(cassette._responses(again)) == [(0, cassette.data[0][1])]


@pytest.mark.parametrize("library", ["httpx", "httpx2"])
def test_plain_httpx_clients_are_rewritten_and_replayed(
    tmp_path: Path, library: str, request: pytest.FixtureRequest
) -> None:
    import importlib

    httpx_module = importlib.import_module(library)
    path = tmp_path / "c.yaml"
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 0.9}

    async def run(url: str) -> str:
        async with httpx_module.AsyncClient() as client:
            r = await client.post(url + "/v1/chat/completions", json=body)
            return str(r.json()["choices"][0]["message"]["content"])

    with FakeLLM(["hello"]) as srv, use_cassette(path, mode="once"):
        assert asyncio.run(run(srv.url)) == "hello"
    assert srv.bodies[0]["temperature"] == 0 and srv.bodies[0]["seed"] == RECORD_SEED
    request.getfixturevalue("no_network")
    with use_cassette(path):  # the agent still sends temperature 0.9: matching ignores the rewritten fields
        assert asyncio.run(run(OFFLINE)) == "hello"
