"""A peer: pydantic-evals' `SpanTree` vs our `Trace`, built from the same 10k spans, then the tool sequence queried.

pydantic-evals is not a project dependency (and its release pins `pydantic-ai-slim` to its own version, so it does
not install cleanly into the dev venv); install it beside the venv and point `--peer-path` at it (RESULTS.md says
how). Without it this benchmark is skipped.

Build: ours is `Trace.from_records(records)` (tree + normalized steps + counting rules); theirs is what
`SpanTree.add_readable_spans` does per span (`SpanNode` with datetime timestamps and a dict of attributes, from the
same records; integer ids converted outside the timing, as the SDK hands them over already) plus
`SpanTree.add_spans`. Queries: the tool sequence (ours `trace.tool_names`; theirs `find` on
`gen_ai.operation.name == "execute_tool"` then the `gen_ai.tool.name` attribute) and find-by-tool-name (ours
`trace.find(kind="tool", name=...)`; theirs `find` with `has_attributes`). No target: a ratio for context (ours does
more work per span: it normalizes conventions into steps). Interleaved, best of N, GC on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from harness import Config, Row, interleaved, optional_module, ratio_row, skip_row
from workloads import TOOLS, make_records

NAME = "peer"


def run(cfg: Config, log: Callable[[str], None]) -> list[Row]:
    span_tree = optional_module("pydantic_evals.otel.span_tree")
    if span_tree is None:
        return [skip_row(NAME, "skipped: pydantic-evals not installed (see RESULTS.md: --peer-path)")]
    from pytest_agenttrace import Trace

    SpanNode, SpanTree = span_tree.SpanNode, span_tree.SpanTree
    spans = 10_000
    n = cfg.n(7, 3)
    records = make_records(spans)
    int_ids = [
        (int(r.trace_id, 16), int(r.span_id, 16), int(r.parent_id, 16) if r.parent_id else None) for r in records
    ]
    status = {"UNSET": "unset", "OK": "ok", "ERROR": "error"}

    def build_theirs() -> Any:
        nodes = [
            SpanNode(
                name=r.name,
                trace_id=tid,
                span_id=sid,
                parent_span_id=pid,
                start_timestamp=datetime.fromtimestamp(r.start_ns / 1e9, tz=UTC),
                end_timestamp=datetime.fromtimestamp(r.end_ns / 1e9, tz=UTC),
                attributes=dict(r.attributes),
                status=status[r.status_code],
            )
            for r, (tid, sid, pid) in zip(records, int_ids, strict=True)
        ]
        tree = SpanTree()
        tree.add_spans(nodes)
        return tree

    def build_ours() -> Any:
        return Trace.from_records(records)

    def seq_theirs(tree: Any) -> list[str]:
        return [
            str(node.attributes["gen_ai.tool.name"])
            for node in tree.find({"has_attributes": {"gen_ai.operation.name": "execute_tool"}})
        ]

    def seq_ours(trace: Any) -> list[str]:
        return trace.tool_names

    def find_theirs(tree: Any) -> list[Any]:
        return tree.find({"has_attributes": {"gen_ai.tool.name": TOOLS[2]}})

    def find_ours(trace: Any) -> list[Any]:
        return trace.find(kind="tool", name=TOOLS[2])

    # same answers, or the comparison means nothing
    ours, theirs = build_ours(), build_theirs()
    if seq_ours(ours) != seq_theirs(theirs) or len(find_ours(ours)) != len(find_theirs(theirs)):
        raise RuntimeError("pydantic-evals and pytest-agenttrace disagree on the tool sequence of the workload")
    del ours, theirs

    def timer(fn: Callable[[], Any]) -> Callable[[], float]:
        def go() -> float:
            t0 = time.perf_counter()
            fn()
            return time.perf_counter() - t0

        return go

    # builds first, with nothing else alive but the records; then one of each is built and queried
    log(f"peer: {spans:,} spans, pydantic-evals SpanTree vs Trace, best of {n}, interleaved, GC on")
    best = interleaved({"build ours": timer(build_ours), "build theirs": timer(build_theirs)}, n, log=log)
    built = {"ours": build_ours(), "theirs": build_theirs()}
    best.update(
        interleaved(
            {
                "seq ours": timer(lambda: seq_ours(built["ours"])),
                "seq theirs": timer(lambda: seq_theirs(built["theirs"])),
                "find ours": timer(lambda: find_ours(built["ours"])),
                "find theirs": timer(lambda: find_theirs(built["theirs"])),
            },
            n,
            log=log,
        )
    )
    built.clear()
    data = {"spans": spans, "repeat": n}
    label = f"{spans // 1000}k spans"
    return [
        ratio_row(
            NAME,
            f"{label}: build, Trace vs pydantic-evals SpanTree",
            best["build ours"],
            best["build theirs"],
            per=spans,
            data=data,
        ),
        ratio_row(NAME, f"{label}: tool sequence, Trace vs SpanTree", best["seq ours"], best["seq theirs"], data=data),
        ratio_row(
            NAME, f"{label}: find tool by name, Trace vs SpanTree", best["find ours"], best["find theirs"], data=data
        ),
        ratio_row(
            NAME,
            f"{label}: build + tool sequence, Trace vs SpanTree",
            best["build ours"] + best["seq ours"],
            best["build theirs"] + best["seq theirs"],
            data=data,
        ),
    ]
