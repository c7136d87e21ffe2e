"""A small support-agent trace full of customer data, built from GenAI span records (shared by the PII tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_agenttrace import SpanEvent, SpanRecord

TID = "0af7651916cd43dd8448eb211c80319c"
FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures"

NAME = "Jane Doe"
EMAIL = "jane.doe@acme-mail.com"
OTHER_NAME = "Robert Stonebridge"
OTHER_EMAIL = "r.stonebridge@corp.example.io"
PHONE = "+1 415-555-2671"
PHONE_NATIONAL = "(415) 555-2671"
CARD = "4539 1488 0343 6467"
IBAN = "DE89 3704 0044 0532 0130 00"
API_KEY = "sk-proj-Q8vLr2TzX4mN7pWc9KdH3sJf"
IP = "81.2.69.142"
STREET = "742 Evergreen Terrace"

#: Every original that must be gone after pseudonymization (tokens of names included).
ORIGINALS = (
    NAME,
    "Jane",
    "Doe",
    EMAIL,
    OTHER_NAME,
    "Robert",
    "Stonebridge",
    OTHER_EMAIL,
    PHONE,
    PHONE_NATIONAL,
    "555-2671",
    CARD,
    IBAN,
    API_KEY,
    IP,
    STREET,
)


def span(sid: str, name: str, parent: str | None, t: int, **attrs: Any) -> SpanRecord:
    events = attrs.pop("_events", ())
    return SpanRecord(
        trace_id=TID,
        span_id=sid.rjust(16, "0"),
        parent_id=parent.rjust(16, "0") if parent else None,
        name=name,
        start_ns=t,
        end_ns=t + 10,
        attributes=attrs,
        events=tuple(events),
    )


def chat(sid: str, t: int, inputs: list[Any], outputs: list[Any], finish: str) -> SpanRecord:
    return span(
        sid,
        "chat gpt-4o-mini",
        "a",
        t,
        **{
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o-mini",
            "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 20,
            "gen_ai.response.finish_reasons": (finish,),
            "gen_ai.input.messages": json.dumps(inputs),
            "gen_ai.output.messages": json.dumps(outputs),
        },
    )


def tool(sid: str, t: int, name: str, call_id: str, args: Any, result: Any) -> SpanRecord:
    return span(
        sid,
        f"execute_tool {name}",
        "a",
        t,
        **{
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": name,
            "gen_ai.tool.call.id": call_id,
            "gen_ai.tool.call.arguments": json.dumps(args),
            "gen_ai.tool.call.result": json.dumps(result),
        },
    )


def user_text() -> str:
    return f"Hi, this is {NAME} ({EMAIL}). Please refund order A1043 to my card and confirm by e-mail."


def lookup_result() -> dict[str, Any]:
    return {
        "customer": {
            "name": NAME,
            "email": EMAIL,
            "phone": PHONE,
            "address": {"street": STREET, "city": "Springfield"},
            "card": CARD,
            "iban": IBAN,
        },
        "last_login_ip": IP,
        "related_accounts": [{"name": OTHER_NAME, "email": OTHER_EMAIL}],
        "integration": {"api_key": API_KEY},
    }


def support_records() -> list[SpanRecord]:
    """agent -> chat (asks lookup) -> tool lookup -> chat (asks send_email) -> tool send_email -> chat (answer)."""
    system = {"role": "system", "parts": [{"type": "text", "content": "You are a support agent. Be brief."}]}
    user = {"role": "user", "parts": [{"type": "text", "content": user_text()}]}
    call1 = {"type": "tool_call", "id": "call_1", "name": "lookup_customer", "arguments": {"email": EMAIL}}
    res1 = {"type": "tool_call_response", "id": "call_1", "response": lookup_result()}
    mail_args = {
        "to": EMAIL,
        "subject": f"Refund for {NAME}",
        "body": f"Dear Jane, we refunded A1043. Call {PHONE_NATIONAL}.",
    }
    call2 = {"type": "tool_call", "id": "call_2", "name": "send_email", "arguments": mail_args}
    res2 = {"type": "tool_call_response", "id": "call_2", "response": {"status": "sent", "to": EMAIL}}
    final = f"Done, Jane Doe: refunded A1043 and sent a confirmation to {EMAIL}. Ms. Doe, anything else?"
    a1 = {"role": "assistant", "parts": [call1]}
    a2 = {"role": "assistant", "parts": [call2]}
    answer = {"role": "assistant", "parts": [{"type": "text", "content": final}], "finish_reason": "stop"}
    return [
        span(
            "a",
            "invoke_agent support",
            None,
            0,
            **{
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": "support",
                "user.email": EMAIL,
                "_events": (SpanEvent(name="gen_ai.user.message", time_ns=1, attributes={"content": user_text()}),),
            },
        ),
        chat("c1", 10, [system, user], [{**a1, "finish_reason": "tool_calls"}], "tool_calls"),
        tool("t1", 20, "lookup_customer", "call_1", {"email": EMAIL}, lookup_result()),
        chat("c2", 30, [system, user, a1, {"role": "tool", "parts": [res1]}], [a2], "tool_calls"),
        tool("t2", 40, "send_email", "call_2", mail_args, {"status": "sent", "to": EMAIL}),
        chat(
            "c3",
            50,
            [system, user, a1, {"role": "tool", "parts": [res1]}, a2, {"role": "tool", "parts": [res2]}],
            [answer],
            "stop",
        ),
    ]


def dump_records(records: Any) -> str:
    """Everything a file written from these records could hold, as one string."""
    return json.dumps([r.to_dict() for r in records], ensure_ascii=False)
