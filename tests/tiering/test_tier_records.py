from datetime import datetime, timedelta, timezone

import pytest
from tierkit import NOW

from keyaccount.errors import ValidationError
from keyaccount.lifecycle import Stage, StageTransition
from keyaccount.models import CustomerId
from keyaccount.tiering import TierOverride


def test_history_records_convert_other_zones_and_refuse_naive_times() -> None:
    beijing = NOW.astimezone(timezone(timedelta(hours=8)))
    t = StageTransition("s1", CustomerId("c1"), Stage.LOYAL, beijing, "why", NOW)
    assert t.occurred_at == NOW
    assert t.occurred_at.utcoffset() == timedelta(0)
    with pytest.raises(ValidationError, match=r"StageTransition\.recorded_at"):
        StageTransition("s1", CustomerId("c1"), Stage.LOYAL, NOW, "why", datetime(2026, 1, 1))
    with pytest.raises(ValidationError, match=r"TierOverride\.created_at"):
        TierOverride("o1", CustomerId("c1"), "A", "r", "a", "2026-01-01", NOW)  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"StageTransition\.to_stage"):
        StageTransition("s1", CustomerId("c1"), "lost", NOW, "why", NOW)  # type: ignore[arg-type]


def test_with_tier_equals_evolve_and_validates_the_new_tier() -> None:
    import inspect

    import attrs

    from keyaccount.models import Customer, CustomerStatus
    from keyaccount.models.customer import _build_customer
    from keyaccount.money import Money

    c = Customer(
        id=CustomerId("c1"),
        name="客户",
        created_at=NOW,
        legal_name="客户有限公司",
        credit_code="91350100M000100Y43",
        industry="steel",
        region="east",
        employees=12,
        annual_revenue=Money("1000000", "CNY"),
        owner_id="u1",
        team="east",
        tags=("钢铁",),
        status=CustomerStatus.MERGED,
        merged_into="c0",
        external_refs={"crm": "42"},
        reviewed_at=NOW,
        tier="B",
    )
    assert list(inspect.signature(_build_customer).parameters) == [
        f.name for f in attrs.fields(Customer)
    ]
    assert all(getattr(c, f.name) != f.default for f in attrs.fields(Customer))
    moved = c.with_tier("A")
    assert moved == attrs.evolve(c, tier="A")
    assert (moved.tier, c.tier) == ("A", "B")
    assert moved.with_tier(None).tier is None
    assert hash(c.with_tier("B")) == hash(c)
    with pytest.raises(ValidationError, match=r"Customer\.tier"):
        c.with_tier(5)  # type: ignore[arg-type]


def test_next_assignment_equals_a_validated_one_of_the_same_run() -> None:
    from decimal import Decimal

    from keyaccount.tiering.records import TierAssignment, next_assignment

    why = ({"criterion": "revenue", "raw": 1.5, "score": 50.0},)
    first = TierAssignment(
        "tasg_r_0", "trun_r", CustomerId("c1"), NOW, "A", "A", "B", Decimal("71.50"), "ABC",
        "score 71.5", why, "B",
    )  # fmt: skip
    made = next_assignment(
        first, "tasg_r_1", CustomerId("c2"), "B", "C", "C", Decimal("12.00"), "why", why, None,
        "tovr_1",
    )  # fmt: skip
    plain = TierAssignment(
        "tasg_r_1", "trun_r", CustomerId("c2"), NOW, "B", "C", "C", Decimal("12.00"), "ABC",
        "why", why, None, "tovr_1",
    )  # fmt: skip
    assert made == plain
    assert repr(made) == repr(plain)
    with pytest.raises(ValidationError, match=r"TierAssignment\.customer_id"):
        next_assignment(
            first, "tasg_r_2", " bad id", "A", "A", "A", Decimal(1), "w", why, None, None
        )
