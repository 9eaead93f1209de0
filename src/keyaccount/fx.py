"""Exchange rates for reporting: analyses that add up money across currencies convert into
one reporting currency with rates the caller supplies (no rates are fetched or guessed)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import attrs

from keyaccount.errors import KeyaccountError, ValidationError
from keyaccount.money import Money, to_decimal


class MissingRate(KeyaccountError, LookupError):
    """No rate was given for a currency that had to be converted."""

    def __init__(self, currency: str, base: str) -> None:
        self.currency = currency
        super().__init__(f"no exchange rate from {currency} to {base}; add it to ExchangeRates")


def _rates(value: Any) -> dict[str, Decimal]:
    if not isinstance(value, Mapping):
        raise ValidationError("ExchangeRates.rates", value, "must map currency to rate")
    out = {}
    for cur, rate in value.items():
        d = to_decimal(f"ExchangeRates.rates[{cur}]", rate)
        if d <= 0:
            raise ValidationError(f"ExchangeRates.rates[{cur}]", rate, "must be positive")
        out[str(cur).upper()] = d
    return out


def _currency_code(value: Any) -> str:
    return Money.zero(value).currency


@attrs.frozen
class ExchangeRates:
    """``rates[c]`` is how many units of ``base`` one unit of ``c`` is worth."""

    base: str = attrs.field(converter=_currency_code)
    rates: dict[str, Decimal] = attrs.field(factory=dict, converter=_rates, hash=False)

    @classmethod
    def single(cls, currency: str) -> ExchangeRates:
        """Rates for a book kept in one currency: anything else raises ``MissingRate``."""
        return cls(currency)

    def convert(self, amount: Money) -> Money:
        if amount.currency == self.base:
            return amount
        rate = self.rates.get(amount.currency)
        if rate is None:
            raise MissingRate(amount.currency, self.base)
        return Money(amount.amount * rate, self.base)
