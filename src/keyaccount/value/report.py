"""All customer-value analyses of a book in one call, from one pass over its transactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import attrs

from keyaccount.clock import Clock
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


@attrs.frozen
class ValueConfig:
    window_days: int = DEFAULT_WINDOW_DAYS
    rfm_bins: int = 5
    pyramid: PyramidCuts = attrs.Factory(PyramidCuts)
    top_n: tuple[int, ...] = DEFAULT_TOP_N
    clv: ClvConfig = attrs.Factory(ClvConfig)


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
