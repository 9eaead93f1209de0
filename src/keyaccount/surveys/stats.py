"""NPS and CSAT with their uncertainty, overall and by customer, tier, manager or period.

Methods (95% by default, ``z = 1.96``):

NPS
    Each answer is a promoter (9-10, +1), passive (7-8, 0) or detractor (0-6, -1). With
    p = promoters/n and d = detractors/n, NPS = 100·(p − d). Treating the counts as one
    multinomial draw, Var(p − d) = (p + d − (p − d)²) / n, and the margin of error is
    100·z·√Var (normal approximation). It is 0 when every answer falls in one group, which
    says nothing about small n: always read it together with n.
CSAT
    Top-2-box on the 1-5 CSAT question: CSAT = 100·(answers of 4 or 5)/n. The interval is the
    Wilson score interval, which stays inside 0-100 and behaves at small n and at p = 0 or 1;
    ``margin`` is half its width.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Literal

import attrs

from keyaccount.clock import ensure_utc
from keyaccount.errors import ValidationError
from keyaccount.models import Customer, SurveyResponse
from keyaccount.storage import Condition, Store, between, eq

Z95 = 1.96
NONE_GROUP = "(none)"
GroupBy = Literal["all", "customer", "tier", "manager", "month", "quarter"]


@attrs.frozen
class NpsEstimate:
    n: int
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    margin: float | None

    @property
    def low(self) -> float | None:
        return (
            None if self.nps is None or self.margin is None else max(-100.0, self.nps - self.margin)
        )

    @property
    def high(self) -> float | None:
        return (
            None if self.nps is None or self.margin is None else min(100.0, self.nps + self.margin)
        )


@attrs.frozen
class CsatEstimate:
    n: int
    satisfied: int
    csat: float | None
    low: float | None
    high: float | None
    mean: float | None

    @property
    def margin(self) -> float | None:
        return None if self.low is None or self.high is None else (self.high - self.low) / 2


def nps_estimate(scores: Iterable[int], *, z: float = Z95) -> NpsEstimate:
    values = list(scores)
    for s in values:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= 10:
            raise ValidationError("nps_estimate.scores", s, "NPS answers are whole numbers 0-10")
    n = len(values)
    promoters = sum(s >= 9 for s in values)
    detractors = sum(s <= 6 for s in values)
    passives = n - promoters - detractors
    if n == 0:
        return NpsEstimate(0, 0, 0, 0, None, None)
    p, d = promoters / n, detractors / n
    variance = max(0.0, p + d - (p - d) ** 2) / n
    return NpsEstimate(
        n, promoters, passives, detractors, 100 * (p - d), 100 * z * math.sqrt(variance)
    )


def csat_estimate(scores: Iterable[int], *, z: float = Z95, satisfied_min: int = 4) -> CsatEstimate:
    values = list(scores)
    for s in values:
        if isinstance(s, bool) or not isinstance(s, int) or not 1 <= s <= 5:
            raise ValidationError("csat_estimate.scores", s, "CSAT answers are whole numbers 1-5")
    n = len(values)
    if n == 0:
        return CsatEstimate(0, 0, None, None, None, None)
    satisfied = sum(s >= satisfied_min for s in values)
    p = satisfied / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return CsatEstimate(
        n,
        satisfied,
        100 * p,
        100 * max(0.0, centre - half),
        100 * min(1.0, centre + half),
        sum(values) / n,
    )


@attrs.frozen
class SatisfactionRow:
    group: str
    nps: NpsEstimate
    csat: CsatEstimate


def _period_key(at: datetime, by: str) -> str:
    if by == "month":
        return f"{at.year:04d}-{at.month:02d}"
    return f"{at.year:04d}-Q{(at.month - 1) // 3 + 1}"


def satisfaction_report(
    store: Store,
    start: datetime,
    end: datetime,
    *,
    by: GroupBy = "all",
    survey_id: str | None = None,
    z: float = Z95,
) -> list[SatisfactionRow]:
    """NPS and CSAT of responses answered in ``[start, end)``, one row per group.

    ``tier`` and ``manager`` group by the customer's current tier and owner (``(none)`` when
    unset); ``month`` and ``quarter`` by the UTC answer date. Rows come sorted by group.
    """
    start = ensure_utc("satisfaction_report.start", start)
    end = ensure_utc("satisfaction_report.end", end)
    if end <= start:
        raise ValidationError("satisfaction_report.end", end, "must be after start")
    if by not in ("all", "customer", "tier", "manager", "month", "quarter"):
        raise ValidationError(
            "satisfaction_report.by", by, "must be all, customer, tier, manager, month or quarter"
        )
    conditions: list[Condition | tuple[Condition, ...]] = [between("answered_at", start, end)]
    if survey_id is not None:
        conditions.append(eq("survey_id", survey_id))
    responses = list(store.query(SurveyResponse, *conditions))
    customers = store.get_many(Customer, {r.customer_id for r in responses})

    def group_of(r: SurveyResponse) -> str:
        if by == "all":
            return "all"
        if by == "customer":
            return r.customer_id
        if by in ("month", "quarter"):
            return _period_key(r.answered_at, by)
        customer = customers.get(r.customer_id)
        value = None
        if customer is not None:
            value = customer.tier if by == "tier" else customer.owner_id
        return value or NONE_GROUP

    groups: dict[str, list[SurveyResponse]] = {}
    for r in responses:
        groups.setdefault(group_of(r), []).append(r)
    return [
        SatisfactionRow(
            key,
            nps_estimate((r.nps for r in rows if r.nps is not None), z=z),
            csat_estimate((r.csat for r in rows if r.csat is not None), z=z),
        )
        for key, rows in sorted(groups.items())
    ]
