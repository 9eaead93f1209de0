from __future__ import annotations

import pytest

from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates, MissingRate
from keyaccount.money import Money


def test_convert_into_base_with_given_rate() -> None:
    fx = ExchangeRates("CNY", {"USD": "7.10"})
    assert fx.convert(Money.of("2", "USD")) == Money.of("14.20", "CNY")
    assert fx.convert(Money.of("3", "CNY")) == Money.of("3", "CNY")


def test_missing_rate_is_an_error_not_a_guess() -> None:
    with pytest.raises(MissingRate, match="EUR to CNY"):
        ExchangeRates.single("CNY").convert(Money.of(1, "EUR"))


def test_rates_must_be_positive() -> None:
    with pytest.raises(ValidationError, match=r"rates\[USD\]"):
        ExchangeRates("CNY", {"USD": "0"})
