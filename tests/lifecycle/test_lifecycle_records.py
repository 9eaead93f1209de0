from datetime import UTC, datetime

import attrs

from keyaccount.lifecycle import Stage, StageTransition
from keyaccount.lifecycle.records import next_transition

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
