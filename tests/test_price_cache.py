"""The persistent memo of genai-prices answers: genai-prices' prices, keyed on all they depend on, robust files."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from pytest_agenttrace import LLMCall
from pytest_agenttrace import cost as cost_module
from pytest_agenttrace._price_cache import (
    ANY_DAY,
    FILE_NAME,
    FORMAT,
    MAX_ENTRIES,
    MISSING,
    PriceCache,
    genai_prices_fingerprint,
    make_key,
)
from pytest_agenttrace.cost import UnknownPriceError, price_call

WHEN_NS = int(datetime(2026, 6, 1, 12, tzinfo=UTC).timestamp()) * 1_000_000_000
DAY = WHEN_NS // 86_400_000_000_000


def call(model: str, provider: str | None = "openai", *, inp: int = 1000, out: int = 100, start_ns: int = WHEN_NS):
    return LLMCall(
        span_id="ab" * 8, provider=provider, request_model=model, input_tokens=inp, output_tokens=out, start_ns=start_ns
    )


@pytest.fixture
def memo(tmp_path: Path) -> Iterator[PriceCache]:
    """A memo installed for genai-prices lookups, with the in-process memo emptied before and after."""
    cache = PriceCache(tmp_path / FILE_NAME)
    cost_module._genai_price_cached.cache_clear()
    previous = cost_module.use_price_cache(cache)
    try:
        yield cache
    finally:
        cost_module.use_price_cache(previous)
        cost_module._genai_price_cached.cache_clear()


def test_a_miss_asks_genai_prices_and_a_hit_answers_the_same(memo: PriceCache, tmp_path: Path) -> None:
    first = price_call(call("gpt-4o-mini"))
    assert memo.dirty and memo.save()
    stored = json.loads((tmp_path / FILE_NAME).read_text())
    assert stored["format"] == FORMAT and stored["genai_prices"] == genai_prices_fingerprint()
    key = make_key(("gpt-4o-mini",), "openai", ANY_DAY, (1000, 100, 0, 0))
    assert stored["entries"] == {key: [str(first.cost_usd), first.model, first.provider]}

    cost_module._genai_price_cached.cache_clear()  # a new run: only the file remembers
    reloaded = PriceCache(tmp_path / FILE_NAME)
    cost_module.use_price_cache(reloaded)
    assert price_call(call("gpt-4o-mini")) == first
    assert not reloaded.dirty  # nothing new learned: nothing to write
    assert reloaded.save() is False


def test_the_answer_comes_from_the_file_not_from_genai_prices(memo: PriceCache, tmp_path: Path) -> None:
    """A stored entry is what the call costs (so a hit really spares genai-prices)."""
    key = make_key(("gpt-4o-mini",), "openai", ANY_DAY, (1000, 100, 0, 0))
    memo.put(key, ["1.25", "gpt-4o-mini", "openai"])
    assert price_call(call("gpt-4o-mini")).cost_usd == Decimal("1.25")


def test_date_dependent_prices_are_kept_per_day(memo: PriceCache) -> None:
    # claude-sonnet-4-6 has a price that starts on a date (genai-prices' ConditionalPrice list)
    price_call(call("claude-sonnet-4-6", "anthropic"))
    keys = list(memo._load())
    assert keys == [make_key(("claude-sonnet-4-6",), "anthropic", DAY, (1000, 100, 0, 0))]


def test_unknown_models_are_remembered_as_unknown(memo: PriceCache) -> None:
    with pytest.raises(UnknownPriceError):
        price_call(call("no-such-model-xyz"))
    assert memo.get(make_key(("no-such-model-xyz",), "openai", ANY_DAY, (1000, 100, 0, 0))) is None
    cost_module._genai_price_cached.cache_clear()
    with pytest.raises(UnknownPriceError, match="no-such-model-xyz"):  # the same error from the memo's answer
        price_call(call("no-such-model-xyz"))


def test_a_damaged_entry_is_asked_again_and_replaced(memo: PriceCache) -> None:
    key = make_key(("gpt-4o-mini",), "openai", ANY_DAY, (1000, 100, 0, 0))
    memo._load()[key] = ["not a number", "x", "y"]
    good = price_call(call("gpt-4o-mini"))
    assert good.cost_usd > 0 and memo.get(key) == [str(good.cost_usd), good.model, good.provider]


def test_a_custom_genai_prices_snapshot_bypasses_the_memo(memo: PriceCache, monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_prices import data_snapshot

    monkeypatch.setattr(data_snapshot, "_custom_snapshot", data_snapshot._bundled_snapshot())
    price_call(call("gpt-4o-mini"))
    assert memo._load() == {} and not memo.dirty


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"format": FORMAT + 1, "genai_prices": "x", "entries": {"k": ["1", "m", "p"]}}),
        json.dumps([1, 2]),
    ],
)
def test_a_damaged_or_foreign_file_is_a_cold_memo(tmp_path: Path, content: str) -> None:
    path = tmp_path / FILE_NAME
    path.write_text(content)
    cache = PriceCache(path)
    assert cache.get("k") is MISSING


def test_an_upgraded_genai_prices_starts_afresh(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    old = PriceCache(path, fingerprint="genai-prices 0.0.1")
    old.put("k", ["1", "m", "p"])
    assert old.save()
    assert PriceCache(path, fingerprint="genai-prices 0.0.1").get("k") == ["1", "m", "p"]
    assert PriceCache(path, fingerprint="genai-prices 0.0.2").get("k") is MISSING


def test_save_keeps_this_runs_entries_first_and_at_most_max_entries(tmp_path: Path) -> None:
    path = tmp_path / FILE_NAME
    big = PriceCache(path, fingerprint="f")
    for i in range(MAX_ENTRIES):
        big.put(f"old{i}", [str(i), "m", "p"])
    assert big.save()
    run = PriceCache(path, fingerprint="f")
    assert run.get("old5") == ["5", "m", "p"]
    run.put("new", ["9", "m", "p"])
    assert run.save()
    entries = json.loads(path.read_text())["entries"]
    assert len(entries) == MAX_ENTRIES
    assert list(entries)[:2] == ["old5", "new"]  # used by this run: kept
    assert f"old{MAX_ENTRIES - 1}" not in entries  # the oldest unused one made room


def test_a_read_only_memo_never_writes(tmp_path: Path) -> None:
    cache = PriceCache(tmp_path / FILE_NAME, fingerprint="f", writable=False)
    cache.put("k", ["1", "m", "p"])
    assert cache.save() is False and not (tmp_path / FILE_NAME).exists()


def test_an_unwritable_folder_only_loses_the_memo(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    cache = PriceCache(blocker / FILE_NAME, fingerprint="f")  # its "folder" is a file
    cache.put("k", ["1", "m", "p"])
    assert cache.save() is False
    assert cache.problem is not None and str(blocker) in cache.problem


def test_a_folder_that_cannot_be_made_means_no_memo(tmp_path: Path) -> None:
    def locate() -> Path:
        raise PermissionError("read-only file system")

    cache = PriceCache(locate)
    assert cache.get("k") is MISSING
    assert cache.problem is not None and "read-only" in cache.problem


def test_put_refuses_what_is_not_an_entry(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not a price cache entry"):
        PriceCache(tmp_path / FILE_NAME).put("k", [1, 2, 3])  # type: ignore[list-item]


def test_a_memo_hit_does_not_import_genai_prices(tmp_path: Path) -> None:
    """What the memo is for: a process whose usages were priced before never loads genai-prices."""
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from pytest_agenttrace import LLMCall, cost
        from pytest_agenttrace._price_cache import PriceCache

        cost.use_price_cache(PriceCache(Path({str(tmp_path / FILE_NAME)!r})))
        c = LLMCall(span_id="ab" * 8, provider="openai", request_model="gpt-4o-mini", input_tokens=1000,
                    output_tokens=100, start_ns={WHEN_NS})
        print(cost.price_call(c).cost_usd, "genai_prices" in sys.modules)
        cost._memo.save()
        """
    )
    first = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    second = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.split()
    assert first[1] == "True"  # a cold memo: genai-prices answered
    assert second == [first[0], "False"]  # the same price, and genai-prices was never imported
