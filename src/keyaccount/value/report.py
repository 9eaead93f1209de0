"""All customer-value analyses of a book in one call, from one pass over its transactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import attrs

from keyaccount.clock import Clock
from keyaccount.errors import ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.models.ids import CustomerId
from keyaccount.money import Money
from keyaccount.storage import Store
from keyaccount.value.concentration import (
    DEFAULT_TOP_N,
    ConcentrationResult,
    revenue_concentration,
)
from keyaccount.value.facts import DEFAULT_WINDOW_DAYS, BookFacts, facts_from_store
from keyaccount.value.lifetime import ClvConfig, LifetimeValueResult, predict_lifetime_value
from keyaccount.value.pyramid import PyramidCuts, PyramidResult, build_pyramid, historical_values
from keyaccount.value.rfm import RfmResult, score_rfm


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _window(instance: object, attribute: Any, value: Any) -> None:
    if not _whole(value) or value < 1:
        raise ValidationError("ValueConfig.window_days", value, "must be a positive whole number")


def _bins(instance: object, attribute: Any, value: Any) -> None:
    if not _whole(value) or not 2 <= value <= 10:
        raise ValidationError("ValueConfig.rfm_bins", value, "must be a whole number from 2 to 10")


def _to_top_n(value: Any) -> tuple[int, ...]:
    items = tuple(value) if isinstance(value, list | tuple) else (value,)
    if not items or any(not _whole(n) or n < 1 for n in items):
        raise ValidationError("ValueConfig.top_n", value, "must be positive whole numbers")
    return items


def _instance_of(kind: type, name: str) -> Any:
    def check(instance: object, attribute: Any, value: Any) -> None:
        if not isinstance(value, kind):
            raise ValidationError(f"ValueConfig.{name}", value, f"must be a {kind.__name__}")

    return check


@attrs.frozen
class ValueConfig:
    """Settings of the value analyses; every field is checked when the config is built."""

    window_days: int = attrs.field(default=DEFAULT_WINDOW_DAYS, validator=_window)
    rfm_bins: int = attrs.field(default=5, validator=_bins)
    pyramid: PyramidCuts = attrs.field(
        factory=PyramidCuts, validator=_instance_of(PyramidCuts, "pyramid")
    )
    top_n: tuple[int, ...] = attrs.field(default=DEFAULT_TOP_N, converter=_to_top_n)
    clv: ClvConfig = attrs.field(factory=ClvConfig, validator=_instance_of(ClvConfig, "clv"))


@attrs.frozen
class ValueReport:
    as_of: datetime
    currency: str
    facts: BookFacts
    rfm: RfmResult
    pyramid: PyramidResult
    concentration: ConcentrationResult
    lifetime: LifetimeValueResult

    @property
    def historical_value(self) -> dict[CustomerId, Money]:
        """Gross profit to date per customer (built on demand: one Money per customer)."""
        return historical_values(self.facts)


def analyse_facts(facts: BookFacts, config: ValueConfig | None = None) -> ValueReport:
    """Every value analysis over already-collected facts (see :func:`collect_facts`)."""
    config = config or ValueConfig()
    top_n: Sequence[int] = config.top_n
    return ValueReport(
        as_of=facts.as_of,
        currency=facts.currency,
        facts=facts,
        rfm=score_rfm(facts, bins=config.rfm_bins),
        pyramid=build_pyramid(facts, config.pyramid),
        concentration=revenue_concentration(facts, top_n),
        lifetime=predict_lifetime_value(facts, config.clv),
    )


def analyse_value(
    store: Store,
    clock: Clock,
    rates: ExchangeRates,
    config: ValueConfig | None = None,
) -> ValueReport:
    """Read the book once from ``store`` and run every value analysis at ``clock.now()``."""
    config = config or ValueConfig()
    facts = facts_from_store(store, clock, rates, window_days=config.window_days)
    return analyse_facts(facts, config)
