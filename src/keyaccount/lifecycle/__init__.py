"""Lifecycle (生命周期), churn early warning (流失预警) and the win-back list (挽回).

API summary (all results are frozen attrs; nothing here queries the store per customer)::

    from keyaccount.activity import load_activity, group_activity   # one pass, per customer
    from keyaccount.lifecycle import (
        evaluate_lifecycle, LifecycleService, LifecycleRules, ChurnModel, win_back_list,
        Stage, derive_stages,
    )

    book = load_activity(store)
    result = evaluate_lifecycle(book, as_of=now, rates=rates,
                                rules=LifecycleRules(), churn=ChurnModel(), policies=book_of_policies)
    #   pure -> LifecycleResult(as_of, customers={id: CustomerLifecycle(stage, since, reason,
    #           history=(StageChange(from_stage, to_stage, at, reason), ...),
    #           health=HealthAssessment(health 0-100, level, signals=(SignalHit(name, label,
    #           penalty, value, threshold, detail, action), ...), action=RecommendedAction(
    #           code, label, reason)), warned)})
    #   result.counts() -> {Stage: n}; result.warnings() -> lowest health first;
    #   result.stages() -> {id: (stage, since)}
    candidates = win_back_list(book, result.stages(), rates=rates, limit=50)
    #   -> [WinBackCandidate(customer_id, name, owner_id, tier, churned_since, last_order_at,
    #       orders, revenue: Money, gross_profit: Money, action, action_label)], by profit

    svc = LifecycleService(store, clock, events, rates, rules=..., churn=..., policies=...)
    previous = svc.states()  # {id: LifecycleState} as of the last run (one query)
    result = svc.run(book, previous=previous)   # + stores StageTransition / LifecycleState,
                             #   emits "lifecycle.stage_changed" and "churn.warning" events

    ChurnModel().assess_book(book, as_of=now, rates=rates) -> {id: HealthAssessment}

Plugins add signals with the ``register_churn_signals(register)`` hook:
``register(ChurnSignal(name, label, evaluate))``; ``ChurnModel.from_host(host)`` uses them
(``ChurnModel(...).with_extra(signals)`` adds signals by hand). See docs/lifecycle.md.
"""

from keyaccount.lifecycle.churn import (
    AT_RISK,
    HEALTHY,
    WATCH,
    ChurnModel,
    HealthAssessment,
    RecommendedAction,
    warnings,
)
from keyaccount.lifecycle.records import LifecycleState, StageTransition
from keyaccount.lifecycle.service import (
    CHURN_WARNING,
    STAGE_CHANGED,
    CustomerLifecycle,
    LifecycleResult,
    LifecycleService,
    evaluate_lifecycle,
)
from keyaccount.lifecycle.signals import (
    ACTION_LABELS,
    BUILT_IN_SIGNALS,
    Action,
    ChurnContext,
    ChurnSignal,
    RegisterChurnSignal,
    SignalHit,
)
from keyaccount.lifecycle.stages import (
    ACTIVE_STAGES,
    STAGE_LABELS,
    LifecycleRules,
    Stage,
    StageChange,
    derive_stages,
)
from keyaccount.lifecycle.winback import WinBackCandidate, win_back_list

__all__ = [
    "ACTION_LABELS",
    "ACTIVE_STAGES",
    "AT_RISK",
    "BUILT_IN_SIGNALS",
    "CHURN_WARNING",
    "HEALTHY",
    "STAGE_CHANGED",
    "STAGE_LABELS",
    "WATCH",
    "Action",
    "ChurnContext",
    "ChurnModel",
    "ChurnSignal",
    "CustomerLifecycle",
    "HealthAssessment",
    "LifecycleResult",
    "LifecycleRules",
    "LifecycleService",
    "LifecycleState",
    "RecommendedAction",
    "RegisterChurnSignal",
    "SignalHit",
    "Stage",
    "StageChange",
    "StageTransition",
    "WinBackCandidate",
    "derive_stages",
    "evaluate_lifecycle",
    "warnings",
    "win_back_list",
]
