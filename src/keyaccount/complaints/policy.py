"""Complaint deadlines and escalation: tier × severity hours on a working calendar."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import attrs

from keyaccount.calendar import WorkingCalendar, china_calendar
from keyaccount.errors import ValidationError
from keyaccount.models.enums import Severity
from keyaccount.tiering.policy import PolicyBook, default_policy_book


def _overrides(value: Any) -> dict[tuple[str, Severity], float]:
    if not isinstance(value, Mapping):
        raise ValidationError("SlaMatrix.overrides", value, "must map (tier, severity) to hours")
    out: dict[tuple[str, Severity], float] = {}
    for key, hours in value.items():
        if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str)):
            raise ValidationError("SlaMatrix.overrides", key, "keys are (tier, severity) pairs")
        try:
            severity = Severity(key[1])
        except ValueError:
            raise ValidationError("SlaMatrix.overrides", key[1], "is not a severity") from None
        if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
            raise ValidationError(
                f"SlaMatrix.overrides[{key[0]}, {severity.value}]", hours, "must be positive hours"
            )
        out[(key[0], severity)] = float(hours)
    return out


@attrs.frozen
class SlaMatrix:
    """Business hours allowed to resolve a complaint, by customer tier and severity.

    Values come from ``overrides`` when given, else from the tier's
    ``TierPolicy.complaint_sla_hours`` (customers without a tier use the book's untiered row).
    """

    book: PolicyBook = attrs.field(factory=default_policy_book)
    overrides: dict[tuple[str, Severity], float] = attrs.field(
        factory=dict, converter=_overrides, hash=False
    )

    def hours_for(self, tier: str | None, severity: Severity) -> float:
        if tier is not None and (tier, severity) in self.overrides:
            return self.overrides[(tier, severity)]
        return float(self.book.for_tier(tier).complaint_sla_hours[severity])

    def budget(self, tier: str | None, severity: Severity) -> timedelta:
        return timedelta(hours=self.hours_for(tier, severity))


@attrs.frozen
class EscalationStep:
    """Fire level ``level`` to ``role`` once a deadline is ``after_hours`` business hours past."""

    level: int
    role: str
    after_hours: float


def _steps(value: Any) -> tuple[EscalationStep, ...]:
    steps = tuple(value)
    if not steps:
        raise ValidationError("EscalationLadder.steps", steps, "needs at least one step")
    for i, step in enumerate(steps):
        if not isinstance(step, EscalationStep):
            raise ValidationError(f"EscalationLadder.steps[{i}]", step, "must be an EscalationStep")
        if step.level != i + 1:
            raise ValidationError(
                f"EscalationLadder.steps[{i}].level", step.level, f"must be {i + 1}"
            )
        if step.after_hours < 0:
            raise ValidationError(
                f"EscalationLadder.steps[{i}].after_hours", step.after_hours, "must not be negative"
            )
        if i and step.after_hours < steps[i - 1].after_hours:
            raise ValidationError(
                f"EscalationLadder.steps[{i}].after_hours",
                step.after_hours,
                "must not be earlier than the level below",
            )
    return steps


ROLES = ("owner", "manager", "director")


@attrs.frozen
class EscalationLadder:
    """Who hears of a breached deadline and when (business hours past the deadline).

    Roles understood by ``check_deadlines``: ``owner`` (the complaint's assignee, else the
    customer's account manager), ``manager`` (the owner's ``User.manager_id``) and
    ``director`` (the manager's own manager).
    """

    steps: tuple[EscalationStep, ...] = attrs.field(
        factory=lambda: (
            EscalationStep(1, "owner", 0),
            EscalationStep(2, "manager", 4),
            EscalationStep(3, "director", 16),
        ),
        converter=_steps,
    )

    def __attrs_post_init__(self) -> None:
        for step in self.steps:
            if step.role not in ROLES:
                raise ValidationError("EscalationStep.role", step.role, f"must be one of {ROLES}")


@attrs.frozen
class ComplaintPolicy:
    """Everything the complaint service needs to set and police deadlines."""

    calendar: WorkingCalendar
    sla: SlaMatrix = attrs.field(factory=SlaMatrix)
    escalation: EscalationLadder = attrs.field(factory=EscalationLadder)


def default_complaint_policy() -> ComplaintPolicy:
    """Mainland-China calendar (bundled years), tier SLA hours, owner → manager → director."""
    return ComplaintPolicy(calendar=china_calendar())
