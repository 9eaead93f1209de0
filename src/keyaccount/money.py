"""Money: an exact ``Decimal`` amount with its ISO 4217 currency. Never float."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from keyaccount.errors import KeyaccountError, ValidationError


class CurrencyMismatch(KeyaccountError, ValueError):
    """Arithmetic or comparison across two currencies, which has no exchange rate to use."""

    def __init__(self, left: str, right: str) -> None:
        super().__init__(f"cannot combine {left} with {right} without an exchange rate")


def to_decimal(field: str, value: object) -> Decimal:
    """Convert ``value`` to a finite Decimal; floats are refused because they are inexact."""
    if isinstance(value, bool):
        raise ValidationError(field, value, "must be a decimal amount, not a bool")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValidationError(field, value, "is not a decimal number") from None
    elif isinstance(value, float):
        raise ValidationError(field, value, "floats are inexact; pass a str or Decimal")
    else:
        raise ValidationError(field, value, "must be a Decimal, int or numeric string")
    if not result.is_finite():
        raise ValidationError(field, value, "must be a finite number")
    return result


def _amount(value: Any) -> Decimal:
    return to_decimal("Money.amount", value)


def _currency(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError("Money.currency", value, "must be an ISO 4217 code")
    code = value.strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValidationError("Money.currency", value, "must be a three-letter ISO 4217 code")
    return code


@attrs.frozen(order=False)
class Money:
    """An amount of one currency. Arithmetic across currencies raises ``CurrencyMismatch``."""

    amount: Decimal = attrs.field(converter=_amount)
    currency: str = attrs.field(converter=_currency)

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        return cls(amount, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def parse(cls, text: str) -> Money:
        """Parse ``"1234.50 CNY"`` (amount, space, currency)."""
        parts = text.split()
        if len(parts) != 2:
            raise ValidationError("Money", text, "expected '<amount> <CUR>'")
        return cls(parts[0], parts[1])

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"expected Money, got {type(other).__name__}")
        if other.currency != self.currency:
            raise CurrencyMismatch(self.currency, other.currency)

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        if isinstance(factor, float | bool) or not isinstance(factor, Decimal | int):
            raise TypeError("Money can be multiplied by a Decimal or int only")
        return Money(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._same(other)
        return self.amount >= other.amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def is_negative(self) -> bool:
        return self.amount < 0

    def quantize(self, exponent: str = "0.01") -> Money:
        return Money(self.amount.quantize(Decimal(exponent)), self.currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def sum_money(items: list[Money] | tuple[Money, ...], currency: str) -> Money:
    """Sum amounts of one currency; an empty sequence gives zero of ``currency``."""
    total = Decimal(0)
    for item in items:
        if item.currency != currency:
            raise CurrencyMismatch(currency, item.currency)
        total += item.amount
    return Money(total, currency)
