"""Credit risk alerts (风险预警): stated rules turning exposure and ageing into actions.

Rules, each configurable in ``RiskRules`` (defaults shown):

``overdue``  the oldest unpaid receivable decides (only the worst step fires):
             1–30 days late → low, payment reminder (付款提醒);
             31–60 → medium, offer an instalment plan (分期付款);
             61–90 → high, suspend shipments (暂停发货);
             over 90 → critical, legal review (法律审核).
             Debts below ``min_overdue`` (default 0, i.e. any) are ignored.
``over_limit``  outstanding above the credit limit → high, require a guarantee (担保);
                critical with suspended shipments when it is also more than 60 days late.
``near_limit``  utilisation at or above ``near_limit_ratio`` (0.9) but not over → low,
                require a guarantee before further credit (担保).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.credit.measures import Exposure
from keyaccount.errors import ValidationError
from keyaccount.events import DomainEvent
from keyaccount.models import CustomerId, Severity
from keyaccount.money import Money

RISK_ALERT = "risk.alert"

SEVERITY_RANK: Mapping[Severity, int] = {
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}


class RiskResponse(StrEnum):
    """The recommended response to a credit risk."""

    PAYMENT_REMINDER = "payment_reminder"
    INSTALMENT_PLAN = "instalment_plan"
    GUARANTEE = "guarantee"
    SUSPEND_SHIPMENTS = "suspend_shipments"
    LEGAL_REVIEW = "legal_review"


RESPONSE_LABELS: Mapping[RiskResponse, tuple[str, str]] = {
    RiskResponse.PAYMENT_REMINDER: ("付款提醒", "send a payment reminder"),
    RiskResponse.INSTALMENT_PLAN: ("分期付款", "agree an instalment plan"),
    RiskResponse.GUARANTEE: ("担保", "require a guarantee"),
    RiskResponse.SUSPEND_SHIPMENTS: ("暂停发货", "suspend shipments"),
    RiskResponse.LEGAL_REVIEW: ("法律审核", "refer for legal review"),
}


@attrs.frozen
class OverdueStep:
    """From ``min_days`` late on, alert with ``severity`` and recommend ``response``."""

    min_days: int = attrs.field(validator=v.int_between(1, None))
    severity: Severity = attrs.field(validator=v.member_of(Severity))
    response: RiskResponse = attrs.field(validator=v.member_of(RiskResponse))


def _steps(value: Any) -> tuple[OverdueStep, ...]:
    steps = tuple(value)
    days = [s.min_days for s in steps]
    if days != sorted(set(days)):
        raise ValidationError("RiskRules.overdue_steps", days, "must rise strictly by min_days")
    return steps


def _ratio(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
        raise ValidationError(v.field_name(instance, attribute), value, "must be in (0, 1]")


@attrs.frozen
class RiskRules:
    overdue_steps: tuple[OverdueStep, ...] = attrs.field(
        default=(
            OverdueStep(1, Severity.LOW, RiskResponse.PAYMENT_REMINDER),
            OverdueStep(31, Severity.MEDIUM, RiskResponse.INSTALMENT_PLAN),
            OverdueStep(61, Severity.HIGH, RiskResponse.SUSPEND_SHIPMENTS),
            OverdueStep(91, Severity.CRITICAL, RiskResponse.LEGAL_REVIEW),
        ),
        converter=_steps,
    )
    min_overdue: Decimal = attrs.field(default=Decimal(0))
    near_limit_ratio: float = attrs.field(default=0.9, validator=_ratio)
    over_limit_critical_days: int = attrs.field(default=61, validator=v.int_between(1, None))


@attrs.frozen
class RiskAlert:
    """One triggered rule for one customer; ``facts`` are the figures that triggered it."""

    customer_id: CustomerId
    code: str
    severity: Severity
    response: RiskResponse
    message: str
    facts: Mapping[str, str | int | float | None] = attrs.field(factory=dict, hash=False)

    @property
    def rank(self) -> int:
        return SEVERITY_RANK[self.severity]

    def to_event(self, occurred_at: Any, previous: Severity | None = None) -> DomainEvent:
        """The ``risk.alert`` event; ``previous_severity`` is set when the alert escalated."""
        return DomainEvent(
            RISK_ALERT,
            occurred_at,
            self.customer_id,
            {
                "code": self.code,
                "severity": self.severity.value,
                "previous_severity": previous.value if previous is not None else None,
                "response": self.response.value,
                "message": self.message,
                "facts": dict(self.facts),
            },
        )


def _fmt(m: Money) -> str:
    return f"{m.amount:,.2f} {m.currency}"


def evaluate_risk(
    customer_id: CustomerId,
    exposure: Exposure,
    max_days_overdue: int,
    rules: RiskRules,
) -> tuple[RiskAlert, ...]:
    """The alerts ``rules`` raise for one customer, worst first."""
    alerts: list[RiskAlert] = []
    if exposure.overdue.amount > rules.min_overdue and max_days_overdue > 0:
        step = None
        for candidate in rules.overdue_steps:
            if max_days_overdue >= candidate.min_days:
                step = candidate
        if step is not None:
            alerts.append(
                RiskAlert(
                    customer_id,
                    "overdue",
                    step.severity,
                    step.response,
                    f"{_fmt(exposure.overdue)} overdue, oldest {max_days_overdue} days past due",
                    {"overdue": str(exposure.overdue.amount), "max_days_overdue": max_days_overdue},
                )
            )
    ratio = exposure.utilisation
    limit = exposure.credit_limit
    # A zero limit gives an infinite ratio, which JSON cannot carry; the facts say None then.
    json_ratio = ratio if ratio is not None and ratio != float("inf") else None
    if exposure.over_limit and limit is not None:
        critical = max_days_overdue >= rules.over_limit_critical_days
        alerts.append(
            RiskAlert(
                customer_id,
                "over_limit",
                Severity.CRITICAL if critical else Severity.HIGH,
                RiskResponse.SUSPEND_SHIPMENTS if critical else RiskResponse.GUARANTEE,
                f"owes {_fmt(exposure.outstanding)} against a limit of {_fmt(limit)}",
                {
                    "outstanding": str(exposure.outstanding.amount),
                    "credit_limit": str(limit.amount),
                    "utilisation": json_ratio,
                    "max_days_overdue": max_days_overdue,
                },
            )
        )
    elif ratio is not None and limit is not None and ratio >= rules.near_limit_ratio:
        alerts.append(
            RiskAlert(
                customer_id,
                "near_limit",
                Severity.LOW,
                RiskResponse.GUARANTEE,
                f"uses {ratio:.0%} of a {_fmt(limit)} credit limit",
                {
                    "outstanding": str(exposure.outstanding.amount),
                    "credit_limit": str(limit.amount),
                    "utilisation": json_ratio,
                },
            )
        )
    alerts.sort(key=lambda a: -a.rank)
    return tuple(alerts)
