"""Credit and receivables (信用与风险): ageing (账龄), exposure against the credit limit,
DSO, collection timeliness (收款及时率) and risk alerts with a recommended response
(分期付款, 担保, 暂停发货, 法律审核). See ``docs/credit.md``.

API: ``assess_credit(receivables_by_customer, profiles_by_customer, *, on, rates, ...)`` →
``CreditReport`` (pure, on grouped data); ``credit_review(store, *, clock, rates, events)``
loads from a store and announces new or escalated alerts as ``risk.alert`` events
(``announce_alerts``, remembering them as ``RiskAlertState`` records); building blocks ``age_receivables``,
``exposure``, ``dso``, ``collection_timeliness``, ``evaluate_risk``.
"""

from keyaccount.credit.ageing import (
    DEFAULT_BUCKETS,
    Ageing,
    AgeingBucket,
    AgeingBuckets,
    AgeingLine,
    age_receivables,
    days_overdue_on,
    outstanding_on,
)
from keyaccount.credit.alerts import (
    RESPONSE_LABELS,
    RISK_ALERT,
    OverdueStep,
    RiskAlert,
    RiskResponse,
    RiskRules,
    evaluate_risk,
)
from keyaccount.credit.measures import (
    Dso,
    Exposure,
    Timeliness,
    collection_timeliness,
    dso,
    exposure,
)
from keyaccount.credit.records import RiskAlertState
from keyaccount.credit.service import (
    CreditReport,
    CustomerCredit,
    announce_alerts,
    assess_credit,
    credit_review,
    emit_alerts,
    group_by_customer,
    latest_profiles,
)

__all__ = [
    "DEFAULT_BUCKETS",
    "RESPONSE_LABELS",
    "RISK_ALERT",
    "Ageing",
    "AgeingBucket",
    "AgeingBuckets",
    "AgeingLine",
    "CreditReport",
    "CustomerCredit",
    "Dso",
    "Exposure",
    "OverdueStep",
    "RiskAlert",
    "RiskAlertState",
    "RiskResponse",
    "RiskRules",
    "Timeliness",
    "age_receivables",
    "announce_alerts",
    "assess_credit",
    "collection_timeliness",
    "credit_review",
    "days_overdue_on",
    "dso",
    "emit_alerts",
    "evaluate_risk",
    "exposure",
    "group_by_customer",
    "latest_profiles",
    "outstanding_on",
]
