"""`agenttrace scan`: findings in every file kind we write, none in pseudonymized output, exit codes for CI."""

from __future__ import annotations

import argparse
import gzip
import io
import json
from pathlib import Path

import pytest
import yaml
from pii_support import API_KEY, CARD, EMAIL, IBAN, NAME, ORIGINALS, PHONE, support_records

from pytest_agenttrace import Trace
from pytest_agenttrace.formats import save_trace
from pytest_agenttrace.pii import PRE_COMMIT_HOOK, Pseudonymizer, add_scan_parser, mask, scan_paths, scan_text


def write_project(root: Path, trace: Trace) -> None:
    """The files a project commits: a trace (plain and gzipped), a cassette, JSON lines and a converted test."""
    (root / "traces").mkdir()
    save_trace(trace, root / "traces" / "run.json")
    save_trace(trace, root / "traces" / "run.json.gz")
    lookup, send = trace.tool_calls
    customer = lookup.result["customer"]
    cassette = {
        "version": 1,
        "tools": [{"name": t.name, "arguments": t.arguments, "result": t.result} for t in (lookup, send)],
    }
    (root / "cassettes").mkdir()
    (root / "cassettes" / "support.yaml").write_text(yaml.safe_dump(cassette, allow_unicode=True), encoding="utf-8")
    (root / "calls.jsonl").write_text("\n".join(json.dumps(t.arguments) for t in (lookup, send)) + "\n")
    (root / "test_support.py").write_text(
        "def test_support(agent_trace):\n"
        f"    assert agent_trace.tool_calls[1].arguments['to'] == {send.arguments['to']!r}\n"
        f"    assert agent_trace.final_output == {trace.final_output!r}\n"
        f"    customer = {{'name': {customer['name']!r}, 'phone': {customer['phone']!r}}}\n",
        encoding="utf-8",
    )
    (root / "README.md").write_text(f"not scanned in a directory: {EMAIL}\n")


def test_findings_in_every_file_kind(tmp_path: Path) -> None:
    write_project(tmp_path, Trace.from_records(support_records()))
    findings = scan_paths([tmp_path])
    files = {Path(f.path).name for f in findings}
    assert files == {"run.json", "run.json.gz", "support.yaml", "calls.jsonl", "test_support.py"}
    by_file = {name: {f.kind for f in findings if Path(f.path).name == name} for name in files}
    assert {"email", "name", "phone", "card", "iban", "ip", "secret", "address"} <= by_file["run.json"]
    assert by_file["run.json"] == by_file["run.json.gz"]
    assert {"email", "name", "phone"} <= by_file["test_support.py"]
    assert {"email", "name", "card", "iban", "secret"} <= by_file["support.yaml"]
    text = "\n".join(map(str, findings))
    assert [value for value in ORIGINALS if value in text] == []  # never the value itself
    locations = [f.location for f in findings if Path(f.path).name == "support.yaml"]
    assert any("$.tools[0].result.customer.address.street" in loc for loc in locations)
    assert all(f.location.split(":")[0].isdigit() for f in findings if f.path.endswith(".py"))


def test_pseudonymized_files_are_clean(tmp_path: Path) -> None:
    clean = Pseudonymizer("salt").transform_trace(Trace.from_records(support_records()))
    write_project(tmp_path, clean)
    (tmp_path / "README.md").unlink()
    assert scan_paths([tmp_path]) == []


def test_masks_keep_only_a_few_characters() -> None:
    assert mask("email", "jane.doe@acme-mail.com") == "j***@a***.com"
    assert mask("phone", PHONE) == "+* ***-***-**71"
    assert mask("card", CARD) == "**** **** **** 6467"
    assert mask("iban", IBAN).startswith("DE** ****")
    assert mask("name", NAME) == "J*** D***"
    assert API_KEY[6:] not in mask("secret", API_KEY)
    assert mask("user_id", "abc") == "***"


def test_scan_text_on_plain_lines() -> None:
    found = scan_text(f"line one\nwrite to {EMAIL} or {EMAIL}\n", path="notes.txt")
    assert [(f.kind, f.location, f.occurrences) for f in found] == [("email", "2", 1)]


def run_cli(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="agenttrace")
    add_scan_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["scan", *argv])
    out, err = io.StringIO(), io.StringIO()
    code = args.func(args, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_cli_exit_codes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clean.json").write_text(json.dumps({"email": "user-1a2b3c4d@example.com"}))
    (tmp_path / "dirty.json").write_text(json.dumps({"email": EMAIL}))
    assert run_cli("clean.json") == (0, "", "")
    code, out, err = run_cli("clean.json", "dirty.json")
    assert code == 1 and "dirty.json:1: $.email: email: j***@a***.com" in out and "1 PII-looking value" in err
    code, out, _ = run_cli("--json", "dirty.json")
    assert code == 1 and json.loads(out)[0]["kind"] == "email"
    assert run_cli("--allow", EMAIL, "dirty.json")[0] == 0
    code, _, err = run_cli("missing.json")
    assert code == 2 and "no such file or directory: 'missing.json'" in err


def test_cli_reads_the_allowlist_from_pyproject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text(f'[tool.agenttrace]\npii_allowlist = ["{EMAIL}"]\n')
    (tmp_path / "dirty.json").write_text(json.dumps({"email": EMAIL}))
    monkeypatch.chdir(tmp_path)
    assert run_cli("dirty.json")[0] == 0
    (tmp_path / "pyproject.toml").write_text("[tool.agenttrace]\npii_allowlist = 3\n")
    code, _, err = run_cli("dirty.json")
    assert code == 2 and "pii_allowlist must be a list of strings, got 3" in err


def test_corrupt_gzip_is_reported_not_raised(tmp_path: Path) -> None:
    (tmp_path / "bad.json.gz").write_bytes(gzip.compress(b"{}")[:12])
    (finding,) = scan_paths([tmp_path])
    assert finding.kind == "unreadable"


def test_pre_commit_hook_snippet_is_valid_yaml() -> None:
    (repo,) = yaml.safe_load(PRE_COMMIT_HOOK)
    assert repo["hooks"][0]["entry"] == "agenttrace scan"


def test_python_dicts_over_several_lines() -> None:
    code = (
        "expected = {\n"
        '    "name": "Jane Doe",\n'
        '    "tier": "gold",\n'
        '    "email": "user-1a2b3c4d@example.com",\n'
        "}\n" + "\n" * 20 + 'agent = Agent(name="Triage Agent")\n'
    )
    assert [(f.kind, f.location, f.preview) for f in scan_text(code, path="test_x.py")] == [("name", "2", "J*** D***")]
