"""Re-record `cassettes/refund.yaml`: the fixed agent answering `REQUEST`, against a fake LLM (no key, no network).

From the repository root:

    .venv/bin/python -m examples.robustness.record

`FakeLLM` (`fixtures/scripts/fake_llm.py`, a local HTTP server) serves the scripted model of `model.py`; the agent
runs for real (real openai SDK, real tools on the in-memory shop) inside `use_cassette(..., mode="once")`, which
writes the tool calls and the HTTP exchanges. The output is the same on every run (fixed ids, usage, `created`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "fixtures" / "scripts"))

import openai  # noqa: E402
from fake_llm import FakeLLM, Reply, ToolCall, Usage  # noqa: E402

from pytest_agenttrace.cassettes import ci_is_set, use_cassette  # noqa: E402

from . import agent, model  # noqa: E402

CASSETTE = HERE / "cassettes" / "refund.yaml"


def reply(body: dict[str, Any]) -> Reply:
    """The scripted model's decision for one request, as a `FakeLLM` reply."""
    decision = model.decide(body["messages"])
    calls = [
        ToolCall(id=cid, name=name, arguments=args)
        for cid, (name, args) in zip(decision.call_ids, decision.tool_calls, strict=True)
    ]
    usage = Usage(input_tokens=decision.input_tokens, output_tokens=decision.output_tokens)
    return Reply(text=decision.text, tool_calls=calls, usage=usage, model=model.RESPONSE_MODEL)


def main() -> None:
    if ci_is_set():
        sys.exit("CI is set: cassettes are never recorded in CI (record mode is forced to 'none'); run locally")
    CASSETTE.unlink(missing_ok=True)
    agent.SHOP.reset()
    with FakeLLM(reply) as server, use_cassette(CASSETTE, mode="once"):
        client = openai.OpenAI(base_url=server.base_url, api_key="sk-record-fake", max_retries=0)
        answer = agent.RefundAgent(client).run(agent.REQUEST)
    print(f"{CASSETTE.relative_to(ROOT)}: {len(agent.SHOP.refunds)} refund(s); answer: {answer}")


if __name__ == "__main__":
    main()
