"""`[tool.agenttrace]` PII settings, the salt's resolution, the summary line and the mapping file's guard."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from pii_support import EMAIL, NAME

from pytest_agenttrace import ConfigError
from pytest_agenttrace.pii import (
    DEFAULT_PII_FIELDS,
    DEFAULT_SALT,
    NO_SALT_WARNING,
    SALT_ENV,
    PiiSettings,
    Pseudonymizer,
    format_report,
    load_pii_settings,
    resolve_salt,
    settings_from_table,
    write_mapping_file,
)
from pytest_agenttrace.pii._settings import find_pyproject


def test_settings_from_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.agenttrace]\n"
        'pii_salt = "s3cret"\n'
        'pii_fields = {employee = "name", badge_no = "badge", address = false}\n'
        'pii_patterns = {order = "A\\\\d{4}"}\n'
        'pii_allowlist = ["help@acme.io"]\n'
        'pii_phone_regions = ["gb", "US"]\n'
    )
    (tmp_path / "sub").mkdir()
    settings = load_pii_settings(tmp_path / "sub")
    assert settings.salt == "s3cret" and settings.source == str(tmp_path / "pyproject.toml")
    assert settings.fields["employee"] == "name" and settings.fields["badge_no"] == "badge"
    assert "address" not in settings.fields and settings.fields["email"] == "email"
    assert settings.patterns == (("order", r"A\d{4}"),)
    assert settings.allowlist == ("help@acme.io",) and settings.phone_regions == ("GB", "US")
    p = settings.pseudonymizer(env={})
    out = p.transform({"employee": "Grace Hopper", "address": "1 Main St", "note": "A1043 from help@acme.io"})
    assert out["address"] == "1 Main St" and "A1043" not in out["note"] and "help@acme.io" in out["note"]


def test_field_names_as_a_list_infer_kinds() -> None:
    settings = settings_from_table({"pii_fields": ["shipping_email", "emergency_phone", "nickname", "ssn_digits"]})
    assert settings.fields["shipping_email"] == "email"
    assert settings.fields["emergency_phone"] == "phone"
    assert settings.fields["nickname"] == "name"
    assert settings.fields["ssn_digits"] == "field"


def test_no_pyproject_gives_defaults(tmp_path: Path) -> None:
    defaults = settings_from_table({})
    assert defaults.salt is None and defaults.patterns == () and defaults.allowlist == ()
    assert defaults.phone_regions == ("US",) and defaults.fields == dict(DEFAULT_PII_FIELDS)
    if find_pyproject(tmp_path) is not None:
        pytest.skip("a pyproject.toml above the temporary folder")
    assert load_pii_settings(tmp_path) == PiiSettings()


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"pii_salt": ""}, "pii_salt must be a non-empty string, got ''"),
        ({"pii_fields": "name"}, "pii_fields must be a list of field names or a table"),
        ({"pii_fields": {"x": 3}}, "pii_fields.x must be a kind"),
        ({"pii_patterns": {"bad": "("}}, "pii_patterns.bad = '(' is not a valid regex"),
        ({"pii_patterns": ["x"]}, "pii_patterns must be a table kind -> regex"),
        ({"pii_phone_regions": ["XX"]}, "unknown region codes ['XX']"),
    ],
)
def test_bad_settings_name_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[").replace("]", r"\]")):
        settings_from_table(table)


def test_bad_toml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.agenttrace\n")
    with pytest.raises(ConfigError, match="fix the TOML syntax"):
        load_pii_settings(tmp_path)


def test_salt_resolution() -> None:
    assert resolve_salt("conf", env={SALT_ENV: "env"}) == ("env", None)
    assert resolve_salt("conf", env={}) == ("conf", None)
    assert resolve_salt(None, env={}) == (DEFAULT_SALT, NO_SALT_WARNING)
    assert SALT_ENV in NO_SALT_WARNING and "pii_salt" in NO_SALT_WARNING


def test_format_report_never_shows_values() -> None:
    p = Pseudonymizer("s")
    assert format_report(p) == "pseudonymized nothing: no personal data found"
    p.transform({"customer": {"name": NAME, "email": EMAIL}, "cc": EMAIL.upper()})
    line = format_report(p)
    assert line == "pseudonymized 2 values: 1 email, 1 name"
    assert "Jane" not in line and "acme" not in line


def test_mapping_file_is_refused_inside_a_repository(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "tests").mkdir()
    p = Pseudonymizer("s")
    p.transform({"email": EMAIL})
    with pytest.raises(ConfigError, match="inside the git repository") as info:
        write_mapping_file(p, repo / "tests" / "map.json")
    assert "outside the repository" in str(info.value)
    assert not (repo / "tests" / "map.json").exists()
    write_mapping_file(p, repo / "tests" / "map.json", force=True)
    outside = tmp_path / "private" / "map.json"
    with pytest.raises(ConfigError, match="its folder does not exist"):
        write_mapping_file(p, outside)
    outside.parent.mkdir()
    write_mapping_file(p, outside)
    mapping = json.loads(outside.read_text())
    assert list(mapping.values()) == [EMAIL] and next(iter(mapping)).endswith("@example.com")
    if os.name == "posix":
        assert stat.S_IMODE(outside.stat().st_mode) == 0o600
