"""Time travel and faults: replace a tool's output at step N, make it raise or time out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_agenttrace.cassettes import (
    Cassette,
    ToolInteraction,
    ToolOverride,
    ToolOverrideError,
    tool,
    use_cassette,
)

RAN: list[str] = []


@tool
def search(query: str) -> list[str]:
    RAN.append(query)
    return [f"real result for {query}"]


@tool
def get_order(order_id: str) -> dict[str, Any]:
    RAN.append(order_id)
    return {"order_id": order_id}


@pytest.fixture(autouse=True)
def _clear() -> None:
    RAN.clear()


def _cassette(tmp_path: Path) -> Path:
    return Cassette(
        tools=[
            ToolInteraction(name="search", arguments={"query": "a"}, result=["recorded a"]),
            ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result={"order_id": "A1"}),
            ToolInteraction(name="search", arguments={"query": "b"}, result=["recorded b"]),
        ]
    ).save(tmp_path / "c.yaml")


def test_result_at_step_n_replaces_the_recording(tmp_path: Path) -> None:
    override = ToolOverride(step=3, name="search", result=["nothing found"])
    with use_cassette(_cassette(tmp_path), http=False, overrides=[override]) as session:
        assert search("a") == ["recorded a"]
        assert get_order("A1") == {"order_id": "A1"}
        assert search("b") == ["nothing found"]
    assert [c.source for c in session.calls] == ["replayed", "replayed", "override"]
    assert RAN == []


def test_raises_and_timeout(tmp_path: Path) -> None:
    overrides = [
        ToolOverride(step=1, raises=ConnectionError("search backend down")),
        ToolOverride(step=2, timeout=True),
    ]
    with use_cassette(_cassette(tmp_path), http=False, overrides=overrides):
        with pytest.raises(ConnectionError, match="search backend down"):
            search("a")
        with pytest.raises(TimeoutError, match=r"tool 'get_order' timed out \(simulated: ToolOverride\(step 2\)\)"):
            get_order("A1")
        assert search("b") == ["recorded b"]
    assert RAN == []


def test_an_exception_class_is_instantiated(tmp_path: Path) -> None:
    with use_cassette(_cassette(tmp_path), http=False, overrides=[ToolOverride(step=1, raises=PermissionError)]):
        with pytest.raises(PermissionError):
            search("a")
        get_order("A1")
        search("b")


def test_name_only_overrides_every_call_of_that_tool(tmp_path: Path) -> None:
    with use_cassette(_cassette(tmp_path), http=False, overrides=[ToolOverride(name="search", result=[])]):
        assert search("a") == []
        assert get_order("A1") == {"order_id": "A1"}
        assert search("zzz") == []  # not recorded, but overridden: no miss


def test_overrides_work_without_a_recording_and_never_run_the_tool(tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    with use_cassette(path, mode="once", http=False, overrides=[ToolOverride(step=2, result="faked")]):
        assert search("a") == ["real result for a"]
        assert search("b") == "faked"
    assert RAN == ["a"]
    # The overridden call is not recorded: replaying with the same override gives the same run.
    assert [t.arguments for t in Cassette.load(path).tools] == [{"query": "a"}]
    with use_cassette(path, mode="once", http=False, overrides=[ToolOverride(step=2, result="faked")]):
        assert search("a") == ["real result for a"]
        assert search("b") == "faked"
    assert RAN == ["a"]


def test_fixture_method_adds_an_override_mid_test(tmp_path: Path) -> None:
    with use_cassette(_cassette(tmp_path), http=False) as session:
        assert search("a") == ["recorded a"]
        session.override_tool(step=2, name="get_order", raises=KeyError("gone"))
        with pytest.raises(KeyError):
            get_order("A1")
        search("b")


def test_an_override_that_never_applies_fails(tmp_path: Path) -> None:
    with (
        pytest.raises(ToolOverrideError, match=r"ToolOverride\(step 7\) never applied: the test made 3 tool call"),
        use_cassette(_cassette(tmp_path), http=False, overrides=[ToolOverride(step=7, result=1)]),
    ):
        search("a")
        get_order("A1")
        search("b")


def test_an_override_for_the_wrong_tool_at_that_step_fails(tmp_path: Path) -> None:
    with (
        pytest.raises(ToolOverrideError, match="expected tool 'search' at step 2, but step 2 called get_order"),
        use_cassette(_cassette(tmp_path), http=False, overrides=[ToolOverride(step=2, name="search", result=1)]),
    ):
        search("a")
        assert get_order("A1") == {"order_id": "A1"}  # not overridden
        search("b")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"result": 1}, "needs step=N"),
        ({"step": 0, "result": 1}, "must be an int >= 1"),
        ({"step": 1}, "exactly one of"),
        ({"step": 1, "result": 1, "timeout": True}, "exactly one of"),
        ({"step": 1, "raises": "boom"}, "must be an exception"),
    ],
)
def test_invalid_overrides_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ToolOverrideError, match=message):
        ToolOverride(**kwargs)
