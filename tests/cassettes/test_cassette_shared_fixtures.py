"""35 real third-party vcrpy cassettes (OpenAI Chat/Responses, Anthropic, streaming, errors) load and replay.

They exercise other recorders' quirks: gzip `!!binary` bodies, pydantic-ai's `parsed_body`, scalar and bytes header
values, `headers: {}`, repeated identical requests. See ../shared/fixtures/http/SOURCES.md.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import httpx2
import pytest
import yaml

from pytest_agenttrace.cassettes import Cassette, use_cassette
from pytest_agenttrace.cassettes._normalize import json_body


def _files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.yaml"))


def _expected_body(response: dict[str, Any]) -> bytes:
    if "parsed_body" in response:
        return json.dumps(response["parsed_body"]).encode()
    raw = response["body"]["string"]
    raw = raw if isinstance(raw, bytes) else raw.encode()
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    encoding = headers.get("content-encoding")
    if encoding and "gzip" in (encoding if isinstance(encoding, list) else [encoding]):
        raw = gzip.decompress(raw)
    return raw


def _request_body(request: dict[str, Any]) -> bytes | None:
    if "parsed_body" in request:
        return json.dumps(request["parsed_body"]).encode()
    body = request.get("body")
    return body.encode() if isinstance(body, str) else body


def test_all_35_are_present(shared_http: Path) -> None:
    assert len(_files(shared_http)) == 35


def test_every_file_replays_every_interaction(shared_http: Path, no_network: list[Any]) -> None:
    replayed = 0
    for path in _files(shared_http):
        raw = yaml.safe_load(path.read_text())
        assert Cassette.load(path).interactions, path.name
        with use_cassette(path, mode="none", temperature_zero=False), httpx2.Client() as client:
            for item in raw["interactions"]:
                req, resp = item["request"], item["response"]
                got = client.request(req["method"], req["uri"], content=_request_body(req))
                assert got.status_code == resp["status"]["code"], path.name
                want = _expected_body(resp)
                if json_body(want) is not None:
                    assert json_body(got.content) == json_body(want), path.name
                else:
                    assert got.content == want, path.name
                replayed += 1
    assert replayed >= 50
    assert no_network == []
    # Replaying in mode none never rewrites the third-party files.


def test_files_are_not_modified_by_replay(shared_http: Path, tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in _files(shared_http)}
    for path in before:
        with use_cassette(path, mode="none"):
            pass
    assert {p: p.read_bytes() for p in _files(shared_http)} == before


@pytest.mark.parametrize(
    "name", ["test_chat_completion_streaming.yaml", "test_open_ai_function_calls_tools_parallel.yaml"]
)
def test_the_real_sdk_parses_recorded_responses(shared_http: Path, name: str, no_network: list[Any]) -> None:
    import openai

    (path,) = shared_http.rglob(name)
    raw = yaml.safe_load(path.read_text())
    body = json.loads(_request_body(raw["interactions"][0]["request"]) or b"{}")
    with use_cassette(path, temperature_zero=False), openai.OpenAI(api_key="x", max_retries=0) as client:
        if body.get("stream"):
            chunks = list(client.chat.completions.create(**body))
            text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
            assert text and chunks[-1].usage is not None
        else:
            resp = client.chat.completions.create(**body)
            assert len(resp.choices[0].message.tool_calls or []) == 2
