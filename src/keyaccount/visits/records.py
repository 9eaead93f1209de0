"""Planned visits (拜访计划): one scheduled visit to a customer, owed by its owner."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, NewType

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models.enums import coerce
from keyaccount.models.ids import CustomerId, InteractionId, UserId

PlannedVisitId = NewType("PlannedVisitId", str)


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    MISSED = "missed"
    CANCELLED = "cancelled"


def to_visit_status(value: Any) -> Any:
    return coerce(VisitStatus, value)


@attrs.frozen
class PlannedVisit:
    """A visit due on ``due_on``; once done it points at the ``Interaction`` that logged it.

    The report (拜访反馈报告) lives on that interaction (``Interaction.report``), so a done visit
    whose interaction has no report is listed as missing its report.
    """

    id: PlannedVisitId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    owner_id: UserId | None = attrs.field(validator=v.optional_id)
    due_on: date = attrs.field(validator=v.a_date)
    created_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    status: VisitStatus = attrs.field(
        default=VisitStatus.PLANNED, converter=to_visit_status, validator=v.member_of(VisitStatus)
    )
    interaction_id: InteractionId | None = attrs.field(default=None, validator=v.optional_id)
    completed_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )
    purpose: str | None = attrs.field(default=None, validator=v.optional_text)

    def __attrs_post_init__(self) -> None:
        done = self.status is VisitStatus.DONE
        if done and self.interaction_id is None:
            raise ValidationError(
                "PlannedVisit.interaction_id", None, "a done visit names the interaction"
            )
        if not done and self.interaction_id is not None:
            raise ValidationError(
                "PlannedVisit.interaction_id",
                self.interaction_id,
                f"only a done visit has an interaction (status is {self.status.value})",
            )

    @property
    def is_open(self) -> bool:
        return self.status is VisitStatus.PLANNED
