"""Stored lifecycle records: every stage transition, and each customer's current state."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.lifecycle.stages import Stage, StageChange, to_stage
from keyaccount.models import CustomerId
from keyaccount.slots import slot_builder
from keyaccount.tiering.records import to_utc_fast, utc_fast

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


def _stage(value: Any) -> Any:
    # A field of StageTransition is itself named to_stage, hence this module-level name.
    # Members pass straight through: a first run builds several transitions per customer.
    if type(value) is Stage or value is None:
        return value
    return to_stage(value)


@attrs.frozen
class StageTransition:
    """One lifecycle transition (阶段变化) with when it happened and why."""

    id: str = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    to_stage: Stage = attrs.field(converter=_stage, validator=v.member_of(Stage))
    occurred_at: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)
    reason: str = attrs.field(validator=v.non_empty_text)
    recorded_at: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)
    from_stage: Stage | None = attrs.field(
        default=None, converter=_stage, validator=v.optional_member_of(Stage)
    )


@attrs.frozen
class LifecycleState:
    """A customer's current stage and health as of the last run (id = the customer id)."""

    id: str = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    stage: Stage = attrs.field(converter=_stage, validator=v.member_of(Stage))
    since: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)
    reason: str = attrs.field(validator=v.non_empty_text)
    evaluated_at: datetime = attrs.field(converter=to_utc_fast, validator=utc_fast)
    health: Decimal = attrs.field()
    warning: bool = attrs.field(default=False, validator=v.a_bool)
    action: str | None = attrs.field(default=None, validator=v.optional_text)

    @health.validator
    def _check_health(self, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
        if not isinstance(value, Decimal) or not _ZERO <= value <= _HUNDRED:
            raise ValidationError("LifecycleState.health", value, "must be a Decimal 0–100")


_TRANSITION_FIELDS = attrs.fields(StageTransition)
_build_transition = slot_builder(StageTransition)


def next_transitions(
    checked: StageTransition,
    customer_id: CustomerId,
    prefix: str,
    start: int,
    changes: Sequence[StageChange],
) -> list[StageTransition]:
    """A transition per change of ``customer_id``, recorded at the same moment as
    ``checked``, with ids ``prefix`` + a hex counter from ``start``, without running the field
    checks per record: a first run stores ~7 transitions per customer (one call per customer
    rather than per record, measured ~3 → ~2 µs a transition).

    Only for changes the stage replay produced: their stages are ``Stage`` members, their
    times UTC datetimes taken from validated records, their reasons non-empty text. ``prefix``
    is the one ``checked``'s validated id was made with (another counter keeps it valid), and
    ``recorded_at`` comes from ``checked``. ``customer_id`` is checked here, unless it is
    ``checked``'s own.
    """
    if customer_id != checked.customer_id:
        v.record_id(checked, _TRANSITION_FIELDS.customer_id, customer_id)
    recorded_at = checked.recorded_at
    build = _build_transition
    return [
        build(
            f"{prefix}{n:x}", customer_id, ch.to_stage, ch.at, ch.reason, recorded_at, ch.from_stage
        )
        for n, ch in enumerate(changes, start)
    ]


_STATE_FIELDS = attrs.fields(LifecycleState)
_build_state = slot_builder(LifecycleState)


def evaluated_state(
    id: CustomerId,
    stage: Stage,
    since: datetime,
    reason: str,
    evaluated_at: datetime,
    health: Decimal,
    warning: bool,
    action: str | None,
) -> LifecycleState:
    """A customer's state from a lifecycle run, built with only the checks its values need
    (a review stores one per customer; measured ~6 µs → ~2 µs each).

    Only for values a run produced: ``stage``/``since``/``reason`` come from the stage replay
    or from a stored (validated) state, ``evaluated_at`` is the run's UTC ``as_of`` and
    ``warning`` a bool, so the converters would return them unchanged and the validators
    pass. Still checked: ``id`` (a key of the caller's book), ``health`` and ``action`` (both
    pass through plug-in churn signals).
    """
    new: LifecycleState = _build_state(
        id, id, stage, since, reason, evaluated_at, health, warning, action
    )
    v.record_id(new, _STATE_FIELDS.id, id)
    new._check_health(_STATE_FIELDS.health, health)
    v.optional_text(new, _STATE_FIELDS.action, action)
    return new
