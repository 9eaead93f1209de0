"""The governance commands, run through ``keyaccount.cli.main`` against one memory store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyaccount.cli import governance_cmd, main
from keyaccount.dedupe import MergeRecord
from keyaccount.handover import Handover
from keyaccount.loyalty import LoyaltyService
from keyaccount.models import Complaint, Customer, CustomerStatus, Role, User
from keyaccount.storage import Store

T0 = datetime(2026, 1, 5, tzinfo=UTC)


@pytest.fixture
def cli_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    store.put_many(
        [
            User(id="am1", name="Leaving", role=Role.ACCOUNT_MANAGER),
            User(id="am2", name="Stays", role=Role.ACCOUNT_MANAGER),
            Customer(id="c1", name="华为技术有限公司", created_at=T0, owner_id="am1"),
            Customer(id="c2", name="华为技术股份有限公司", created_at=T0, owner_id="am1"),
            Complaint(id="k1", customer_id="c1", received_at=T0, subject="x", assignee_id="am1"),
        ]
    )
    monkeypatch.setattr(governance_cmd, "_store", lambda args: store)
    monkeypatch.setattr(store, "close", lambda: None)
    return store


def test_handover_preview_then_execute(
    cli_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["handover", "am1", "--to", "am2", "--preview"]) == 0
    out = capsys.readouterr().out
    assert "customer c1 (c1) -> am2" in out
    assert "am2: 1 complaint, 2 customer" in out
    assert "preview only: 3 records would move" in out
    assert cli_store.get(Customer, "c1").owner_id == "am1"

    assert main(["handover", "am1", "--map", "c1=am2", "--map", "c2=am2", "--note", "left"]) == 0
    assert "3 records moved" in capsys.readouterr().out
    assert cli_store.get(Complaint, "k1").assignee_id == "am2"
    assert [h.note for h in cli_store.query(Handover)] == ["left"]


def test_handover_errors_exit_1(cli_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["handover", "am1", "--map", "c1"]) == 1
    assert "--map: must be KEY=VALUE" in capsys.readouterr().err
    assert main(["handover", "am1"]) == 1
    assert "no successor named" in capsys.readouterr().err


def test_duplicates_merge_and_undo(cli_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["duplicates"]) == 0
    assert "0.80  c1  c2  same normalised name '华为技术'" in capsys.readouterr().out
    assert main(["duplicates", "--groups"]) == 0
    assert capsys.readouterr().out == "c1 c2\n"
    assert main(["duplicates", "--json"]) == 0
    assert '"left_id": "c1"' in capsys.readouterr().out

    assert main(["merge", "c1", "c2", "--preview", "--rule", "name=most_complete"]) == 0
    out = capsys.readouterr().out
    assert "name: '华为技术有限公司' -> '华为技术股份有限公司'" in out
    assert cli_store.get(Customer, "c2").status is CustomerStatus.ACTIVE

    assert main(["merge", "c1", "c2"]) == 0
    assert cli_store.get(Customer, "c2").merged_into == "c1"
    (merge,) = cli_store.query(MergeRecord)
    capsys.readouterr()
    assert main(["merge-undo", merge.id]) == 0
    assert "2 records restored" in capsys.readouterr().out
    assert cli_store.get(Customer, "c2").status is CustomerStatus.ACTIVE
    assert main(["merge-undo", merge.id]) == 1


def test_points(
    cli_store: Store, capsys: pytest.CaptureFixture[str], clock: object, events: object
) -> None:
    LoyaltyService(cli_store, clock, events).adjust("c1", 120, "welcome")  # type: ignore[arg-type]
    assert main(["points", "c1", "--ledger"]) == 0
    out = capsys.readouterr().out
    assert "adjust       120  welcome" in out
    assert "(expires 2027-06-30)" in out
    assert out.strip().endswith("balance 120")


def test_points_award(cli_store: Store, capsys: pytest.CaptureFixture[str]) -> None:
    from decimal import Decimal

    from keyaccount.models import Transaction
    from keyaccount.money import Money

    amount = Money(Decimal("1000"), "CNY")
    cli_store.put(
        Transaction(id="t1", customer_id="c1", occurred_at=T0, amount=amount, gross_profit=amount)
    )
    assert main(["points-award"]) == 0
    assert "earned 10 points in 1 entries; expired 0 points in 0 lots" in capsys.readouterr().out
    assert main(["points-award"]) == 0
    assert "earned 0 points in 0 entries" in capsys.readouterr().out


def test_acting_as_a_user_applies_their_rights(
    cli_store: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    from keyaccount.access import AuditEntry

    cli_store.put(User(id="dir", name="Director", role=Role.DIRECTOR))
    assert main(["handover", "am1", "--to", "am2", "--as", "am2"]) == 1
    assert "am2 (account_manager) may not write" in capsys.readouterr().err
    assert cli_store.get(Customer, "c1").owner_id == "am1"

    assert main(["handover", "am1", "--to", "am2", "--as", "dir"]) == 0
    assert cli_store.get(Customer, "c1").owner_id == "am2"
    actors = {(e.actor_id, e.action.value, e.outcome) for e in cli_store.query(AuditEntry)}
    assert ("am2", "write", "denied") in actors
    assert ("dir", "write", "allowed") in actors
    assert main(["points", "c1", "--as", "nobody"]) == 1
