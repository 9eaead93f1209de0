"""Follow-up tasks (跟进任务): something an owner must do for a customer by a due time.

Other workflows open them (a detractor survey answer, a complaint's follow-up step, a visit's
next step); the record names its source so a task can be traced back to why it exists.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, NewType

import attrs

from keyaccount import validation as v
from keyaccount.clock import Clock, ensure_utc
from keyaccount.errors import KeyaccountError, ValidationError
from keyaccount.events import DomainEvent, EventSink
from keyaccount.models.enums import coerce
from keyaccount.models.ids import CustomerId, UserId
from keyaccount.storage import Condition, Store, eq, lt

FollowUpId = NewType("FollowUpId", str)


class FollowUpStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


def to_follow_up_status(value: Any) -> Any:
    return coerce(FollowUpStatus, value)


@attrs.frozen
class FollowUp:
    """A task owed to a customer.

    ``source_kind`` / ``source_id`` name the record that caused it (``"survey_response"``,
    ``"complaint"``, ``"interaction"``...); both are None for a task entered by hand.
    ``closed_at`` is set when the task leaves ``open``.
    """

    id: FollowUpId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    owner_id: UserId | None = attrs.field(validator=v.optional_id)
    due_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    reason: str = attrs.field(validator=v.non_empty_text)
    created_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    source_kind: str | None = attrs.field(default=None, validator=v.optional_text)
    source_id: str | None = attrs.field(default=None, validator=v.optional_id)
    status: FollowUpStatus = attrs.field(
        default=FollowUpStatus.OPEN,
        converter=to_follow_up_status,
        validator=v.member_of(FollowUpStatus),
    )
    closed_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )
    note: str | None = attrs.field(default=None, validator=v.optional_text)

    def __attrs_post_init__(self) -> None:
        if (self.source_kind is None) != (self.source_id is None):
            raise ValidationError(
                "FollowUp.source_id", self.source_id, "source_kind and source_id go together"
            )
        if self.status is FollowUpStatus.OPEN and self.closed_at is not None:
            raise ValidationError(
                "FollowUp.closed_at", self.closed_at, "an open task is not closed"
            )
        if self.status is not FollowUpStatus.OPEN and self.closed_at is None:
            raise ValidationError(
                "FollowUp.closed_at", None, f"a {self.status.value} task needs closed_at"
            )

    @property
    def is_open(self) -> bool:
        return self.status is FollowUpStatus.OPEN


class FollowUpClosed(KeyaccountError):
    """The follow-up is already done or cancelled."""

    def __init__(self, follow_up_id: str, status: FollowUpStatus) -> None:
        self.follow_up_id = follow_up_id
        self.status = status
        super().__init__(f"follow-up {follow_up_id!r} is already {status.value}")


def _close(
    store: Store,
    clock: Clock,
    events: EventSink,
    follow_up_id: str,
    status: FollowUpStatus,
    note: str | None,
) -> FollowUp:
    task = store.get(FollowUp, follow_up_id)
    if not task.is_open:
        raise FollowUpClosed(follow_up_id, task.status)
    now = clock.now()
    closed = attrs.evolve(task, status=status, closed_at=now, note=note or task.note)
    store.put(closed)
    events.emit(
        DomainEvent(
            f"followup.{status.value}",
            now,
            task.customer_id,
            {"follow_up_id": task.id, "owner_id": task.owner_id},
        )
    )
    return closed


def complete_follow_up(
    store: Store, clock: Clock, events: EventSink, follow_up_id: str, *, note: str | None = None
) -> FollowUp:
    """Mark an open follow-up done; ``FollowUpClosed`` if it already left ``open``."""
    return _close(store, clock, events, follow_up_id, FollowUpStatus.DONE, note)


def cancel_follow_up(
    store: Store, clock: Clock, events: EventSink, follow_up_id: str, *, note: str | None = None
) -> FollowUp:
    """Cancel an open follow-up; ``FollowUpClosed`` if it already left ``open``."""
    return _close(store, clock, events, follow_up_id, FollowUpStatus.CANCELLED, note)


def open_follow_ups(
    store: Store,
    *,
    owner_id: str | None = None,
    customer_id: str | None = None,
    due_before: datetime | None = None,
) -> list[FollowUp]:
    """Open follow-ups, soonest due first, optionally for one owner or customer or due before
    a time (pass the clock's now to list the overdue ones)."""
    conditions: list[Condition] = [eq("status", FollowUpStatus.OPEN)]
    if owner_id is not None:
        conditions.append(eq("owner_id", owner_id))
    if customer_id is not None:
        conditions.append(eq("customer_id", customer_id))
    if due_before is not None:
        conditions.append(lt("due_at", ensure_utc("open_follow_ups.due_before", due_before)))
    return list(store.query(FollowUp, *conditions, order_by="due_at"))


def follow_up_opened(follow_up: FollowUp, at: datetime) -> DomainEvent:
    """The ``followup.opened`` event every service sends when it opens a follow-up."""
    return DomainEvent(
        "followup.opened",
        at,
        follow_up.customer_id,
        {
            "follow_up_id": follow_up.id,
            "owner_id": follow_up.owner_id,
            "source_kind": follow_up.source_kind,
            "source_id": follow_up.source_id,
            "reason": follow_up.reason,
        },
    )
