"""Stored history of complaint handling: every step taken, and each complaint's SLA clock."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models.enums import (
    ComplaintStatus,
    coerce,
    to_complaint_status,
)
from keyaccount.models.ids import ComplaintId, UserId


class ComplaintAction(StrEnum):
    OPENED = "opened"
    ADVANCED = "advanced"
    REOPENED = "reopened"
    PAUSED = "paused"
    RESUMED = "resumed"
    ESCALATED = "escalated"


def to_complaint_action(value: Any) -> Any:
    return coerce(ComplaintAction, value)


def to_optional_status(value: Any) -> Any:
    return None if value is None else to_complaint_status(value)


@attrs.frozen
class ComplaintTransition:
    """One entry of a complaint's append-only log: what was done, by whom, when.

    ``from_status`` is None only for ``opened``; pauses, resumes and escalations keep the
    status (from == to). ``actor_id`` is None when the system acted (escalation).
    ``sequence`` orders the entries of one complaint even when timestamps tie.
    """

    id: str = attrs.field(validator=v.record_id)
    complaint_id: ComplaintId = attrs.field(validator=v.record_id)
    sequence: int = attrs.field(validator=v.int_between(1, None))
    action: ComplaintAction = attrs.field(
        converter=to_complaint_action, validator=v.member_of(ComplaintAction)
    )
    from_status: ComplaintStatus | None = attrs.field(
        converter=to_optional_status, validator=v.optional_member_of(ComplaintStatus)
    )
    to_status: ComplaintStatus = attrs.field(
        converter=to_complaint_status, validator=v.member_of(ComplaintStatus)
    )
    at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    actor_id: UserId | None = attrs.field(default=None, validator=v.optional_id)
    note: str | None = attrs.field(default=None, validator=v.optional_text)

    def __attrs_post_init__(self) -> None:
        if (self.action is ComplaintAction.OPENED) != (self.from_status is None):
            raise ValidationError(
                "ComplaintTransition.from_status",
                self.from_status,
                "only an 'opened' entry has no previous status",
            )


def _optional_bool(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None:
        v.a_bool(instance, attribute, value)


@attrs.frozen
class ComplaintClock:
    """The SLA clock of one complaint (``id`` is the complaint's id).

    Business time runs from ``running_since``; ``consumed_seconds`` holds what earlier running
    spells used. While waiting on the customer ``paused_since`` is set and the clock does not
    run; on closing ``stopped_at`` is set and ``met_sla`` records whether the complaint closed
    by its deadline. ``escalation_level`` is the highest level already fired (0: none).
    ``log_length`` counts the complaint's ``ComplaintTransition`` entries, so the next entry's
    sequence is known without scanning the log.
    """

    id: ComplaintId = attrs.field(validator=v.record_id)
    budget_seconds: int = attrs.field(validator=v.int_between(1, None))
    deadline_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    consumed_seconds: int = attrs.field(default=0, validator=v.int_between(0, None))
    running_since: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )
    paused_since: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )
    stopped_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )
    escalation_level: int = attrs.field(default=0, validator=v.int_between(0, None))
    breached: bool = attrs.field(default=False, validator=v.a_bool)
    met_sla: bool | None = attrs.field(default=None, validator=_optional_bool)
    log_length: int = attrs.field(default=0, validator=v.int_between(0, None))

    def __attrs_post_init__(self) -> None:
        states = [self.running_since, self.paused_since, self.stopped_at]
        if sum(s is not None for s in states) != 1:
            raise ValidationError(
                "ComplaintClock.running_since",
                self.running_since,
                "a clock is exactly one of running, paused or stopped",
            )

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def paused(self) -> bool:
        return self.paused_since is not None
