"""Churn early warning (流失预警): health score 0–100 from named signals, and what to do.

``health = max(0, 100 − Σ penalties of the signals that fired)``. Levels: ``healthy``
(≥ ``watch_below``, default 70), ``watch`` and ``at_risk`` (< ``at_risk_below``, default 40).
A customer is *warned* when its health is below ``watch_below``.

Recommended action: none when healthy; ``关怀计划`` (care plan) when the health is below
``at_risk_below`` and the tier has a dedicated manager; otherwise the action of the signal
that took off the most health (ties: the signal listed first).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from keyaccount.activity import Book, CustomerActivity
from keyaccount.errors import DuplicateRegistration, ValidationError
from keyaccount.fx import ExchangeRates
from keyaccount.lifecycle.signals import (
    ACTION_LABELS,
    BUILT_IN_SIGNALS,
    Action,
    ChurnContext,
    ChurnSignal,
    SignalHit,
)
from keyaccount.models import CustomerId
from keyaccount.slots import slot_builder
from keyaccount.tiering.policy import PolicyBook, default_policy_book

if TYPE_CHECKING:
    from keyaccount.host import PluginHost

HEALTHY = "healthy"
WATCH = "watch"
AT_RISK = "at_risk"


@attrs.frozen
class RecommendedAction:
    code: str
    label: str
    reason: str


_KEEP = RecommendedAction(Action.NONE, ACTION_LABELS[Action.NONE], "no warning")


# ``RecommendedAction(code, label, reason)`` with its slots set directly: the class has no
# checks to skip, and a review builds one for most warned or at-risk customers (~1.3 →
# ~0.6 µs).
recommended_action: Callable[[str, str, str], RecommendedAction] = slot_builder(RecommendedAction)


@attrs.frozen
class HealthAssessment:
    """One customer's health with the signals behind it and the recommended action."""

    customer_id: CustomerId
    health: float
    level: str
    signals: tuple[SignalHit, ...]
    action: RecommendedAction

    @property
    def warning(self) -> bool:
        return self.level != HEALTHY

    def signal_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.signals)


# ``HealthAssessment(...)`` with its slots set directly: the class has no checks to skip,
# and a review builds one per customer and again for about half of them (a follow-up for
# the at-risk stage); ~2 → ~0.8 µs.
health_assessment: Callable[
    [CustomerId, float, str, tuple[SignalHit, ...], RecommendedAction], HealthAssessment
] = slot_builder(HealthAssessment)


def _signals(value: Iterable[ChurnSignal]) -> tuple[ChurnSignal, ...]:
    signals = tuple(value)
    names = [s.name for s in signals]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValidationError("ChurnModel.signals", dup, "has duplicate names")
    return signals


@attrs.frozen
class ChurnModel:
    signals: tuple[ChurnSignal, ...] = attrs.field(default=BUILT_IN_SIGNALS, converter=_signals)
    watch_below: float = 70.0
    at_risk_below: float = 40.0
    recent_days: int = 90
    baseline_days: int = 365

    def __attrs_post_init__(self) -> None:
        if not 0 <= self.at_risk_below <= self.watch_below <= 100:
            raise ValidationError(
                "ChurnModel.at_risk_below",
                self.at_risk_below,
                f"must be 0 ≤ at_risk_below ≤ watch_below ({self.watch_below}) ≤ 100",
            )

    def with_extra(self, extra: Iterable[ChurnSignal]) -> ChurnModel:
        """This model with more signals; a name already in the model raises
        ``DuplicateRegistration``."""
        taken = {s.name for s in self.signals}
        extra = tuple(extra)
        for s in extra:
            if s.name in taken:
                raise DuplicateRegistration("churn signal", s.name, "the model", "extra")
            taken.add(s.name)
        return attrs.evolve(self, signals=(*self.signals, *extra))

    @classmethod
    def from_host(cls, host: PluginHost, base: ChurnModel | None = None) -> ChurnModel:
        """``base`` (default: built-in signals and levels) plus every signal plugins
        registered through the ``register_churn_signals`` hook."""
        return (base or cls()).with_extra(host.churn_signals().values())

    def context(
        self, as_of: datetime, rates: ExchangeRates, policies: PolicyBook | None = None
    ) -> ChurnContext:
        return ChurnContext(
            as_of,
            rates,
            policies or default_policy_book(),
            recent_days=self.recent_days,
            baseline_days=self.baseline_days,
        )

    def assess(self, activity: CustomerActivity, ctx: ChurnContext) -> HealthAssessment:
        fired: list[SignalHit] = []
        penalties = 0.0
        for signal in self.signals:
            hit = signal.evaluate(activity, ctx)
            if hit is not None:
                fired.append(hit)
                penalties += hit.penalty
        hits = tuple(fired)
        health = max(0.0, 100.0 - penalties)
        if health < self.at_risk_below:
            level = AT_RISK
        elif health < self.watch_below:
            level = WATCH
        else:
            level = HEALTHY
        action = self._recommend(activity, ctx, health, level, hits)
        return health_assessment(activity.customer_id, health, level, hits, action)

    def assess_book(
        self,
        book: Book,
        *,
        as_of: datetime,
        rates: ExchangeRates,
        policies: PolicyBook | None = None,
    ) -> dict[CustomerId, HealthAssessment]:
        ctx = self.context(as_of, rates, policies)
        return {cid: self.assess(act, ctx) for cid, act in book.items()}

    def _recommend(
        self,
        activity: CustomerActivity,
        ctx: ChurnContext,
        health: float,
        level: str,
        hits: tuple[SignalHit, ...],
    ) -> RecommendedAction:
        if level == HEALTHY or not hits:
            return _KEEP
        top = max(hits, key=lambda h: h.penalty)  # max keeps the first of equal penalties
        policy = ctx.policies.for_tier(activity.customer.tier)
        if level == AT_RISK and policy.dedicated_manager:
            code: str = Action.CARE_PLAN
            reason = (
                f"health {health:.0f} < {self.at_risk_below:g} for a {policy.display_name} "
                f"customer; main signal: {top.label}"
            )
        else:
            code = top.action
            reason = f"health {health:.0f}; main signal: {top.label} ({top.detail})"
        return recommended_action(code, ACTION_LABELS.get(code, code), reason)


def warnings(assessments: Mapping[CustomerId, HealthAssessment]) -> list[HealthAssessment]:
    """Warned customers, lowest health first (ties by id)."""
    return sorted(
        (a for a in assessments.values() if a.warning), key=lambda a: (a.health, a.customer_id)
    )
