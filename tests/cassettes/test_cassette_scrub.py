"""Scrubbing: the fast paths (literal gates, shallow request copies) change nothing about what is scrubbed."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st
from vcr.request import Request as VcrRequest

from pytest_agenttrace.cassettes._http import _make_request_filter, _make_response_filter
from pytest_agenttrace.cassettes._scrub import REPLACEMENT, SECRET_PATTERNS, compile_patterns, scrub_text

FAST = settings(max_examples=300, deadline=None, database=None, derandomize=True)
KEY = "sk-proj-THISISAREALLOOKINGSECRETKEY0123456789"

# Pieces that make the built-in patterns match, almost match, or match only by case folding.
_FRAGMENTS = st.sampled_from(
    [
        KEY,
        "sk-",
        "sk-short",
        "xsk-" + "a" * 24,
        "AKIA" + "A" * 16,
        "AKIA12",
        "AIza" + "b" * 35,
        "ghp_" + "c" * 30,
        "gh",
        "xoxb-" + "d" * 10,
        "Bearer ",
        "bearer ",
        "BEARER\t",
        "BeArEr  ",
        "bearer",
        "x" * 16,
        "abc.DEF_~+/-" * 2,
        "==",
        " ",
        '"',
        "\n",
        "é",
        "\u212a",  # Kelvin sign: folds to k
        "\u017f",  # long s: folds to s
        "\u0130",  # dotted capital I: lower-cases to two characters
        "jane.doe@example.com",
    ]
)


def _reference(text: str, patterns: tuple[re.Pattern[str], ...]) -> str:
    """What scrubbing means: every pattern, in order, replaced wherever it matches."""
    for p in patterns:
        text = p.sub(REPLACEMENT, text)
    return text


@FAST
@given(st.lists(_FRAGMENTS | st.text(max_size=8), max_size=12).map("".join))
def test_scrub_text_equals_the_plain_pattern_loop(text: str) -> None:
    for patterns in (compile_patterns(), compile_patterns([r"[\w.]+@example\.com", r"(?i)kelvin"])):
        assert scrub_text(text, patterns) == _reference(text, patterns)


def test_every_builtin_pattern_is_still_applied() -> None:
    samples = [KEY, "AKIA" + "Q" * 16, "AIza" + "z" * 35, "ghs_" + "y" * 30, "xoxp-" + "w" * 12, "BEARER " + "v" * 20]
    assert len(samples) == len(SECRET_PATTERNS)
    for sample in samples:
        assert scrub_text(f"key: {sample} end", compile_patterns()) == f"key: {REPLACEMENT} end"
    clean = "nothing to hide here"
    assert scrub_text(clean, compile_patterns()) is clean


def test_request_filter_scrubs_a_copy_and_leaves_the_sent_request_alone() -> None:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {KEY}", "Accept": f"x/{KEY}"}
    uri = "https://api.example.com/v1/chat/completions?api_key=SECRET&limit=5"
    body = b'{"messages": [{"role": "user", "content": "my key is ' + KEY.encode() + b'"}]}'
    sent = VcrRequest("POST", uri, body, dict(headers))
    filtered = _make_request_filter(compile_patterns())(sent)
    assert filtered is not sent
    assert dict(filtered.headers) == {"Content-Type": "application/json", "Accept": f"x/{REPLACEMENT}"}
    assert filtered.uri == "https://api.example.com/v1/chat/completions?limit=5"
    assert filtered.path == "/v1/chat/completions" and filtered.query == [("limit", "5")]
    assert KEY.encode() not in filtered.body and REPLACEMENT.encode() in filtered.body
    # The request vcrpy goes on to send is untouched.
    assert dict(sent.headers) == headers and sent.uri == uri and sent.body == body


def test_request_filter_with_nothing_to_scrub_keeps_uri_and_body() -> None:
    body = b'{"model": "m"}'
    sent = VcrRequest("POST", "https://api.example.com/v1/responses", body, {"user-agent": "sdk/1", "accept": "*/*"})
    filtered = _make_request_filter(compile_patterns())(sent)
    assert (filtered.method, filtered.uri, filtered.body) == (sent.method, sent.uri, body)
    assert dict(filtered.headers) == {"accept": "*/*"}
    assert dict(sent.headers) == {"user-agent": "sdk/1", "accept": "*/*"}


def test_response_filter_decompresses_and_trims_headers() -> None:
    import gzip

    filt = _make_response_filter(compile_patterns())
    plain = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Date": ["today"], "Content-Type": ["application/json"], "Set-Cookie": ["s=1"]},
        "body": {"string": f'{{"echo": "{KEY}"}}'.encode()},
    }
    out = filt(plain)
    assert out["headers"] == {"Content-Type": ["application/json"]}
    assert out["body"]["string"] == f'{{"echo": "{REPLACEMENT}"}}'.encode()
    packed = {
        "status": {"code": 200, "message": "OK"},
        "headers": {"Content-Encoding": ["gzip"], "Content-Type": ["application/json"]},
        "body": {"string": gzip.compress(b'{"a": 1}')},
    }
    original = gzip.compress(b'{"a": 1}')
    out = filt(packed)
    assert out["body"]["string"] == b'{"a": 1}' and "Content-Encoding" not in out["headers"]
    assert packed["body"]["string"] == original  # decoding works on a copy
