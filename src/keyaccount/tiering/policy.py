"""Tier policies (差异化服务): what each tier is entitled to. Other services read these."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import attrs

from keyaccount import validation as v
from keyaccount.errors import ValidationError
from keyaccount.models.enums import Severity


def _sla_hours(value: Any) -> dict[Severity, int]:
    if not isinstance(value, Mapping):
        raise ValidationError("TierPolicy.complaint_sla_hours", value, "must map severity to hours")
    out: dict[Severity, int] = {}
    for key, hours in value.items():
        try:
            severity = Severity(key)
        except ValueError:
            raise ValidationError(
                "TierPolicy.complaint_sla_hours", key, "is not a severity"
            ) from None
        if isinstance(hours, bool) or not isinstance(hours, int) or hours <= 0:
            raise ValidationError(
                f"TierPolicy.complaint_sla_hours[{severity.value}]", hours, "must be positive hours"
            )
        out[severity] = hours
    missing = [s.value for s in Severity if s not in out]
    if missing:
        raise ValidationError(
            "TierPolicy.complaint_sla_hours", value, f"lacks {', '.join(missing)}"
        )
    return out


@attrs.frozen
class TierPolicy:
    """Service entitlements of one tier.

    ``visit_cadence_days``: a visit is due this many days after the last one (None: no plan).
    ``complaint_sla_hours``: business hours to resolve a complaint, by severity.
    ``executive_contact_days``: cadence of executive-level contact (定期高层沟通), None if none.
    ``service_model``: ``"dedicated"`` manager, ``"team"`` or ``"automated"`` service.
    """

    tier: str = attrs.field(validator=v.non_empty_text)
    display_name: str = attrs.field(validator=v.non_empty_text)
    service_model: str = attrs.field(
        validator=attrs.validators.in_(("dedicated", "team", "automated"))
    )
    visit_cadence_days: int | None = attrs.field(validator=v.int_between(1, 3660, optional=True))
    complaint_sla_hours: dict[Severity, int] = attrs.field(converter=_sla_hours, hash=False)
    executive_contact_days: int | None = attrs.field(
        default=None, validator=v.int_between(1, 3660, optional=True)
    )

    @property
    def dedicated_manager(self) -> bool:
        return self.service_model == "dedicated"


@attrs.frozen
class PolicyBook:
    """Policies by tier code, with the policy for customers not yet tiered."""

    policies: dict[str, TierPolicy] = attrs.field(hash=False)
    untiered: TierPolicy

    def for_tier(self, tier: str | None) -> TierPolicy:
        if tier is None:
            return self.untiered
        return self.policies.get(tier, self.untiered)

    def __iter__(self) -> Iterator[TierPolicy]:
        return iter(self.policies.values())


def _sla(critical: int, high: int, medium: int, low: int) -> dict[Severity, int]:
    return {
        Severity.CRITICAL: critical,
        Severity.HIGH: high,
        Severity.MEDIUM: medium,
        Severity.LOW: low,
    }


def default_policy_book() -> PolicyBook:
    """Defaults for the A/B/C set; 战略/重点/普通 and VIP/重要/普通 map onto the same three rows."""
    a = TierPolicy("A", "A 类 / 战略客户", "dedicated", 30, _sla(4, 8, 16, 40), 90)
    b = TierPolicy("B", "B 类 / 重点客户", "team", 60, _sla(8, 16, 24, 56), 180)
    c = TierPolicy("C", "C 类 / 普通客户", "automated", 180, _sla(16, 24, 40, 80), None)
    return PolicyBook({"A": a, "B": b, "C": c}, untiered=c)
