from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest

from keyaccount import credit_code
from keyaccount.cli import main
from keyaccount.demo import DemoConfig, generate_portfolio
from keyaccount.models import Customer, Receivable, Transaction, TransactionKind


def test_same_seed_same_portfolio_and_other_seed_differs() -> None:
    a = generate_portfolio(DemoConfig(seed=3, customers=40))
    b = generate_portfolio(DemoConfig(seed=3, customers=40))
    c = generate_portfolio(DemoConfig(seed=4, customers=40))
    assert list(a.records()) == list(b.records())
    assert a.transactions != c.transactions


def test_portfolio_is_realistic() -> None:
    cfg = DemoConfig(seed=11, customers=300)
    p = generate_portfolio(cfg)
    assert len(p.customers) == 300
    chinese = [c for c in p.customers if c.credit_code]
    assert 0.7 * 300 < len(chinese) < 300
    assert all(credit_code.is_valid(c.credit_code or "") for c in chinese)
    currencies = Counter(c.annual_revenue.currency for c in p.customers if c.annual_revenue)
    assert currencies["CNY"] > 200 and len(currencies) > 2
    # Three years of orders, none in the future, about 20 per customer, some refunds.
    assert all(
        cfg.as_of.replace(year=cfg.as_of.year - 3) <= t.occurred_at <= cfg.as_of
        for t in p.transactions
    )
    assert 14 < len([t for t in p.transactions if t.kind is TransactionKind.ORDER]) / 300 < 28
    assert any(t.kind is TransactionKind.REFUND for t in p.transactions)
    # Receivables: most paid, some overdue at the as-of date.
    overdue = [r for r in p.receivables if r.paid_on is None and r.due_on < cfg.as_of.date()]
    assert overdue and len(overdue) < len(p.receivables) / 5
    assert p.interactions and p.complaints and p.surveys and p.contacts
    # Revenue is concentrated: the top 20% of customers carry most of it (Pareto sizes).
    totals = Counter[str]()
    for t in p.transactions:
        if t.amount.currency == "CNY":
            totals[t.customer_id] += int(t.amount.amount)
    ranked = sorted(totals.values(), reverse=True)
    assert sum(ranked[: len(ranked) // 5]) > 0.5 * sum(ranked)


def test_every_reference_points_at_a_generated_record() -> None:
    p = generate_portfolio(DemoConfig(seed=5, customers=60))
    customers = {c.id for c in p.customers}
    users = {u.id for u in p.users}
    assert {c.owner_id for c in p.customers} <= users
    for group in (
        p.contacts,
        p.transactions,
        p.receivables,
        p.interactions,
        p.complaints,
        p.surveys,
    ):
        assert {r.customer_id for r in group} <= customers  # type: ignore[attr-defined]
    tx = {t.id for t in p.transactions}
    assert {r.transaction_id for r in p.receivables} <= tx


def test_demo_command_writes_into_the_store_and_is_idempotent(
    capsys: pytest.CaptureFixture[str], tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyaccount.host import PluginHost

    host = PluginHost(load_entry_points=False)
    store = host.open_store("memory://")
    store.close = lambda: None  # type: ignore[method-assign]
    monkeypatch.setattr(host, "open_store", lambda url=None: store)
    monkeypatch.setattr("keyaccount.cli.demo_cmd.get_host", lambda: host)
    assert main(["demo", "--customers", "25", "--seed", "2", "--lang", "en"]) == 0
    first = capsys.readouterr().out
    assert "wrote" in first and "customer" in first and "largest CNY accounts" in first
    # The demo ends with the portfolio review of what it generated, as of its own today.
    assert "Key-account portfolio review" in first
    assert "2026-10-31 18:00 UTC" in first
    assert "tier.changed 25" in first
    counts = (store.count(Customer), store.count(Transaction), store.count(Receivable))
    assert main(["demo", "--customers", "25", "--seed", "2", "--no-review"]) == 0
    assert "Key-account portfolio review" not in capsys.readouterr().out
    assert (store.count(Customer), store.count(Transaction), store.count(Receivable)) == counts
    assert counts[0] == 25


def test_as_of_moves_the_whole_portfolio() -> None:
    p = generate_portfolio(
        DemoConfig(seed=1, customers=10, as_of=datetime(2024, 2, 29, tzinfo=UTC))
    )
    assert max(t.occurred_at for t in p.transactions) <= datetime(2024, 2, 29, tzinfo=UTC)
