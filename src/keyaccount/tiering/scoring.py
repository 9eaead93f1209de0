"""The weighted scoring model: every customer's 0–100 score with its explanation.

``score = Σ weightᵢ × scoreᵢ / Σ weightᵢ`` over the criteria; the explanation keeps, for
each criterion, the raw value, its 0–100 score, the weight as a share of the total
(``weightᵢ / Σ weight``) and the contribution (``share × score``), so contributions add up
to the score.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from keyaccount.activity import Book, gc_paused
from keyaccount.errors import DuplicateRegistration, ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.models import CustomerId
from keyaccount.slots import slot_builder
from keyaccount.tiering.criteria import BUILT_IN_CRITERIA, Criterion, ScoringContext

if TYPE_CHECKING:
    from keyaccount.host import PluginHost


@attrs.frozen
class CriterionScore:
    name: str
    label: str
    raw: float | None
    score: float
    weight: float
    contribution: float
    method: str

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form kept in ``TierAssignment.explanation`` (the normalisation method
        is the same for every customer of a run, so it is not repeated per row)."""
        return {
            "criterion": self.name,
            "label": self.label,
            "raw": None if self.raw is None else round(self.raw, 4),
            "score": round(self.score, 4),
            "weight": round(self.weight, 6),
            "contribution": round(self.contribution, 4),
        }


@attrs.frozen
class ScoreLayout:
    """What every customer's explanation shares: criteria names, labels, weight shares, methods."""

    names: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    shares: tuple[float, ...] = ()
    methods: tuple[str, ...] = ()
    # The explanation's "weight" (shares rounded as CriterionScore.as_dict does), rounded once
    # per run instead of once per customer: round() costs ~0.7 us and every stored
    # assignment of every run carries an explanation.
    rounded_shares: tuple[float, ...] = attrs.field(
        default=attrs.Factory(
            lambda self: tuple(round(s, 6) for s in self.shares), takes_self=True
        ),
        eq=False,
        repr=False,
    )


_NO_LAYOUT = ScoreLayout()


@attrs.frozen
class CustomerScore:
    """A customer's 0–100 score; ``criteria`` explains it criterion by criterion.

    Only the raw values and scores are kept per customer (the rest is shared), so scoring a
    large book does not build an explanation object per criterion until one is asked for.
    """

    customer_id: CustomerId
    score: float
    raw: tuple[float | None, ...] = ()
    scores: tuple[float, ...] = ()
    layout: ScoreLayout = attrs.field(default=_NO_LAYOUT, eq=False, repr=False)

    @property
    def criteria(self) -> tuple[CriterionScore, ...]:
        lay = self.layout
        return tuple(
            CriterionScore(name, label, raw, score, share, share * score, method)
            for name, label, raw, score, share, method in zip(
                lay.names, lay.labels, self.raw, self.scores, lay.shares, lay.methods, strict=True
            )
        )

    def explanation(self) -> tuple[dict[str, Any], ...]:
        """``CriterionScore.as_dict`` of every criterion, without building the objects."""
        lay = self.layout
        return tuple(
            {
                "criterion": name,
                "label": label,
                "raw": None if raw is None else round(raw, 4),
                "score": round(score, 4),
                "weight": weight,
                "contribution": round(share * score, 4),
            }
            for name, label, raw, score, share, weight in zip(
                lay.names,
                lay.labels,
                self.raw,
                self.scores,
                lay.shares,
                lay.rounded_shares,
                strict=True,
            )
        )

    def criterion(self, name: str) -> CriterionScore:
        for c in self.criteria:
            if c.name == name:
                return c
        raise KeyError(name)


# ``CustomerScore(customer_id, score, raw, scores, layout)`` for a scoring run: the record has
# no field checks to keep, so its slots alone are set (1.55 → 1.1 µs; every customer of
# every run gets one).
customer_score: Callable[
    [CustomerId, float, tuple[float | None, ...], tuple[float, ...], ScoreLayout], CustomerScore
] = slot_builder(CustomerScore)


def round4(x: float) -> float:
    """``round(x, 4)`` for a float, in about half the time for the values a book has.

    ``round`` formats the float's exact decimal expansion (~0.8 µs, more for large values).
    Instead: ``y = x × 10⁴`` is within 2⁻¹³ of the exact product while ``|y| < 10¹²``; if
    ``y`` is more than that away from a half (0.499 is plenty), its nearest integer ``n``
    is the exact product's, so ``n`` is the 4-digit decimal ``round`` picks, and ``n / 10⁴``
    (an exact int over an exact int) is correctly rounded: the float ``round`` returns.
    Zero (``n == 0``, whose sign ``round`` keeps), near-halves, large values, infinities
    and NaN take ``round`` itself. A test compares both on millions of floats.
    """
    y = x * 10000.0
    if -1e12 < y < 1e12:
        n = round(y)
        if n and abs(y - n) < 0.499:
            return n / 10000
    return round(x, 4)


def explanations(scores: Sequence[CustomerScore]) -> list[tuple[dict[str, Any], ...]]:
    """``explanation()`` of every score, in order, built criterion by criterion (one
    ``_rounded`` pass per column of raws, scores and contributions, then the dicts).
    The result equals ``[s.explanation() for s in scores]``.
    """
    if not scores:
        return []
    lay = scores[0].layout
    if any(s.layout is not lay for s in scores):
        return [s.explanation() for s in scores]
    columns: list[list[dict[str, Any]]] = []
    for k, (name, label, share, weight) in enumerate(
        zip(lay.names, lay.labels, lay.shares, lay.rounded_shares, strict=True)
    ):
        (raw_out,) = _rounded([s.raw[k] for s in scores], None)
        score_out, contribution_out = _rounded([s.scores[k] for s in scores], None, share)
        columns.append(
            [
                {
                    "criterion": name,
                    "label": label,
                    "raw": r,
                    "score": x,
                    "weight": weight,
                    "contribution": c,
                }
                for r, x, c in zip(raw_out, score_out, contribution_out, strict=True)
            ]
        )
    return list(zip(*columns, strict=True))


_FLOAT_OR_NONE = frozenset({float, type(None)})


def _rounded(values: list[Any], *factors: float | None) -> list[list[Any]]:
    """Per factor, ``round(x, 4)`` (factor None) or ``round(factor * x, 4)`` of every value;
    None stays None.

    ``round()`` is the bulk of an explanation's cost and a book repeats values a lot (tied
    ranks, order counts, indexes, missing scores), so each distinct non-zero float is
    rounded once (by ``round4``). A zero float rounds to itself, sign included (and so does
    ``factor × ±0.0`` for a factor ``>= +0.0``, as weight shares are), so a column of floats
    and None maps through that memo in one C-level pass (measured about 0.8 → 0.4 µs a
    value). Other columns (an int key would meet an equal float) go value by value.
    """
    if set(map(type, values)) <= _FLOAT_OR_NONE:
        keys = set(values)
        keys.discard(None)
        keys.discard(0.0)  # either sign
        return [_mapped(values, keys, factor) for factor in factors]
    return [_one_by_one(values, factor) for factor in factors]


def _mapped(values: list[Any], keys: set[float], factor: float | None) -> list[Any]:
    if factor is None:
        memo = {x: round4(x) for x in keys}
    elif math.copysign(1.0, factor) > 0:
        memo = {x: round4(factor * x) for x in keys}
    else:
        return _one_by_one(values, factor)
    return list(map(memo.get, values, values))


def _one_by_one(values: list[Any], factor: float | None) -> list[Any]:
    memo = {
        x: round(x if factor is None else factor * x, 4) for x in values if type(x) is float and x
    }
    return [
        memo[x]
        if type(x) is float and x
        else (None if x is None else round(x if factor is None else factor * x, 4))
        for x in values
    ]


def _check_criteria(value: Any) -> tuple[Criterion, ...]:
    criteria = tuple(value)
    names = [c.name for c in criteria]
    if not criteria:
        raise ValidationError("ScoringModel.criteria", criteria, "needs at least one criterion")
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValidationError("ScoringModel.criteria", sorted(dup), "has duplicate names")
    return criteria


@attrs.frozen
class ScoringModel:
    """Criteria and their weights (any non-negative numbers; only ratios matter)."""

    criteria: tuple[Criterion, ...] = attrs.field(converter=_check_criteria)
    weights: Mapping[str, float] = attrs.field(hash=False)
    window_days: int = 365

    def __attrs_post_init__(self) -> None:
        names = {c.name for c in self.criteria}
        for name, w in self.weights.items():
            if name not in names:
                raise ValidationError("ScoringModel.weights", name, "is not a criterion")
            if isinstance(w, bool) or not isinstance(w, int | float) or w < 0 or w != w:
                raise ValidationError(f"ScoringModel.weights[{name}]", w, "must be >= 0")
        if sum(self.weights.get(n, 0.0) for n in names) <= 0:
            raise ValidationError("ScoringModel.weights", dict(self.weights), "must not all be 0")

    @classmethod
    def default(
        cls,
        weights: Mapping[str, float] | None = None,
        *,
        extra: Iterable[Criterion] = (),
        window_days: int = 365,
    ) -> ScoringModel:
        """Built-in criteria plus ``extra``; unspecified weights take each criterion's default."""
        criteria = (*BUILT_IN_CRITERIA, *extra)
        taken = {c.name for c in BUILT_IN_CRITERIA}
        for c in extra:
            if c.name in taken:
                raise DuplicateRegistration("tier criterion", c.name, "built-in", "extra")
            taken.add(c.name)
        merged = {c.name: c.default_weight for c in criteria}
        merged.update(weights or {})
        return cls(criteria, merged, window_days)

    @classmethod
    def from_host(
        cls, host: PluginHost, weights: Mapping[str, float] | None = None, *, window_days: int = 365
    ) -> ScoringModel:
        """Built-in criteria plus every criterion plugins registered through the hook."""
        return cls.default(weights, extra=host.tier_criteria().values(), window_days=window_days)

    def weight_shares(self) -> dict[str, float]:
        total = sum(self.weights.get(c.name, 0.0) for c in self.criteria)
        return {c.name: self.weights.get(c.name, 0.0) / total for c in self.criteria}

    def score(
        self,
        book: Book,
        *,
        as_of: datetime,
        rates: ExchangeRates,
        potential: Mapping[CustomerId, int] | None = None,
    ) -> dict[CustomerId, CustomerScore]:
        """Score every customer in ``book``; pure (reads nothing but its arguments)."""
        with gc_paused():
            return self._score(book, as_of, rates, potential)

    def _score(
        self,
        book: Book,
        as_of: datetime,
        rates: ExchangeRates,
        potential: Mapping[CustomerId, int] | None,
    ) -> dict[CustomerId, CustomerScore]:
        ctx = ScoringContext(as_of, rates, self.window_days, potential or {})
        shares = self.weight_shares()
        criteria = self.criteria
        measures = [c.measure for c in criteria]
        ids = list(book)
        # Customer by customer, so criteria reading the same window share one pass over it;
        # then column by column (one list per criterion), which needs no lookup by customer.
        rows = [[measure(act, ctx) for measure in measures] for act in book.values()]
        raw_columns = list(zip(*rows, strict=True)) if rows else [() for _ in criteria]
        layout = ScoreLayout(
            tuple(c.name for c in criteria),
            tuple(c.label for c in criteria),
            tuple(shares[c.name] for c in criteria),
            tuple(c.normaliser.method for c in criteria),
        )
        totals = [0.0] * len(ids)
        score_columns: list[list[float]] = []
        for criterion, column, share in zip(criteria, raw_columns, layout.shares, strict=True):
            present = {cid: x for cid, x in zip(ids, column, strict=True) if x is not None}
            score_map: dict[Any, float] = criterion.normaliser.scores(present)
            missing = criterion.missing_score
            scored = [
                missing if x is None else score_map[cid] for cid, x in zip(ids, column, strict=True)
            ]
            score_columns.append(scored)
            # Criterion by criterion in order, as the score's definition adds them up.
            totals = [t + share * s for t, s in zip(totals, scored, strict=True)]
        return {
            cid: customer_score(cid, total, values, scored, layout)
            for cid, total, values, scored in zip(
                ids,
                totals,
                zip(*raw_columns, strict=True),
                zip(*score_columns, strict=True),
                strict=True,
            )
        }
