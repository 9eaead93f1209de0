"""Interactions (沟通记录), complaints (投诉) and survey answers (满意度调查)."""

from __future__ import annotations

from datetime import datetime

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models.enums import (
    Channel,
    ComplaintStatus,
    Severity,
    to_channel,
    to_complaint_status,
    to_severity,
)
from keyaccount.models.ids import (
    ComplaintId,
    ContactId,
    CustomerId,
    InteractionId,
    SurveyId,
    SurveyResponseId,
    UserId,
)


@attrs.frozen
class Interaction:
    """One contact with a customer on any channel; visits owe a report (拜访反馈报告)."""

    id: InteractionId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    channel: Channel = attrs.field(converter=to_channel, validator=v.member_of(Channel))
    occurred_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    owner_id: UserId | None = attrs.field(default=None, validator=v.optional_id)
    contact_ids: tuple[str, ...] = attrs.field(
        default=(), converter=v.text_tuple, validator=v.all_text
    )
    summary: str | None = attrs.field(default=None, validator=v.optional_text)
    needs: str | None = attrs.field(default=None, validator=v.optional_text)
    issues: str | None = attrs.field(default=None, validator=v.optional_text)
    next_step: str | None = attrs.field(default=None, validator=v.optional_text)
    next_step_due: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )
    report: str | None = attrs.field(default=None, validator=v.optional_text)
    external_refs: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )


@attrs.frozen
class Complaint:
    """A customer complaint; its workflow lives in the complaints service."""

    id: ComplaintId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    received_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    subject: str = attrs.field(validator=v.non_empty_text)
    severity: Severity = attrs.field(
        default=Severity.MEDIUM, converter=to_severity, validator=v.member_of(Severity)
    )
    status: ComplaintStatus = attrs.field(
        default=ComplaintStatus.RECEIVED,
        converter=to_complaint_status,
        validator=v.member_of(ComplaintStatus),
    )
    category: str | None = attrs.field(default=None, validator=v.optional_text)
    contact_id: ContactId | None = attrs.field(default=None, validator=v.optional_id)
    description: str | None = attrs.field(default=None, validator=v.optional_text)
    department: str | None = attrs.field(default=None, validator=v.optional_text)
    assignee_id: UserId | None = attrs.field(default=None, validator=v.optional_id)
    deadline_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )
    root_cause: str | None = attrs.field(default=None, validator=v.optional_text)
    resolution: str | None = attrs.field(default=None, validator=v.optional_text)
    closed_at: datetime | None = attrs.field(
        default=None, converter=v.to_utc, validator=v.optional_utc_datetime
    )
    satisfaction: int | None = attrs.field(
        default=None, validator=v.int_between(1, 5, optional=True)
    )
    external_refs: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )

    def __attrs_post_init__(self) -> None:
        if self.closed_at is not None and self.closed_at < self.received_at:
            raise ValidationError(
                "Complaint.closed_at", self.closed_at, "cannot be before received_at"
            )

    @property
    def is_open(self) -> bool:
        return self.status is not ComplaintStatus.CLOSED


@attrs.frozen
class SurveyResponse:
    """One contact's answers to one survey: NPS 0-10, CSAT 1-5, and free answers by question."""

    id: SurveyResponseId = attrs.field(validator=v.record_id)
    survey_id: SurveyId = attrs.field(validator=v.record_id)
    customer_id: CustomerId = attrs.field(validator=v.record_id)
    answered_at: datetime = attrs.field(converter=v.to_utc, validator=v.utc_datetime)
    contact_id: ContactId | None = attrs.field(default=None, validator=v.optional_id)
    nps: int | None = attrs.field(default=None, validator=v.int_between(0, 10, optional=True))
    csat: int | None = attrs.field(default=None, validator=v.int_between(1, 5, optional=True))
    answers: dict[str, str] = attrs.field(
        factory=dict, converter=v.text_mapping, validator=v.text_to_text, hash=False
    )
    comment: str | None = attrs.field(default=None, validator=v.optional_text)
