from __future__ import annotations

from decimal import Decimal

import pytest

from keyaccount.errors import ValidationError
from keyaccount.money import CurrencyMismatch, Money, sum_money


def test_money_is_exact_decimal() -> None:
    total = Money.of("0.10", "cny") + Money.of("0.20", "CNY")
    assert total == Money(Decimal("0.30"), "CNY")
    assert str(total) == "0.30 CNY"


def test_float_amounts_are_refused_naming_the_field() -> None:
    with pytest.raises(ValidationError, match=r"Money.amount: floats are inexact"):
        Money.of(0.1, "CNY")


@pytest.mark.parametrize("code", ["CN", "CNYY", "12A", ""])
def test_currency_must_be_iso_code(code: str) -> None:
    with pytest.raises(ValidationError, match=r"Money\.currency"):
        Money.of(1, code)


def test_arithmetic_across_currencies_raises() -> None:
    with pytest.raises(CurrencyMismatch):
        Money.of(1, "CNY") + Money.of(1, "USD")
    with pytest.raises(CurrencyMismatch):
        _ = Money.of(1, "CNY") < Money.of(1, "USD")


def test_sum_of_nothing_is_zero_in_the_asked_currency() -> None:
    assert sum_money([], "EUR") == Money.zero("EUR")
    assert sum_money([Money.of(2, "EUR"), Money.of("-0.5", "EUR")], "EUR") == Money.of("1.5", "EUR")


def test_multiplication_refuses_floats() -> None:
    assert Money.of("2.50", "USD") * 2 == Money.of("5.00", "USD")
    with pytest.raises(TypeError):
        Money.of(1, "USD") * 1.5  # type: ignore[operator]
