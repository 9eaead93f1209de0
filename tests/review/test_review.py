from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from keyaccount.clock import FixedClock
from keyaccount.credit import RiskResponse
from keyaccount.errors import ValidationError
from keyaccount.events import RecordingSink
from keyaccount.fx import ExchangeRates
from keyaccount.lifecycle import LifecycleState
from keyaccount.models import Severity, User
from keyaccount.money import Money
from keyaccount.review import (
    ReviewConfig,
    render_review,
    review_document,
    run_review,
    write_atomic,
    write_csv,
    write_json,
)
from keyaccount.review import export as export_module
from keyaccount.review.render import split_label
from keyaccount.review.table import display_width, format_table
from keyaccount.storage import Store
from keyaccount.tiering import TierRun

CNY = ExchangeRates.single("CNY")
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


def review(store: Store, events: RecordingSink | None = None, **config: object):  # type: ignore[no-untyped-def]
    return run_review(
        store,
        clock=FixedClock(NOW),
        rates=CNY,
        events=events,
        config=ReviewConfig(**config),  # type: ignore[arg-type]
    )


def cny(x: int) -> Money:
    return Money.of(x, "CNY")


def test_accounts_are_ranked_by_window_revenue_with_every_analysis_side_by_side(
    book_store: Store,
) -> None:
    result = review(book_store)
    assert result.customer_count == 5
    assert [a.name for a in result.accounts] == [
        "华东重工",
        "北方物流",
        "中原食品",
        "南方电子",
        "西部能源",
    ]
    hd = result.account("c_hd")
    assert hd.revenue == Decimal(1_200_000)  # 12 monthly orders, all inside 365 days
    assert hd.money("revenue") == cny(1_200_000)
    assert hd.money("clv") is not None
    assert result.account("c_xb").money("credit_limit") is None
    assert hd.gross_profit == Decimal(360_000)
    assert hd.revenue_share == pytest.approx(1_200_000 / 1_580_000)
    assert hd.tier == "A"
    assert hd.outstanding == Decimal(120_000)
    assert hd.overdue == Decimal(0)
    assert hd.worst_alert is None
    bf = result.account("c_bf")
    assert bf.revenue == Decimal(280_000)  # 7 of its 12 orders fall in the window
    assert bf.worst_alert is Severity.CRITICAL
    assert bf.stage == "at_risk"
    # a refund cancelling the only order: no revenue and a negative profit
    nf = result.account("c_nf")
    assert nf.revenue == Decimal(0)
    assert nf.gross_profit == Decimal(-3_000)
    assert nf.pyramid_layer == "negative"
    # only a receivable (due on a leap day), no orders
    xb = result.account("c_xb")
    assert xb.revenue == Decimal(0)
    assert xb.stage == "prospect"
    assert xb.outstanding == Decimal(8_000)
    assert xb.max_days_overdue == 852


def test_credit_section_hand_computed(book_store: Store) -> None:
    credit = review(book_store).credit
    assert credit.outstanding == cny(218_000)
    assert credit.overdue == cny(98_000)
    assert {line.bucket.label: line.amount for line in credit.ageing.lines} == {
        "current": cny(120_000),
        "1-30": cny(50_000),
        "31-60": cny(0),
        "61-90": cny(0),
        "90+": cny(48_000),
    }
    # sales issued in (Apr 1, Jun 30]: 120k + 60k; DSO = 218/180 × 90
    assert credit.dso.value == pytest.approx(109.0)
    assert credit.timeliness.by_amount == pytest.approx(0.625)
    assert credit.timeliness.by_count == pytest.approx(0.5)
    assert [(a.customer_id, a.code, a.response) for a in credit.alerts] == [
        ("c_bf", "overdue", RiskResponse.LEGAL_REVIEW),
        ("c_xb", "overdue", RiskResponse.LEGAL_REVIEW),
        ("c_zy", "over_limit", RiskResponse.GUARANTEE),
        ("c_zy", "overdue", RiskResponse.PAYMENT_REMINDER),
    ]


def test_kpis_hand_computed(book_store: Store) -> None:
    kpis = review(book_store).kpis
    p = kpis.portfolio
    # previous 90 days: 华东, 北方, 南方 bought; this period: 华东, 中原
    assert p.value("retention_rate") == pytest.approx(1 / 3)
    assert p.value("customer_growth") == pytest.approx(-1 / 3)
    assert p.value("new_customers") == 1
    assert p.value("revenue_growth") == pytest.approx(-40_000 / 340_000)
    assert p.value("csat") == pytest.approx(0.5)
    assert p.value("nps") == pytest.approx(0.0)
    # grouped by the tiers this review assigned
    assert {s.key: s.facts.customers for s in kpis.by_tier} == {"A": 1, "B": 2, "C": 2}
    assert [s.key for s in kpis.by_manager] == ["(unassigned)", "u_li", "u_wang"]


def test_events_in_order_and_only_on_change(book_store: Store) -> None:
    sink = RecordingSink()
    first = review(book_store, sink)
    assert sink.names() == ["tier.changed"] * 5 + ["churn.warning"] + ["risk.alert"] * 4
    assert first.events == {"tier.changed": 5, "churn.warning": 1, "risk.alert": 4}
    assert {c.direction for c in first.tiering.changes} == {"new"}
    # lifecycle judged 北方物流 under the tier just assigned, not the stored (empty) one
    assert first.lifecycle.warnings[0].tier == "B"
    assert book_store.count(TierRun) == 1
    assert book_store.count(LifecycleState) == 5
    # the customers' stored tier was updated
    sink2 = RecordingSink()
    second = review(book_store, sink2)
    assert sink2.names() == []  # same tiers, already warned, alerts already announced
    assert second.tiering.changes == ()
    assert second.lifecycle.changes == ()


def test_dry_run_writes_nothing_and_sends_nothing(book_store: Store) -> None:
    sink = RecordingSink()
    dry = review(book_store, sink, dry_run=True)
    assert sink.events == []
    assert dry.events == {}
    assert book_store.count(TierRun) == 0
    assert book_store.count(LifecycleState) == 0
    assert dry.lifecycle.warnings[0].tier == "B"
    real = review(book_store, RecordingSink())
    assert review_document(dry)["accounts"] == review_document(real)["accounts"]


def test_reproducible_for_a_fixed_clock(book_store: Store) -> None:
    a = review_document(review(book_store, dry_run=True))
    b = review_document(review(book_store, dry_run=True))
    assert a == b


def test_empty_portfolio(store: Store) -> None:
    result = review(store, RecordingSink())
    assert result.customer_count == 0
    assert result.accounts == ()
    assert result.credit.outstanding == cny(0)
    assert result.kpis.portfolio.value("retention_rate") is None
    assert result.notes
    doc = json.loads(json.dumps(review_document(result)))
    assert doc["accounts"] == []
    assert doc["credit"]["dso"] is None
    assert doc["kpis"]["portfolio"]["kpis"]["nps"]["value"] is None
    for lang in ("zh", "en"):
        assert result.notes[0] in render_review(result, lang)


def test_render_speaks_both_languages(book_store: Store) -> None:
    result = review(book_store)
    zh = render_review(result, "zh")
    for text in (
        "大客户组合评审",
        "重点客户",
        "华东重工",
        "流失预警",
        "客户金字塔",
        "法律审核",
        "担保",
        "收款及时率",
        "负价值客户",
        "客户保留率",
        "33.3%",
    ):
        assert text in zh
    en = render_review(result, "en")
    for text in (
        "Top accounts",
        "Churn warnings",
        "refer for legal review",
        "require a guarantee",
        "Retention rate",
        "DSO (days): 109.0",
        "negative",
    ):
        assert text in en
    assert "法律审核" not in en
    with pytest.raises(ValidationError, match="lang"):
        render_review(result, "fr")


def test_render_limits_long_lists(book_store: Store) -> None:
    text = render_review(review(book_store), "en", top=2, max_rows=1)
    assert "3 more" in text  # four risk alerts, one shown
    assert "中原食品  " not in text.split("== Tier distribution")[0]  # only two top accounts


def test_json_and_csv_outputs(book_store: Store, tmp_path: Path) -> None:
    result = review(book_store)
    path = write_json(result, tmp_path / "review.json")
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["credit"]["outstanding"] == "218000"
    assert doc["credit"]["dso"] == pytest.approx(109.0)
    assert len(doc["accounts"]) == 5
    assert doc["accounts"][0]["name"] == "华东重工"
    assert doc["tiering"]["counts"] == {"A": 1, "B": 2, "C": 2}
    assert doc["lifecycle"]["warnings"][0]["customer_id"] == "c_bf"
    files = write_csv(result, tmp_path / "csv")
    assert sorted(f.name for f in files) == sorted(
        [
            "accounts.csv",
            "tier_changes.csv",
            "stage_changes.csv",
            "churn_warnings.csv",
            "risk_alerts.csv",
            "ageing.csv",
            "kpis.csv",
        ]
    )
    with (tmp_path / "csv" / "accounts.csv").open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["customer_id"] for r in rows] == ["c_hd", "c_bf", "c_zy", "c_nf", "c_xb"]
    assert Decimal(rows[0]["revenue"]) == 1_200_000
    assert rows[0]["currency"] == "CNY"
    with (tmp_path / "csv" / "risk_alerts.csv").open(encoding="utf-8-sig", newline="") as fh:
        alerts = list(csv.DictReader(fh))
    assert alerts[0]["response"] == "legal_review"
    assert not list(tmp_path.rglob("*.tmp"))


def test_atomic_write_keeps_the_old_file_when_the_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.json"
    target.write_text("old", encoding="utf-8")

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(export_module.os, "replace", broken)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["out.json"]


def test_tables_align_chinese_text() -> None:
    assert display_width("华东ab") == 6
    table = format_table(["客户", "n"], [("华东重工", "1"), ("ab", "22")], right=(1,))
    lines = table.splitlines()
    assert {display_width(line) for line in lines} == {display_width(lines[1])}
    assert format_table(["x"], [("a" * 60,)], max_width=10).splitlines()[2].endswith("…")


@pytest.mark.parametrize(
    ("text", "zh", "en"),
    [
        ("忠诚 loyal", "忠诚", "loyal"),
        ("NPS 贬损者 detractor", "NPS 贬损者", "detractor"),
        (
            "关怀计划 (care plan with executive sponsor)",
            "关怀计划",
            "care plan with executive sponsor",
        ),
        ("plain", "plain", "plain"),
        ("只有中文", "只有中文", "只有中文"),
    ],
)
def test_split_bilingual_labels(text: str, zh: str, en: str) -> None:
    assert split_label(text, "zh") == zh
    assert split_label(text, "en") == en


def test_review_restores_the_garbage_collector(book_store: Store) -> None:
    import gc

    assert gc.isenabled()
    review(book_store, dry_run=True)
    assert gc.isenabled()
    gc.disable()
    try:
        review(book_store, dry_run=True)
        assert not gc.isenabled()
    finally:
        gc.enable()


@pytest.mark.parametrize("field", ["dso_days", "timeliness_days", "kpi_period_days"])
def test_config_refuses_non_positive_windows_before_anything_runs(field: str) -> None:
    with pytest.raises(ValidationError, match=rf"ReviewConfig\.{field}"):
        ReviewConfig(**{field: 0})  # type: ignore[arg-type]


def test_tables_name_managers_the_store_knows(book_store: Store) -> None:
    book_store.put(User(id="u_li", name="李明", role="account_manager", team="east"))
    result = review(book_store, dry_run=True)
    assert result.manager_name("u_li") == "李明"
    assert result.manager_name("u_wang") == "u_wang"  # not in the store: the id is shown
    assert result.manager_name(None) is None
    text = render_review(result, "zh")
    top = text.split("== ")[1]
    assert "李明" in top
    assert "u_li" not in top
    by_manager = text.split("按客户经理")[1].split("== ")[0]
    assert "李明" in by_manager
    assert "u_wang" in by_manager


def test_tier_changes_order_downgrades_then_upgrades_then_new_by_score_then_id() -> None:
    from types import SimpleNamespace

    from keyaccount.models import CustomerId
    from keyaccount.review.service import _tier_changes
    from keyaccount.tiering import ABC, TieringResult
    from keyaccount.tiering.assign import TierDecision
    from keyaccount.tiering.scoring import CustomerScore

    moves = [  # id, previous, tier, score
        ("c01", "A", "B", 50.0), ("c02", None, "A", 90.0), ("c03", "C", "A", 80.0),
        ("c04", "B", "C", 50.0), ("c05", "X", "B", 60.0), ("c06", "A", "C", 70.0),
        ("c07", "C", "B", 80.0), ("c08", None, "C", 90.0), ("c09", "B", "C", 0.0),
        ("c10", "B", "A", 80.0), ("c11", "A", "A", 99.0),
    ]  # fmt: skip
    decisions = {
        CustomerId(cid): TierDecision(
            CustomerId(cid), tier, tier, tier, before, CustomerScore(CustomerId(cid), score), "r"
        )
        for cid, before, tier, score in reversed(moves)
    }
    book = {cid: SimpleNamespace(customer=SimpleNamespace(name=f"n{cid}")) for cid in decisions}
    result = TieringResult(NOW, ABC, "rule", decisions)
    changes = _tier_changes(result, book)  # type: ignore[arg-type]
    rank = {"down": 0, "up": 1, "new": 2}
    expected = sorted(changes, key=lambda c: (rank[c.direction], -c.score, c.customer_id))
    assert changes == tuple(expected)
    assert [c.customer_id for c in changes] == [
        "c06", "c01", "c04", "c09", "c03", "c07", "c10", "c02", "c08", "c05",
    ]  # fmt: skip
