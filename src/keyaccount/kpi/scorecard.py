"""Scorecards: every KPI for the whole book and per manager, team and tier, for one period."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from typing import Any, TypeVar

import attrs

from keyaccount.fx import ExchangeRates
from keyaccount.kpi.measures import (
    KPI_FUNCTIONS,
    FactsRow,
    KpiFacts,
    KpiValue,
    customer_facts,
    facts_row,
    row_of,
    sum_rows,
)
from keyaccount.kpi.period import Period
from keyaccount.models import Customer, CustomerId, Receivable, SurveyResponse, Transaction

T = TypeVar("T")

UNASSIGNED = "(unassigned)"


class Dimension(StrEnum):
    PORTFOLIO = "portfolio"
    MANAGER = "manager"
    TEAM = "team"
    TIER = "tier"


@attrs.frozen
class Scorecard:
    """The KPIs of one group (``key``) along one dimension, for one period."""

    dimension: Dimension
    key: str
    period: Period
    facts: KpiFacts
    values: Mapping[str, KpiValue] = attrs.field(hash=False)

    def value(self, code: str) -> float | None:
        return self.values[code].value


def scorecard(dimension: Dimension, key: str, period: Period, facts: KpiFacts) -> Scorecard:
    values = {v.code: v for v in (fn(facts) for fn in KPI_FUNCTIONS)}
    return Scorecard(dimension, key, period, facts, values)


@attrs.frozen
class KpiReport:
    period: Period
    portfolio: Scorecard
    by_manager: tuple[Scorecard, ...]
    by_team: tuple[Scorecard, ...]
    by_tier: tuple[Scorecard, ...]


def gather_facts(
    customers: Sequence[Customer],
    orders: Mapping[CustomerId, Sequence[Transaction]],
    receivables: Mapping[CustomerId, Sequence[Receivable]],
    responses: Mapping[CustomerId, Sequence[SurveyResponse]],
    *,
    period: Period,
    on: date,
    rates: ExchangeRates,
    time_ordered: bool = False,
) -> dict[CustomerId, KpiFacts]:
    return _per_customer(
        customer_facts,
        customers,
        orders,
        receivables,
        responses,
        period=period,
        on=on,
        rates=rates,
        time_ordered=time_ordered,
    )


def _per_customer(
    build: Callable[..., T],
    customers: Sequence[Customer],
    orders: Mapping[CustomerId, Sequence[Transaction]],
    receivables: Mapping[CustomerId, Sequence[Receivable]],
    responses: Mapping[CustomerId, Sequence[SurveyResponse]],
    **options: Any,
) -> dict[CustomerId, T]:
    """``build`` (``customer_facts`` or ``facts_row``) for every customer, by id."""
    return {
        c.id: build(
            c,
            orders.get(c.id, ()),
            receivables.get(c.id, ()),
            responses.get(c.id, ()),
            **options,
        )
        for c in customers
    }


def group(
    facts: Mapping[CustomerId, KpiFacts],
    key_of: Callable[[CustomerId], str | None],
    dimension: Dimension,
    period: Period,
) -> tuple[Scorecard, ...]:
    """Sum facts per key (customers without one under ``(unassigned)``), sorted by key."""
    return _group_rows({cid: row_of(f) for cid, f in facts.items()}, key_of, dimension, period)


def _group_rows(
    rows: Mapping[CustomerId, FactsRow],
    key_of: Callable[[CustomerId], str | None],
    dimension: Dimension,
    period: Period,
) -> tuple[Scorecard, ...]:
    members: dict[str, list[FactsRow]] = {}
    for customer_id, row in rows.items():
        members.setdefault(key_of(customer_id) or UNASSIGNED, []).append(row)
    return tuple(scorecard(dimension, k, period, sum_rows(members[k])) for k in sorted(members))


def kpi_report(
    customers: Sequence[Customer],
    orders: Mapping[CustomerId, Sequence[Transaction]],
    receivables: Mapping[CustomerId, Sequence[Receivable]],
    responses: Mapping[CustomerId, Sequence[SurveyResponse]],
    *,
    period: Period,
    on: date,
    rates: ExchangeRates,
    tiers: Mapping[CustomerId, str] | None = None,
    time_ordered: bool = False,
) -> KpiReport:
    """KPIs of ``period`` against the period before it, overall and per manager/team/tier.

    ``tiers`` overrides ``Customer.tier`` (the review passes the tiers it just assigned);
    ``time_ordered`` promises each customer's orders are oldest first (see ``customer_facts``).
    """
    # Rows, not KpiFacts, per customer: the report only needs their sums (see facts_row).
    facts = _per_customer(
        facts_row,
        customers,
        orders,
        receivables,
        responses,
        period=period,
        on=on,
        rates=rates,
        time_ordered=time_ordered,
    )
    by_id = {c.id: c for c in customers}
    total = sum_rows(list(facts.values()))

    def tier_of(cid: CustomerId) -> str | None:
        if tiers is not None and cid in tiers:
            return tiers[cid]
        return by_id[cid].tier

    return KpiReport(
        period=period,
        portfolio=scorecard(Dimension.PORTFOLIO, "all", period, total),
        by_manager=_group_rows(facts, lambda cid: by_id[cid].owner_id, Dimension.MANAGER, period),
        by_team=_group_rows(facts, lambda cid: by_id[cid].team, Dimension.TEAM, period),
        by_tier=_group_rows(facts, tier_of, Dimension.TIER, period),
    )


def kpi_series(
    customers: Sequence[Customer],
    orders: Mapping[CustomerId, Sequence[Transaction]],
    receivables: Mapping[CustomerId, Sequence[Receivable]],
    responses: Mapping[CustomerId, Sequence[SurveyResponse]],
    *,
    periods: Sequence[Period],
    on: date,
    rates: ExchangeRates,
    tiers: Mapping[CustomerId, str] | None = None,
    time_ordered: bool = False,
) -> tuple[KpiReport, ...]:
    """One ``KpiReport`` per period, in the order given (for trends: the last four quarters,
    the months of a year). Each period is compared with the one just before it."""
    return tuple(
        kpi_report(
            customers,
            orders,
            receivables,
            responses,
            period=p,
            on=on,
            rates=rates,
            tiers=tiers,
            time_ordered=time_ordered,
        )
        for p in periods
    )
