"""The `agenttrace` command: a thin face over the same functions the plugin uses.

Exit codes: 0 success, 1 findings (lint/scan/diff with differences), 2 usage or input errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from ._errors import AgentTraceError


def _cmd_show(args: argparse.Namespace) -> int:
    from .formats import load_trace

    trace = load_trace(args.trace, trace_id=args.trace_id)
    if args.json:
        json.dump(trace.to_json(), sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(trace.render(max_value=args.width) + "\n")
        for note in trace.warnings:
            sys.stderr.write(f"note: {note}\n")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="agenttrace", description="Inspect agent traces and turn them into pytest regression tests."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    show = sub.add_parser("show", help="print a trace's agents, LLM calls and tool calls as a tree (or --json)")
    show.add_argument(
        "trace",
        help="trace file (OTLP/JSON, SDK JSON lines, Jaeger, Tempo, Langfuse, ...), a directory, or - for stdin",
    )
    show.add_argument("--json", action="store_true", help="print the normalized trace as JSON (schema in the README)")
    show.add_argument("--trace-id", help="only this trace id (a unique prefix is enough)")
    show.add_argument("--width", type=int, default=80, help="maximum characters shown per value (default 80)")
    show.set_defaults(func=_cmd_show)

    from .convert import add_convert_parser
    from .diff import add_diff_parser
    from .lint import add_lint_parser
    from .pii import add_scan_parser

    add_convert_parser(sub)
    add_lint_parser(sub)
    add_diff_parser(sub)
    add_scan_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `agenttrace` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except AgentTraceError as exc:
        sys.stderr.write(f"agenttrace {args.command}: error: {exc}\n")
        return 2
    except BrokenPipeError:  # `agenttrace show big.json | head`
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
