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
    import attrs

    from keyaccount.models import Customer

    c = Customer(
        id=CustomerId("c1"),
        name="客户",
        created_at=NOW,
        owner_id="u1",
        team="east",
        tags=("钢铁",),
        external_refs={"crm": "42"},
        tier="B",
    )
    moved = c.with_tier("A")
    assert moved == attrs.evolve(c, tier="A")
    assert (moved.tier, c.tier) == ("A", "B")
    assert moved.with_tier(None).tier is None
    assert hash(c.with_tier("B")) == hash(c)
    with pytest.raises(ValidationError, match=r"Customer\.tier"):
        c.with_tier(5)  # type: ignore[arg-type]
