"""Earning rules (积分规则): how many points a purchase, an on-time payment or a referral is
worth."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import attrs

from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.money import Money, to_decimal


def _multipliers(value: Mapping[str, Any]) -> dict[str, Decimal]:
    out = {}
    for tier, factor in value.items():
        d = to_decimal(f"EarnRules.tier_multipliers[{tier}]", factor)
        if d < 0:
            raise ValidationError(
                f"EarnRules.tier_multipliers[{tier}]", factor, "must not be negative"
            )
        out[str(tier)] = d
    return out


def _positive_decimal(value: Any) -> Decimal:
    d = to_decimal("EarnRules.amount_per_point", value)
    if d <= 0:
        raise ValidationError("EarnRules.amount_per_point", value, "must be positive")
    return d


def _non_negative_int(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None and attribute.name == "validity_days":
        return
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError(f"EarnRules.{attribute.name}", value, "must be a whole number >= 0")


@attrs.frozen
class EarnRules:
    """B2B points: ``1`` point per ``amount_per_point`` of order value (in ``rates.base``),
    times the customer's tier multiplier; a share of the amount for a receivable paid by its
    due date; a flat bonus per referred customer. Points are whole; fractions round down.

    ``validity_days`` (None: never) is how long earned points stay usable.
    """

    rates: ExchangeRates = attrs.field(factory=lambda: ExchangeRates.single("CNY"))
    amount_per_point: Decimal = attrs.field(default=Decimal(100), converter=_positive_decimal)
    on_time_payment_share: Decimal = attrs.field(default=Decimal("0.5"))
    referral_points: int = attrs.field(default=500, validator=_non_negative_int)
    validity_days: int | None = attrs.field(default=365, validator=_non_negative_int)
    tier_multipliers: Mapping[str, Decimal] = attrs.field(factory=dict, converter=_multipliers)

    def _points(self, amount: Money, factor: Decimal) -> int:
        base = self.rates.convert(amount).amount
        return int((base / self.amount_per_point * factor).to_integral_value(ROUND_FLOOR))

    def purchase_points(self, amount: Money, tier: str | None) -> int:
        factor = self.tier_multipliers.get(tier, Decimal(1)) if tier else Decimal(1)
        return max(0, self._points(amount, factor))

    def payment_points(self, amount: Money) -> int:
        return max(0, self._points(amount, self.on_time_payment_share))
