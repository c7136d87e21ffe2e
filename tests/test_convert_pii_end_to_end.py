"""Issue 10's end-to-end check: a run holding a customer's name, e-mail, another customer's record, a card, a phone
and an API key converts (with the agent's entry point) into a cassette and a test where none of them appears,
`agenttrace scan` is clean, and the test replays offline with the same tool sequence as the unredacted one."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

FIXTURE_SCRIPTS = Path(__file__).resolve().parents[1] / "fixtures" / "scripts"

AGENT = '''
"""A support agent instrumented by hand with GenAI spans; its model is the openai SDK, its tools go through
@pytest_agenttrace.tool."""
import json
import os

import openai
from opentelemetry import trace

import pytest_agenttrace

tracer = trace.get_tracer("pii-agent")
CUSTOMERS = {
    "jane.doe@acme-mail.com": {
        "customer": {"name": "Jane Doe", "email": "jane.doe@acme-mail.com", "phone": "+1 415 555 2671"},
        "card": "4539 1488 0343 6467",
        "support_key": "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
        "other_customer": {"name": "Ravi Kumar", "email": "ravi.kumar@acme-mail.com"},
    }
}
TOOLS = [
    {"type": "function", "function": {"name": "find_customer", "parameters": {
        "type": "object", "properties": {"email": {"type": "string"}}, "required": ["email"]}}},
    {"type": "function", "function": {"name": "send_email", "parameters": {
        "type": "object", "properties": {"to": {"type": "string"}, "body": {"type": "string"}},
        "required": ["to", "body"]}}},
]


@pytest_agenttrace.tool
def find_customer(email):
    return CUSTOMERS[email]


@pytest_agenttrace.tool
def send_email(to, body):
    return {"sent": True, "to": to}


def run(question):
    client = openai.OpenAI(base_url=os.environ.get("AGENT_BASE_URL", "http://127.0.0.1:9/v1"), api_key="x",
                           max_retries=0)
    messages = [{"role": "system", "content": "You help customers."}, {"role": "user", "content": question}]
    with tracer.start_as_current_span("invoke_agent support", attributes={
            "gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "support"}):
        for _ in range(5):
            with tracer.start_as_current_span("chat gpt-4o-mini") as span:
                resp = client.chat.completions.create(model="gpt-4o-mini", messages=messages, tools=TOOLS)
                msg = resp.choices[0].message
                out = {"role": "assistant", "content": msg.content}
                if msg.tool_calls:
                    out["tool_calls"] = [{"id": c.id, "type": "function", "function": {
                        "name": c.function.name, "arguments": c.function.arguments}} for c in msg.tool_calls]
                span.set_attributes({
                    "gen_ai.operation.name": "chat", "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o-mini", "gen_ai.response.model": resp.model,
                    "gen_ai.response.id": resp.id,
                    "gen_ai.usage.input_tokens": resp.usage.prompt_tokens,
                    "gen_ai.usage.output_tokens": resp.usage.completion_tokens,
                    "gen_ai.response.finish_reasons": (resp.choices[0].finish_reason,),
                    "gen_ai.input.messages": json.dumps(messages),
                    "gen_ai.output.messages": json.dumps([out]),
                })
            messages.append(out)
            if not msg.tool_calls:
                return msg.content
            for c in msg.tool_calls:
                fn = {"find_customer": find_customer, "send_email": send_email}[c.function.name]
                result = fn(**json.loads(c.function.arguments))
                messages.append({"role": "tool", "tool_call_id": c.id, "content": json.dumps(result)})
    return None
'''

ORIGINALS = [
    "jane.doe@acme-mail.com",
    "Jane Doe",
    "ravi.kumar@acme-mail.com",
    "Ravi Kumar",
    "4539 1488 0343 6467",
    "+1 415 555 2671",
    "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c",
]
QUESTION = "Hi, I am Jane Doe (jane.doe@acme-mail.com). Please email me my account details."


@pytest.fixture
def recorded(pt: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Record one run of the agent against the scripted fake model, capturing its spans."""
    sys.path.insert(0, str(FIXTURE_SCRIPTS))
    try:
        from fake_llm import FakeLLM, Reply, ToolCall
    finally:
        sys.path.remove(str(FIXTURE_SCRIPTS))
    pt.makepyfile(pii_agent=AGENT)
    pt.syspathinsert()
    import pii_agent

    from pytest_agenttrace.strategies import capture

    script = [
        Reply(tool_calls=[ToolCall(name="find_customer", arguments={"email": "jane.doe@acme-mail.com"}, id="c1")]),
        Reply(
            tool_calls=[
                ToolCall(
                    name="send_email",
                    id="c2",
                    arguments={
                        "to": "jane.doe@acme-mail.com",
                        "body": "Dear Jane Doe, your card 4539 1488 0343 6467 is on file.",
                    },
                )
            ]
        ),
        Reply(text="Done, Jane Doe: I emailed jane.doe@acme-mail.com."),
    ]
    with FakeLLM(script) as srv:
        monkeypatch.setenv("AGENT_BASE_URL", srv.base_url)
        with capture(note=False) as live:
            pii_agent.run(QUESTION)
    monkeypatch.delenv("AGENT_BASE_URL")
    sys.modules.pop("pii_agent", None)
    return live.snapshot()


def _files(root: Path) -> str:
    return "\n".join(p.read_text() for p in root.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml"))


def test_converted_pseudonymized_test_replays_with_the_same_tool_sequence(
    recorded, pt: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_agenttrace.convert import convert_trace
    from pytest_agenttrace.pii import scan_paths

    assert recorded.tool_names == ["find_customer", "send_email"]
    monkeypatch.setenv("AGENTTRACE_PII_SALT", "test-salt")
    monkeypatch.setenv("PYTHONPATH", str(pt.path))
    clean = convert_trace(
        recorded,
        out=pt.path / "clean",
        name="email_details",
        entrypoint="pii_agent:run",
        is_async=False,
        pii_start=pt.path,
    )
    raw = convert_trace(
        recorded, out=pt.path / "raw", name="email_details", entrypoint="pii_agent:run", is_async=False, keep_pii=True
    )

    text = _files(pt.path / "clean")
    for original in ORIGINALS:
        assert original not in text, original
    assert "Doe" not in text and "Ravi" not in text
    assert clean.pii_report and "email" in clean.pii_report and "name" in clean.pii_report
    assert scan_paths([pt.path / "clean"]) == []
    assert scan_paths([pt.path / "raw"]), "the unredacted conversion must hold findings"

    # both replay offline and reproduce the recorded tool sequence (the generated tests assert it)
    for result in (clean, raw):
        run = pt.runpytest_subprocess("--agenttrace", "-p", "no:cacheprovider", str(result.test_path))
        run.assert_outcomes(passed=1)
    # converting again gives the same files
    again = convert_trace(
        recorded,
        out=pt.path / "again",
        name="email_details",
        entrypoint="pii_agent:run",
        is_async=False,
        pii_start=pt.path,
    )
    assert again.test_path.read_text() == clean.test_path.read_text()
    assert again.cassette_path and clean.cassette_path
    assert again.cassette_path.read_text() == clean.cassette_path.read_text()
