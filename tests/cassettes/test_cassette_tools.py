"""The tool chokepoint: @tool (sync/async), execute_tool spans, replay from the cassette, misses, patching."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from pytest_agenttrace.cassettes import (
    Cassette,
    CassetteError,
    CassetteMismatchError,
    RecordedToolError,
    ToolCallRequest,
    ToolError,
    ToolInteraction,
    current_session,
    is_tool,
    patch_tools,
    tool,
    use_cassette,
)
from pytest_agenttrace.cassettes import _tools as tools_module

CALLS: list[Any] = []


@tool
def get_order(order_id: str, verbose: bool = False) -> dict[str, Any]:
    CALLS.append(("get_order", order_id))
    return {"order_id": order_id, "total": 25.0}


@tool(name="lookup")
async def aget_order(order_id: str) -> dict[str, Any]:
    CALLS.append(("lookup", order_id))
    await asyncio.sleep(0)
    return {"order_id": order_id}


class Order(BaseModel):
    order_id: str
    total: float


@dataclasses.dataclass
class Box:
    size: int


@tool
def typed_order(order_id: str) -> Order:
    CALLS.append(("typed_order", order_id))
    return Order(order_id=order_id, total=1.0)


@tool
def boxed(size: int) -> Box:
    return Box(size=size)


class Backend:
    @tool
    def fetch(self, key: str, *extra: str, **options: Any) -> str:
        CALLS.append(("fetch", key))
        return f"value of {key}"


class ToolDown(RuntimeError):
    pass


@tool
def flaky(sku: str) -> None:
    raise ToolDown(f"warehouse down for {sku}")


@tool
def missing_key(order_id: str) -> None:
    raise KeyError(f"no order {order_id!r}")


@pytest.fixture(autouse=True)
def _clear_calls() -> None:
    CALLS.clear()


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The execute_tool spans, from a private TracerProvider (the global one is left alone)."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(tools_module, "_TRACER", provider.get_tracer("test"))
    yield exporter
    provider.shutdown()


def _write(path: Path, *tools: ToolInteraction) -> Path:
    return Cassette(tools=list(tools)).save(path)


# ------------------------------------------------------------------------------------------------ no session


def test_without_a_session_the_tool_runs_and_emits_a_span(spans: Any) -> None:
    assert current_session() is None
    assert get_order("A1") == {"order_id": "A1", "total": 25.0}
    assert CALLS == [("get_order", "A1")]
    (span,) = spans.get_finished_spans()
    assert span.name == "execute_tool get_order"
    attrs = dict(span.attributes)
    assert attrs["gen_ai.operation.name"] == "execute_tool"
    assert attrs["gen_ai.tool.name"] == "get_order"
    assert json.loads(attrs["gen_ai.tool.call.arguments"]) == {"order_id": "A1"}
    assert json.loads(attrs["gen_ai.tool.call.result"]) == {"order_id": "A1", "total": 25.0}
    assert "agenttrace.replayed" not in attrs


def test_an_exception_marks_the_span_as_error(spans: Any) -> None:
    with pytest.raises(ToolDown):
        flaky("S1")
    (span,) = spans.get_finished_spans()
    assert span.status.status_code.name == "ERROR"
    assert span.attributes["error.type"] == "ToolDown"


def test_decorator_keeps_the_signature_and_marks_the_function() -> None:
    import inspect

    assert inspect.signature(get_order) == inspect.signature(get_order.__wrapped__)
    assert get_order.__name__ == "get_order" and is_tool(get_order)
    assert inspect.iscoroutinefunction(aget_order)


def test_span_can_be_turned_off(spans: Any) -> None:
    quiet = tool(span=False)(lambda x: x * 2)
    assert quiet(2) == 4
    assert spans.get_finished_spans() == ()


def test_generators_are_refused() -> None:
    def gen() -> Iterator[int]:
        yield 1

    with pytest.raises(CassetteError, match="generator"):
        tool(gen)


# ------------------------------------------------------------------------------------------------- replay


def test_replay_answers_from_the_cassette_and_never_runs_the_tool(tmp_path: Path, spans: Any) -> None:
    path = _write(
        tmp_path / "c.yaml",
        ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result={"recorded": True}, call_id="call_9"),
    )
    with use_cassette(path, http=False) as session:
        assert get_order(order_id="A1") == {"recorded": True}
    assert CALLS == []
    assert [(c.step, c.name, c.source) for c in session.calls] == [(1, "get_order", "replayed")]
    (span,) = spans.get_finished_spans()
    assert span.attributes["agenttrace.replayed"] is True
    assert span.attributes["gen_ai.tool.call.id"] == "call_9"
    assert json.loads(span.attributes["gen_ai.tool.call.result"]) == {"recorded": True}


def test_positional_and_keyword_calls_match_the_same_recording(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.yaml",
        ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result=1),
        ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result=2),
    )
    with use_cassette(path, http=False):
        assert get_order("A1") == 1
        assert get_order(order_id="A1") == 2  # same key, next recording in order


def test_arguments_are_normalized_json(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", ToolInteraction(name="fetch", arguments={"key": "k", "extra": ["a"], "x": 1.0}))
    with use_cassette(path, http=False):
        Backend().fetch("k", "a", x=1)  # self dropped, *args as a list, **kwargs flattened, 1 == 1.0
    assert CALLS == []


def test_same_call_recorded_once_cannot_be_replayed_twice(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result=1))
    with pytest.raises(CassetteMismatchError) as info, use_cassette(path, http=False):
        get_order("A1")
        get_order("A1")
    assert "same arguments: the agent made this call more often than recorded" in str(info.value)
    assert CALLS == []


def test_unrecorded_call_fails_with_the_nearest_call_and_the_difference(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.yaml",
        ToolInteraction(name="search_kb", arguments={"query": "refund"}, result=[]),
        ToolInteraction(name="get_order", arguments={"order_id": "A1043"}, result={}),
        ToolInteraction(name="get_order", arguments={"order_id": "B2"}, result={}),
    )
    with pytest.raises(CassetteMismatchError) as info, use_cassette(path, http=False):
        get_order("A1044")
    message = str(info.value)
    assert "tool call not found in the cassette: get_order(order_id='A1044') (step 1)" in message
    assert "nearest recorded call: step 2 get_order(order_id='A1043') (not replayed yet)" in message
    assert "order_id: recorded 'A1043', called 'A1044'" in message
    assert "The real tool was not run." in message and "--agenttrace-record-mode=new_episodes" in message
    assert CALLS == []


def test_unknown_tool_lists_the_recorded_tools(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", ToolInteraction(name="search_kb", arguments={"query": "x"}, result=[]))
    with (
        pytest.raises(CassetteMismatchError, match=r"no recorded call to 'get_order'; recorded tools: 'search_kb'"),
        use_cassette(path, http=False),
    ):
        get_order("A1")


def test_a_swallowed_miss_still_fails_when_the_cassette_closes(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result=1))

    def agent_step() -> str:  # an agent that turns tool errors into messages for the model
        try:
            return json.dumps(get_order("A2"))
        except Exception as exc:
            return f"error: {exc}"

    with pytest.raises(CassetteMismatchError, match="A2"), use_cassette(path, http=False):
        assert agent_step().startswith("error: tool call not found")


def test_a_later_failure_shows_the_miss_as_its_cause(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result=1))
    with pytest.raises(CassetteMismatchError) as info, use_cassette(path, http=False):
        with contextlib.suppress(CassetteMismatchError):
            get_order("A2")
        raise AssertionError("the agent answered wrongly")
    assert isinstance(info.value.__cause__, AssertionError)


def test_missing_cassette_in_mode_none_says_how_to_record(tmp_path: Path) -> None:
    with (
        pytest.raises(CassetteMismatchError, match=r"(?s)does not exist.*record-mode=once"),
        use_cassette(tmp_path / "none.yaml", http=False),
    ):
        get_order("A1")
    assert CALLS == []


def test_recorded_errors_are_replayed_with_their_type(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.yaml",
        ToolInteraction(name="a", arguments={}, error=ToolError(message="no order 'A9'", type="KeyError")),
        ToolInteraction(name="b", arguments={}, error=ToolError(message="down", type=f"{__name__}.ToolDown")),
        ToolInteraction(name="c", arguments={}, error=ToolError(message="boom", type="not_imported.mod.Err")),
        ToolInteraction(name="d", arguments={}, error=ToolError(message="plain")),
    )
    with use_cassette(path, http=False):
        with pytest.raises(KeyError) as key_error:
            tool(name="a")(lambda: None)()
        assert key_error.value.args == ("no order 'A9'",)
        with pytest.raises(ToolDown, match="down"):
            tool(name="b")(lambda: None)()
        with pytest.raises(RecordedToolError, match=r"not_imported\.mod\.Err: boom") as other:
            tool(name="c")(lambda: None)()
        assert other.value.type_name == "not_imported.mod.Err"
        with pytest.raises(RecordedToolError, match="plain"):
            tool(name="d")(lambda: None)()


def test_replayed_results_become_the_declared_return_type(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "c.yaml",
        ToolInteraction(name="typed_order", arguments={"order_id": "A1"}, result={"order_id": "A1", "total": 9}),
        ToolInteraction(name="boxed", arguments={"size": 3}, result={"size": 3}),
    )
    with use_cassette(path, http=False):
        assert typed_order("A1") == Order(order_id="A1", total=9.0)
        assert boxed(3) == Box(size=3)
    assert CALLS == []


def test_custom_matcher(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result="x"))

    def by_name(call: ToolCallRequest, recorded: ToolInteraction) -> bool:
        return call.name == recorded.name

    with use_cassette(path, http=False, tool_matcher=by_name):
        assert get_order("anything") == "x"


# -------------------------------------------------------------------------------------------------- record


def test_once_records_results_and_errors_then_replays_them(tmp_path: Path) -> None:
    path = tmp_path / "cassettes" / "t.yaml"
    with use_cassette(path, mode="once", http=False) as session:
        assert get_order("A1", verbose=True) == {"order_id": "A1", "total": 25.0}
        with pytest.raises(KeyError):
            missing_key("A9")
    assert [c.source for c in session.calls] == ["real", "real"]
    saved = Cassette.load(path)
    assert [(t.name, t.arguments) for t in saved.tools] == [
        ("get_order", {"order_id": "A1", "verbose": True}),
        ("missing_key", {"order_id": "A9"}),
    ]
    assert saved.tools[1].error == ToolError(message="no order 'A9'", type="KeyError")
    assert saved.meta["source"] == "recording"
    CALLS.clear()
    with use_cassette(path, mode="once", http=False) as session:  # the file exists: replay only
        assert get_order("A1", verbose=True) == {"order_id": "A1", "total": 25.0}
        with pytest.raises(KeyError, match="A9"):
            missing_key("A9")
    assert CALLS == [] and [c.source for c in session.calls] == ["replayed", "replayed"]


def test_new_episodes_keeps_recordings_and_appends_new_calls(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result="old"))
    with use_cassette(path, mode="new_episodes", http=False):
        assert get_order("A1") == "old"
        assert get_order("A2") == {"order_id": "A2", "total": 25.0}
    assert CALLS == [("get_order", "A2")]
    assert [t.arguments["order_id"] for t in Cassette.load(path).tools] == ["A1", "A2"]


def test_all_rerecords_everything(tmp_path: Path) -> None:
    path = _write(tmp_path / "c.yaml", ToolInteraction(name="get_order", arguments={"order_id": "A1"}, result="old"))
    with use_cassette(path, mode="all", http=False):
        assert get_order("A1") == {"order_id": "A1", "total": 25.0}
    assert [t.result for t in Cassette.load(path).tools] == [{"order_id": "A1", "total": 25.0}]


def test_ci_forces_mode_none_and_says_so(tmp_path: Path) -> None:
    with (
        pytest.raises(CassetteMismatchError, match="forced to 'none' because the CI environment variable is set"),
        use_cassette(tmp_path / "c.yaml", mode="once", http=False, environ={"CI": "true"}),
    ):
        get_order("A1")
    assert not (tmp_path / "c.yaml").exists() and CALLS == []


def test_cassettes_do_not_nest(tmp_path: Path) -> None:
    with (
        use_cassette(tmp_path / "a.yaml", http=False),
        pytest.raises(CassetteError, match="already active"),
        use_cassette(tmp_path / "b.yaml", http=False),
    ):
        pass
    assert current_session() is None


# ----------------------------------------------------------------------------------------- async, threads


def test_async_tools_replay_under_gather(tmp_path: Path) -> None:
    recorded = [ToolInteraction(name="lookup", arguments={"order_id": f"A{i}"}, result=i) for i in range(20)]
    path = _write(tmp_path / "c.yaml", *recorded)

    async def main() -> list[Any]:
        return await asyncio.gather(*(aget_order(f"A{i}") for i in reversed(range(20))))

    with use_cassette(path, http=False):
        assert asyncio.run(main()) == list(reversed(range(20)))
    assert CALLS == []


def test_tools_called_from_other_threads_find_the_session(tmp_path: Path) -> None:
    recorded = [ToolInteraction(name="get_order", arguments={"order_id": f"A{i}"}, result=i) for i in range(8)]
    path = _write(tmp_path / "c.yaml", *recorded)
    results: dict[int, Any] = {}

    def worker(i: int) -> None:
        results[i] = get_order(f"A{i}")

    with use_cassette(path, http=False):
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert results == {i: i for i in range(8)}
    assert CALLS == []


def test_concurrent_recording_keeps_call_order_slots(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"

    async def main() -> None:
        await asyncio.gather(*(aget_order(f"A{i}") for i in range(5)))

    with use_cassette(path, mode="once", http=False):
        asyncio.run(main())
    assert [t.arguments["order_id"] for t in Cassette.load(path).tools] == [f"A{i}" for i in range(5)]


# --------------------------------------------------------------------------------------------- patch_tools

import cassette_support  # noqa: E402, F401
import shop  # noqa: E402
from shop import search_kb as copied_search_kb  # noqa: E402


def test_patch_tools_by_dotted_path_including_from_import_copies(tmp_path: Path) -> None:
    original = shop.search_kb
    path = _write(
        tmp_path / "c.yaml",
        ToolInteraction(name="search_kb", arguments={"query": "refund"}, result="hit 1"),
        ToolInteraction(name="search_kb", arguments={"query": "refund"}, result="hit 2"),
    )
    with use_cassette(path, http=False, tools={"search_kb": "shop.search_kb"}):
        assert is_tool(shop.search_kb)
        assert shop.search_kb("refund") == "hit 1"
        # `from shop import search_kb` made a module-level copy: it is patched too.
        assert globals()["copied_search_kb"]("refund") == "hit 2"
    assert shop.search_kb is original and copied_search_kb is original


def test_patch_tools_methods_and_errors() -> None:
    with patch_tools({"fetch": f"{__name__}.Backend.fetch"}):
        assert is_tool(Backend.__dict__["fetch"])
    with pytest.raises(CassetteError, match="no importable module"), patch_tools({"x": "nopkg_zz.mod.fn"}):
        pass
    with pytest.raises(CassetteError, match="must map tool names to dotted paths"), patch_tools(["x"]):  # type: ignore[arg-type]
        pass
