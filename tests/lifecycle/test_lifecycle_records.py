from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest

from keyaccount.errors import ValidationError
from keyaccount.lifecycle import LifecycleState, Stage, StageTransition
from keyaccount.lifecycle.records import evaluated_state, next_transitions
from keyaccount.lifecycle.stages import StageChange

AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 30, 9, 0, tzinfo=UTC)


CHANGES = [
    StageChange(Stage.FIRST_PURCHASE, Stage.REPEAT, NOW, "order #2"),
    StageChange(Stage.AT_RISK, Stage.CHURNED, AT, "no order for 180 days"),
    StageChange(None, Stage.PROSPECT, AT, "customer created"),
]


def _built(ids: list[str], cid: str) -> list[StageTransition]:
    return [
        StageTransition(i, cid, ch.to_stage, ch.at, ch.reason, NOW, ch.from_stage)
        for i, ch in zip(ids, CHANGES, strict=True)
    ]


@pytest.mark.parametrize("cid", ["c1", "c2"])
def test_next_transitions_equal_validated_ones(cid: str) -> None:
    first = StageTransition("stg_x_0", "c1", Stage.FIRST_PURCHASE, AT, "first order", NOW)
    made = next_transitions(first, cid, "stg_x_", 9, CHANGES)
    built = _built(["stg_x_9", "stg_x_a", "stg_x_b"], cid)
    assert made == built
    assert [hash(m) for m in made] == [hash(b) for b in built]
    assert [repr(m) for m in made] == [repr(b) for b in built]
    assert [attrs.asdict(m) for m in made] == [attrs.asdict(b) for b in built]


def test_next_transitions_take_recorded_at_from_the_checked_one() -> None:
    first = StageTransition("stg_1", "c9", Stage.PROSPECT, AT, "customer created", NOW)
    (made,) = next_transitions(first, "c9", "stg_", 2, CHANGES[1:2])
    assert (made.id, made.customer_id, made.recorded_at) == ("stg_2", "c9", NOW)


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


@pytest.mark.parametrize("cid", ["", "bad id", None, 7])
@pytest.mark.parametrize("changes", [CHANGES, []])
def test_next_transitions_check_another_customers_id(
    cid: object, changes: list[StageChange]
) -> None:
    first = StageTransition("stg_1", "c1", Stage.PROSPECT, AT, "customer created", NOW)
    with pytest.raises(ValidationError) as shortcut:
        next_transitions(first, cid, "stg_", 2, changes)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as constructor:
        StageTransition("stg_2", cid, Stage.REPEAT, AT, "order #2", NOW)  # type: ignore[arg-type]
    assert str(shortcut.value) == str(constructor.value)
