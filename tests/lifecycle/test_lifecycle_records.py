from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from keyaccount.errors import ValidationError
from keyaccount.lifecycle import LifecycleState, Stage, StageTransition
from keyaccount.lifecycle.records import (
    evaluated_state,
    next_transition,
    other_customer_transition,
)

AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


def test_next_transition_equals_a_validated_one_of_the_same_customer() -> None:
    first = StageTransition("stg_1", "c1", Stage.FIRST_PURCHASE, AT, "first order", NOW)
    made = next_transition(first, "stg_2", Stage.REPEAT, NOW, "order #2", Stage.FIRST_PURCHASE)
    built = StageTransition("stg_2", "c1", Stage.REPEAT, NOW, "order #2", NOW, Stage.FIRST_PURCHASE)
    assert made == built
    assert hash(made) == hash(built)
    assert attrs.asdict(made) == attrs.asdict(built)


def test_next_transition_takes_customer_and_recorded_at_from_the_checked_one() -> None:
    first = StageTransition("stg_1", "c9", Stage.PROSPECT, AT, "customer created", NOW)
    made = next_transition(first, "stg_2", Stage.CHURNED, AT, "no order for 180 days", None)
    assert (made.customer_id, made.recorded_at, made.from_stage) == ("c9", NOW, None)


def test_evaluated_state_equals_a_validated_one() -> None:
    args = ("c1", Stage.AT_RISK, AT, "no order for 90 days since 2025-10-01", NOW)
    for health, warning, action in [
        (Decimal("35.50"), True, "care_plan"),
        (Decimal(100), False, None),
    ]:
        made = evaluated_state(*args, health, warning, action)
        built = LifecycleState("c1", "c1", *args[1:], health, warning, action)
        assert made == built
        assert hash(made) == hash(built)
        assert repr(made) == repr(built)
        assert attrs.asdict(made) == attrs.asdict(built)


@pytest.mark.parametrize(
    ("cid", "health", "action"),
    [
        ("", Decimal(50), None),
        ("bad id", Decimal(50), None),
        ("c1", Decimal("100.01"), None),
        ("c1", Decimal(-1), None),
        ("c1", 50.0, None),
        ("c1", Decimal(50), 7),
    ],
)
def test_evaluated_state_still_checks_id_health_and_action(
    cid: str, health: object, action: object
) -> None:
    with pytest.raises(ValidationError) as shortcut:
        evaluated_state(cid, Stage.REPEAT, AT, "order #2", NOW, health, True, action)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as constructor:
        LifecycleState(cid, cid, Stage.REPEAT, AT, "order #2", NOW, health, True, action)  # type: ignore[arg-type]
    assert str(shortcut.value) == str(constructor.value)


def test_next_transition_for_another_customer_equals_a_validated_one() -> None:
    first = StageTransition("stg_1", "c1", Stage.PROSPECT, AT, "customer created", NOW)
    made = other_customer_transition(
        first, "c2", "stg_2", Stage.PROSPECT, AT, "customer created", None
    )
    built = StageTransition("stg_2", "c2", Stage.PROSPECT, AT, "customer created", NOW)
    assert made == built
    assert repr(made) == repr(built)
    assert attrs.asdict(made) == attrs.asdict(built)


@pytest.mark.parametrize("cid", ["", "bad id", None, 7])
def test_next_transition_checks_another_customers_id(cid: object) -> None:
    first = StageTransition("stg_1", "c1", Stage.PROSPECT, AT, "customer created", NOW)
    with pytest.raises(ValidationError) as shortcut:
        other_customer_transition(first, cid, "stg_2", Stage.REPEAT, AT, "order #2", None)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as constructor:
        StageTransition("stg_2", cid, Stage.REPEAT, AT, "order #2", NOW)  # type: ignore[arg-type]
    assert str(shortcut.value) == str(constructor.value)
