from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from keyaccount.cli import main, review_cmd
from keyaccount.host import PluginHost
from keyaccount.storage import Store
from keyaccount.tiering import TierRun


class KeptOpen:
    """Hands the CLI the test's store and records its ``close`` without closing it, so the
    test can still look inside afterwards."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.store, name)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def opened(book_store: Store) -> KeptOpen:
    return KeptOpen(book_store)


@pytest.fixture
def cli_host(host: PluginHost, opened: KeptOpen, monkeypatch: pytest.MonkeyPatch) -> PluginHost:
    """The CLI opens the hand-made book whatever URL it is given."""
    monkeypatch.setattr(host, "open_store", lambda url=None: opened)
    monkeypatch.setattr(review_cmd, "get_host", lambda: host)
    return host


def test_review_command_prints_tables_and_writes_outputs(
    cli_host: PluginHost,
    opened: KeptOpen,
    book_store: Store,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "--store",
            "memory://",
            "review",
            "--as-of",
            "2026-06-30T09:00:00+00:00",
            "--lang",
            "en",
            "--json",
            str(tmp_path / "r.json"),
            "--csv",
            str(tmp_path / "csv"),
            "--dry-run",
        ]
    )
    out = capsys.readouterr()
    assert code == 0
    assert "Key-account portfolio review" in out.out
    assert "华东重工" in out.out
    assert "DSO (days): 109.0" in out.out
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["customers"] == 5
    assert (tmp_path / "csv" / "accounts.csv").exists()
    assert book_store.count(TierRun) == 0  # --dry-run
    assert opened.closed


def test_review_command_applies_by_default_in_chinese(
    cli_host: PluginHost, book_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "--as-of", "2026-06-30T09:00Z", "--tier-set", "strategic"]) == 0
    out = capsys.readouterr().out
    assert "大客户组合评审" in out
    assert "战略客户" in out
    assert book_store.count(TierRun) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "USD"], "--rate"),
        (["--as-of", "yesterday"], "--as-of"),
        (["--as-of", "2026-06-30T09:00"], "time zone"),
    ],
)
def test_review_command_rejects_bad_options(
    cli_host: PluginHost, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", *args]) == 1
    assert message in capsys.readouterr().err


def test_rates_convert_other_currencies() -> None:
    rates = review_cmd.parse_rates("CNY", ["usd=7.1", "EUR = 7.8"])
    assert rates.rates == {
        "USD": review_cmd.ExchangeRates("CNY", {"USD": "7.1"}).rates["USD"],
        "EUR": rates.rates["EUR"],
    }
    assert str(rates.rates["EUR"]) == "7.8"
