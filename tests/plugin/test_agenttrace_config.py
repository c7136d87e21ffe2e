"""`[tool.agenttrace]` loading: typed known keys, unknown keys kept, errors naming the file and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_agenttrace._config import AgentTraceConfig, load_config, parse_config
from pytest_agenttrace._errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_or_no_table_is_an_empty_config(tmp_path: Path) -> None:
    assert load_config(tmp_path) == AgentTraceConfig()
    write(tmp_path, '[project]\nname = "x"\n')
    assert load_config(tmp_path) == AgentTraceConfig()


def test_known_and_unknown_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[tool.agenttrace]\nsummary = "all"\npii_salt = "s"\nmax_tokens = 100\n'
        '[tool.agenttrace.prices."gpt-x"]\ninput_mtok = 1.5\n',
    )
    config = load_config(tmp_path)
    assert config.path == path
    assert config.summary == "all"
    assert config.extra == {"pii_salt": "s", "max_tokens": 100, "prices": {"gpt-x": {"input_mtok": 1.5}}}
    assert config.get("pii_salt") == "s" and config.get("scrub", []) == []
    assert config.where("prices") == f"{path}: [tool.agenttrace] prices"


def test_bad_summary_names_file_key_value_and_choices(tmp_path: Path) -> None:
    path = write(tmp_path, '[tool.agenttrace]\nsummary = "loud"\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    message = str(info.value)
    assert message.startswith(f"{path}: [tool.agenttrace] summary = 'loud' is not one of 'auto', 'all', 'none'")


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[tool.agenttrace\n")
    with pytest.raises(ConfigError, match=rf"^{path}: not valid TOML"):
        load_config(tmp_path)


def test_table_must_be_a_table(tmp_path: Path) -> None:
    write(tmp_path, '[tool]\nagenttrace = "on"\n')
    with pytest.raises(ConfigError, match=r"tool.agenttrace = 'on' is not a table"):
        load_config(tmp_path)
    assert parse_config({}) == AgentTraceConfig()
