"""PII settings from `[tool.agenttrace]` in pyproject.toml, the salt, the summary line and the mapping file.

Keys: `pii_salt` (str), `pii_fields` (names, or a table name -> kind; `false` drops a default), `pii_patterns`
(table kind -> regex), `pii_allowlist` (values never replaced or reported), `pii_phone_regions` (regions tried for
numbers written without `+`, default `["US"]`). `AGENTTRACE_PII_SALT` in the environment overrides `pii_salt`.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .._errors import ConfigError
from ._fields import DEFAULT_PII_FIELDS, infer_field_kind
from ._pseudonymize import Pseudonymizer

__all__ = [
    "DEFAULT_SALT",
    "SALT_ENV",
    "PiiSettings",
    "format_report",
    "load_pii_settings",
    "resolve_salt",
    "write_mapping_file",
]

SALT_ENV = "AGENTTRACE_PII_SALT"

#: Used when no salt is configured. Public, so placeholders can be confirmed by guessing (see `resolve_salt`).
DEFAULT_SALT = "pytest-agenttrace/pii/public-default-salt/v1"

NO_SALT_WARNING = (
    "no PII salt configured: placeholders are derived with a public default salt, so anyone who can guess a value "
    "(a phone number, a customer's e-mail) can check whether it is in these files. Set a secret salt in the "
    f"{SALT_ENV} environment variable (kept out of the repository), or [tool.agenttrace] pii_salt in pyproject.toml"
)


@dataclass(frozen=True, kw_only=True)
class PiiSettings:
    """What the pseudonymizer and `agenttrace scan` are configured with (defaults when there is no pyproject)."""

    salt: str | None = None
    fields: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_PII_FIELDS))
    patterns: tuple[tuple[str, str], ...] = ()
    allowlist: tuple[str, ...] = ()
    phone_regions: tuple[str, ...] = ("US",)
    source: str | None = None

    def pseudonymizer(self, *, env: Mapping[str, str] | None = None) -> Pseudonymizer:
        """A fresh pseudonymizer with these settings (salt from `resolve_salt`; use one per trace)."""
        salt, _ = resolve_salt(self.salt, env=env)
        return Pseudonymizer(
            salt,
            fields=self.fields,
            patterns=self.patterns,
            allowlist=self.allowlist,
            phone_regions=self.phone_regions,
        )


def resolve_salt(configured: str | None, *, env: Mapping[str, str] | None = None) -> tuple[str, str | None]:
    """(salt, warning): `$AGENTTRACE_PII_SALT`, else the configured salt, else `DEFAULT_SALT` with a warning.

    A missing salt does not stop a conversion (pseudonymizing by default matters more than failing), but the
    placeholders are then only as secret as the values are hard to guess: show the warning to the user.
    """
    environ = os.environ if env is None else env
    from_env = environ.get(SALT_ENV, "")
    if from_env:
        return from_env, None
    if configured:
        return configured, None
    return DEFAULT_SALT, NO_SALT_WARNING


def find_pyproject(start: str | os.PathLike[str] = ".") -> Path | None:
    """The nearest pyproject.toml in `start` or its parents."""
    here = Path(start).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_pii_settings(start: str | os.PathLike[str] = ".") -> PiiSettings:
    """Settings from the nearest pyproject.toml's `[tool.agenttrace]` (a file path is read as the pyproject)."""
    path = Path(start)
    pyproject = path if path.is_file() else find_pyproject(path)
    if pyproject is None:
        return PiiSettings()
    try:
        doc = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot read [tool.agenttrace]: {exc}; fix the TOML syntax") from exc
    table = doc.get("tool", {}).get("agenttrace", {})
    return settings_from_table(table, source=str(pyproject))


def settings_from_table(table: Mapping[str, Any], *, source: str = "[tool.agenttrace]") -> PiiSettings:
    """Validate the `pii_*` keys of a `[tool.agenttrace]` table (errors name the key, the value and the fix)."""
    salt = table.get("pii_salt")
    if salt is not None and (not isinstance(salt, str) or not salt):
        raise ConfigError(f"{source}: pii_salt must be a non-empty string, got {salt!r}")
    fields = dict(DEFAULT_PII_FIELDS)
    raw_fields = table.get("pii_fields", [])
    if isinstance(raw_fields, list) and all(isinstance(f, str) for f in raw_fields):
        fields.update({f: DEFAULT_PII_FIELDS.get(f, infer_field_kind(f)) for f in raw_fields})
    elif isinstance(raw_fields, dict):
        for name, kind in raw_fields.items():
            if kind is False:
                fields.pop(name, None)
            elif isinstance(kind, str) and kind:
                fields[name] = kind
            else:
                raise ConfigError(
                    f'{source}: pii_fields.{name} must be a kind ("name", "email", "phone", "address" or '
                    f"your own) or false to drop a default, got {kind!r}"
                )
    else:
        raise ConfigError(
            f"{source}: pii_fields must be a list of field names or a table name -> kind, got {raw_fields!r}"
        )
    raw_patterns = table.get("pii_patterns", {})
    if not isinstance(raw_patterns, dict):
        raise ConfigError(f"{source}: pii_patterns must be a table kind -> regex, got {raw_patterns!r}")
    patterns: list[tuple[str, str]] = []
    for kind, rx in raw_patterns.items():
        if not isinstance(rx, str):
            raise ConfigError(f"{source}: pii_patterns.{kind} must be a regex string, got {rx!r}")
        try:
            re.compile(rx)
        except re.error as exc:
            raise ConfigError(f"{source}: pii_patterns.{kind} = {rx!r} is not a valid regex ({exc})") from exc
        patterns.append((kind, rx))
    allowlist = _string_list(table, "pii_allowlist", source)
    regions = _string_list(table, "pii_phone_regions", source) or ["US"]
    import phonenumbers

    unknown = [r for r in regions if r.upper() not in phonenumbers.SUPPORTED_REGIONS]
    if unknown:
        raise ConfigError(
            f'{source}: pii_phone_regions has unknown region codes {unknown!r}; use ISO 3166 codes such as "US", '
            '"GB", "DE"'
        )
    return PiiSettings(
        salt=salt,
        fields=fields,
        patterns=tuple(patterns),
        allowlist=tuple(allowlist),
        phone_regions=tuple(r.upper() for r in regions),
        source=source,
    )


def _string_list(table: Mapping[str, Any], key: str, source: str) -> list[str]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{source}: {key} must be a list of strings, got {value!r}")
    return list(value)


def format_report(pseudonymizer: Pseudonymizer) -> str:
    """One line for `convert`: kinds and counts, never a value (`pseudonymized 3 values: 1 email, 2 name`)."""
    counts = pseudonymizer.report()
    if not counts:
        return "pseudonymized nothing: no personal data found"
    total = sum(counts.values())
    parts = ", ".join(f"{n} {kind}" for kind, n in counts.items())
    noun = "value" if total == 1 else "values"
    return f"pseudonymized {total} {noun}: {parts}"


def git_work_tree(path: str | os.PathLike[str]) -> Path | None:
    """The git work tree that contains `path` (walking up to a `.git`), or None."""
    here = Path(os.path.abspath(path))
    for folder in (here if here.is_dir() else here.parent, *here.parents):
        if (folder / ".git").exists():
            return folder
    return None


def write_mapping_file(pseudonymizer: Pseudonymizer, path: str | os.PathLike[str], *, force: bool = False) -> None:
    """Write placeholder -> original as JSON (mode 0600), refusing a path inside a git work tree unless `force`."""
    from .._atomic import atomic_write_text

    tree = git_work_tree(path)
    if tree is not None and not force:
        raise ConfigError(
            f"refusing to write the PII mapping file {os.fspath(path)!r} inside the git repository {str(tree)!r}: "
            "it holds the real values; choose a path outside the repository, or pass --force-mapping-file"
        )
    text = json.dumps(pseudonymizer.mapping(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    target = Path(path)
    if not target.parent.is_dir():
        raise ConfigError(
            f"cannot write the PII mapping file {os.fspath(path)!r}: its folder does not exist; create it"
        )
    if not target.exists():
        target.touch(mode=0o600)
    os.chmod(target, 0o600)
    atomic_write_text(target, text)
