"""Golden trajectories: normalization, volatile paths, file naming, comparison messages and the session store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_agenttrace import AgentRun, ConfigError, LLMCall, ToolCall, Trace
from pytest_agenttrace.baseline import (
    FORMAT,
    VOLATILE,
    BaselineError,
    BaselineStore,
    accept_command,
    baseline_path,
    compare_baseline,
    load_baseline,
    normalize_trajectory,
    write_baseline,
)

TRACES = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def refund_trace(order_id: str = "A1043", *, ts: str = "2026-11-25T10:00:00Z", seed: int = 0) -> Trace:
    """A two-agent run; `seed` changes every id, time and token count but not the trajectory."""
    base = 1_000_000 * (seed + 1)
    agents = [
        AgentRun(name="lead", span_id=f"a{seed}", start_ns=base, end_ns=base + 100),
        AgentRun(name="billing", span_id=f"b{seed}", parent_span_id=f"a{seed}", start_ns=base + 20, end_ns=base + 60),
    ]
    llm = [
        LLMCall(
            span_id=f"l1{seed}",
            request_model="gpt-4o-mini",
            response_model=f"gpt-4o-mini-2024-07-{18 + seed}",
            response_id=f"chatcmpl-{seed}",
            input_tokens=100 + seed,
            output_tokens=10 + seed,
            finish_reasons=("tool_calls",),
            agent_span_id=f"a{seed}",
            start_ns=base + 1,
            end_ns=base + 10,
        ),
        LLMCall(
            span_id=f"l2{seed}",
            request_model="gpt-4.1-nano",
            finish_reasons=("stop",),
            agent_span_id=f"b{seed}",
            start_ns=base + 30,
            end_ns=base + 40 + seed,
        ),
    ]
    tools = [
        ToolCall(
            name="ask_billing",
            call_id=f"call_{seed}",
            arguments={"question": "refund?"},
            result="yes",
            status="ok",
            span_id=f"t1{seed}",
            agent_span_id=f"a{seed}",
            start_ns=base + 15,
            end_ns=base + 70,
        ),
        ToolCall(
            name="refund_order",
            call_id=f"call_x{seed}",
            arguments={"order_id": order_id, "requested_at": ts},
            result={"status": "ok", "at": ts},
            status="ok",
            span_id=f"t2{seed}",
            agent_span_id=f"b{seed}",
            start_ns=base + 45,
            end_ns=base + 50,
        ),
    ]
    return Trace(
        records=(), roots=(), nodes={}, agents=agents, llm_calls=llm, tool_calls=tools, final_output="Refunded."
    )


# --------------------------------------------------------------------------------------------- normalize


def test_normalized_trajectory_is_a_tree_without_ids_times_or_tokens() -> None:
    doc = normalize_trajectory(refund_trace())
    assert doc == {
        "format": FORMAT,
        "steps": [
            {
                "kind": "agent",
                "name": "lead",
                "steps": [
                    {"kind": "llm", "model": "gpt-4o-mini", "finish_reasons": ["tool_calls"]},
                    {"kind": "tool", "name": "ask_billing", "arguments": {"question": "refund?"}},
                    {
                        "kind": "agent",
                        "name": "billing",
                        "steps": [
                            {"kind": "llm", "model": "gpt-4.1-nano", "finish_reasons": ["stop"]},
                            {
                                "kind": "tool",
                                "name": "refund_order",
                                "arguments": {"order_id": "A1043", "requested_at": "2026-11-25T10:00:00Z"},
                            },
                        ],
                    },
                ],
            }
        ],
        "final_output": "Refunded.",
    }
    assert json.loads(json.dumps(doc)) == doc


def test_ids_times_tokens_and_response_models_do_not_matter() -> None:
    assert normalize_trajectory(refund_trace(seed=0)) == normalize_trajectory(refund_trace(seed=3))


def test_results_and_errors() -> None:
    doc = normalize_trajectory(refund_trace(), include_results=True)
    billing = doc["steps"][0]["steps"][2]
    assert billing["steps"][1]["result"] == {"at": "2026-11-25T10:00:00Z", "status": "ok"}
    failing = Trace(
        records=(),
        roots=(),
        nodes={},
        tool_calls=[ToolCall(name="t", arguments='{"a": [1, 2]}', error="Boom", status="error")],
    )
    assert normalize_trajectory(failing, include_results=True)["steps"] == [
        {"kind": "tool", "name": "t", "arguments": {"a": [1, 2]}, "error": True}
    ]


@pytest.mark.parametrize(
    "volatile",
    [
        ["requested_at"],
        ["tool_calls[*].arguments.requested_at"],
        ["tool_calls[refund_*].arguments.requested_at"],
        ["**.requested_at"],
    ],
)
def test_volatile_paths_are_masked_and_tolerate_changes(volatile: list[str]) -> None:
    a = normalize_trajectory(refund_trace(ts="2026-11-25T10:00:00Z"), volatile=volatile)
    b = normalize_trajectory(refund_trace(ts="2027-01-01T00:00:00Z"), volatile=volatile)
    assert a == b
    refund = a["steps"][0]["steps"][2]["steps"][1]
    assert refund["arguments"] == {"order_id": "A1043", "requested_at": VOLATILE}
    assert normalize_trajectory(refund_trace("A1044"), volatile=volatile) != a  # the rest still counts


def test_volatile_paths_that_do_not_match_leave_values_alone() -> None:
    doc = normalize_trajectory(refund_trace(), volatile=["tool_calls[ask_billing].arguments.requested_at", "at"])
    assert doc == normalize_trajectory(refund_trace())  # "at" masks only a key named exactly "at" (results: off)


def test_volatile_final_output_model_and_results() -> None:
    doc = normalize_trajectory(
        refund_trace(),
        volatile=["final_output", "llm_calls[gpt-4.1-*].model", "tool_calls[*].result.at"],
        include_results=True,
    )
    assert doc["final_output"] == VOLATILE
    billing = doc["steps"][0]["steps"][2]["steps"]
    assert billing[0]["model"] == VOLATILE and doc["steps"][0]["steps"][0]["model"] == "gpt-4o-mini"
    assert billing[1]["result"] == {"at": VOLATILE, "status": "ok"}


@pytest.mark.parametrize("bad", ["", "  ", None, 3])
def test_invalid_volatile_patterns_are_config_errors(bad: Any) -> None:
    with pytest.raises(ConfigError, match="volatile path"):
        normalize_trajectory(refund_trace(), volatile=[bad])


# -------------------------------------------------------------------------------------------------- paths


def test_baseline_path_layout(tmp_path: Path) -> None:
    test_file = tmp_path / "tests" / "test_shop.py"
    assert (
        baseline_path(test_file, "test_refund") == tmp_path / "tests" / "baselines" / "test_shop" / "test_refund.json"
    )
    assert baseline_path(test_file, "test_refund[A1043-25.0]").name == "test_refund[A1043-25.0].json"
    assert baseline_path(test_file, "TestShop::test_refund").name == "TestShop.test_refund.json"


@pytest.mark.parametrize(
    "name",
    ["test_x[../../etc/passwd]", "..", "../x", "test[a/b]", "test[a\\b]", "test[C:x]", "CON", "x" * 300, "t[ü ö]"],
)
def test_parametrized_names_never_leave_the_folder(tmp_path: Path, name: str) -> None:
    test_file = tmp_path / "tests" / "test_shop.py"
    path = baseline_path(test_file, name)
    folder = tmp_path / "tests" / "baselines" / "test_shop"
    assert path.parent == folder
    assert path.resolve().parent == folder.resolve()
    assert not path.name.startswith(".") and len(path.name) <= 120
    assert all(c not in path.name for c in '/\\:*?"<>| ')


def test_names_that_sanitize_alike_get_distinct_files(tmp_path: Path) -> None:
    f = tmp_path / "test_x.py"
    assert baseline_path(f, "t[a/b]") != baseline_path(f, "t[a:b]")
    assert baseline_path(f, "t[a/b]") != baseline_path(f, "t[a_b]")


# ------------------------------------------------------------------------------------------ files, compare


def test_write_then_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "baselines" / "test_shop" / "test_refund.json"
    doc = normalize_trajectory(refund_trace())
    write_baseline(path, doc)
    assert load_baseline(path) == doc
    assert path.read_text(encoding="utf-8").endswith("}\n")
    assert load_baseline(tmp_path / "missing.json") is None


@pytest.mark.parametrize("text", ["{not json", "[1, 2]", '{"format": "x"}'])
def test_a_corrupt_baseline_says_how_to_fix_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(BaselineError, match="--agenttrace-update") as exc:
        load_baseline(path)
    assert str(path) in str(exc.value)


def test_compare_shows_a_readable_diff_and_the_accept_command() -> None:
    expected = normalize_trajectory(refund_trace("A1043"))
    actual = normalize_trajectory(refund_trace("A1044"))
    assert compare_baseline(expected, expected) is None
    msg = compare_baseline(expected, actual, nodeid="tests/test_shop.py::test_refund[x y]", path="b.json")
    assert msg is not None
    assert msg.startswith("the agent's trajectory does not match its baseline b.json")
    assert '-    tool refund_order {"order_id": "A1043", "requested_at": "2026-11-25T10:00:00Z"}' in msg
    assert '+    tool refund_order {"order_id": "A1044", "requested_at": "2026-11-25T10:00:00Z"}' in msg
    assert "pytest --agenttrace --agenttrace-update 'tests/test_shop.py::test_refund[x y]'" in msg


def test_compare_falls_back_to_json_when_the_outline_is_equal() -> None:
    a = {"format": FORMAT, "steps": [], "extra": 1}
    b = {"format": FORMAT, "steps": [], "extra": 2}
    msg = compare_baseline(a, b)
    assert msg is not None and '-  "extra": 1,' in msg and '+  "extra": 2,' in msg


def test_accept_command_quotes_the_node_id() -> None:
    assert accept_command("t.py::test[a;rm -rf]") == "pytest --agenttrace --agenttrace-update 't.py::test[a;rm -rf]'"


# -------------------------------------------------------------------------------------------------- store


def test_store_missing_then_update_then_match_then_mismatch(tmp_path: Path) -> None:
    test_file = tmp_path / "tests" / "test_shop.py"
    nodeid = "tests/test_shop.py::test_refund"
    store = BaselineStore(tmp_path)
    msg = store.check(nodeid, test_file, "test_refund", refund_trace())
    assert msg is not None and "no baseline for this test yet (tests/baselines/test_shop/test_refund.json)" in msg
    assert accept_command(nodeid) in msg

    updating = BaselineStore(tmp_path, update=True)
    assert updating.check(nodeid, test_file, "test_refund", refund_trace()) is None
    assert updating.created == ["tests/baselines/test_shop/test_refund.json"]

    assert BaselineStore(tmp_path).check(nodeid, test_file, "test_refund", refund_trace(seed=2)) is None
    mismatch = BaselineStore(tmp_path).check(nodeid, test_file, "test_refund", refund_trace("A1044"))
    assert mismatch is not None and "A1044" in mismatch and accept_command(nodeid) in mismatch

    changed = BaselineStore(tmp_path, update=True)
    assert changed.check(nodeid, test_file, "test_refund", refund_trace("A1044")) is None
    assert changed.updated == ["tests/baselines/test_shop/test_refund.json"]
    assert BaselineStore(tmp_path).check(nodeid, test_file, "test_refund", refund_trace("A1044")) is None


def test_store_volatile_values_match(tmp_path: Path) -> None:
    test_file = tmp_path / "test_shop.py"
    BaselineStore(tmp_path, update=True).check("n", test_file, "t", refund_trace(ts="1"), ["requested_at"])
    assert BaselineStore(tmp_path).check("n", test_file, "t", refund_trace(ts="2"), ["requested_at"]) is None
    assert BaselineStore(tmp_path).check("n", test_file, "t", refund_trace(ts="2")) is not None


def test_store_refuses_two_tests_sharing_one_baseline(tmp_path: Path) -> None:
    store = BaselineStore(tmp_path, update=True)
    test_file = tmp_path / "test_shop.py"
    assert store.check("a", test_file, "same", refund_trace()) is None
    msg = store.check("b", test_file, "same", refund_trace())
    assert msg is not None and "already used by a" in msg


def test_store_unused_and_xdist_payloads(tmp_path: Path) -> None:
    test_file = tmp_path / "tests" / "test_shop.py"
    for name in ("test_a", "test_b", "test_gone"):
        write_baseline(baseline_path(test_file, name), normalize_trajectory(refund_trace()))
    worker1, worker2 = BaselineStore(tmp_path), BaselineStore(tmp_path)
    assert worker1.check("tests/test_shop.py::test_a", test_file, "test_a", refund_trace()) is None
    assert worker2.check("tests/test_shop.py::test_b", test_file, "test_b", refund_trace()) is None
    controller = BaselineStore(tmp_path)
    controller.merge(json.loads(json.dumps(worker1.to_payload())))
    controller.merge(json.loads(json.dumps(worker2.to_payload())))
    controller.merge(None)  # a crashed worker
    unused = controller.unused([tmp_path / "tests", tmp_path / "nowhere"])
    assert unused == [baseline_path(test_file, "test_gone")]
    [line] = controller.summary_lines([tmp_path / "tests"])
    assert "1 unused baseline(s)" in line and "tests/baselines/test_shop/test_gone.json" in line


# ------------------------------------------------------------------------------------------------ fixtures


def test_a_real_run_matches_itself_in_another_format(tmp_path: Path) -> None:
    from pytest_agenttrace.formats import load_trace

    otlp = TRACES / "multi_agent_propagation.otlp.json"
    jsonl = TRACES / "multi_agent_propagation.sdk.jsonl"
    if not (otlp.exists() and jsonl.exists()):
        pytest.skip("multi_agent_propagation fixture not generated")
    a, b = normalize_trajectory(load_trace(otlp)), normalize_trajectory(load_trace(jsonl))
    assert compare_baseline(a, b) is None
    assert [s["name"] for s in a["steps"][0]["steps"] if s["kind"] == "agent"] == [
        "billing_agent",
        "research_agent",
        "shipping_agent",
    ]
