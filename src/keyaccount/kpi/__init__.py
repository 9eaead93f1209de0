"""KPIs (绩效考核): retention and churn, customer and revenue growth, collection timeliness,
CSAT and NPS per manager, team, tier and period. Formulas: ``docs/kpis.md`` and each
function's docstring in ``keyaccount.kpi.measures``.

API: ``kpi_report(customers, orders_by_customer, receivables_by_customer,
responses_by_customer, *, period, on, rates, tiers=None)`` → ``KpiReport``;
``kpi_series(..., periods=[...])`` → one report per period; ``Period``
(``month``, ``quarter``, ``year``, ``trailing``, ``previous``); ``KPI_CATALOGUE``.
"""

from keyaccount.kpi.catalogue import KPI_CATALOGUE, KpiDefinition
from keyaccount.kpi.measures import (
    KPI_FUNCTIONS,
    KpiFacts,
    KpiValue,
    churn_rate,
    collection_timeliness,
    collection_timeliness_count,
    csat,
    customer_facts,
    customer_growth,
    new_customers,
    nps,
    retention_rate,
    revenue_growth,
    sum_facts,
)
from keyaccount.kpi.period import Period
from keyaccount.kpi.scorecard import (
    UNASSIGNED,
    Dimension,
    KpiReport,
    Scorecard,
    gather_facts,
    group,
    kpi_report,
    kpi_series,
    scorecard,
)

__all__ = [
    "KPI_CATALOGUE",
    "KPI_FUNCTIONS",
    "UNASSIGNED",
    "Dimension",
    "KpiDefinition",
    "KpiFacts",
    "KpiReport",
    "KpiValue",
    "Period",
    "Scorecard",
    "churn_rate",
    "collection_timeliness",
    "collection_timeliness_count",
    "csat",
    "customer_facts",
    "customer_growth",
    "gather_facts",
    "group",
    "kpi_report",
    "kpi_series",
    "new_customers",
    "nps",
    "retention_rate",
    "revenue_growth",
    "scorecard",
    "sum_facts",
]
