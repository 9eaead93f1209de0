"""The KPI catalogue (绩效考核指标): code, names in Chinese and English, formula and unit."""

from __future__ import annotations

from collections.abc import Mapping

import attrs


@attrs.frozen
class KpiDefinition:
    code: str
    zh: str
    en: str
    formula: str
    unit: str  # "%" (a ratio shown as a percentage), "score" or "count"


_DEFS = (
    KpiDefinition(
        "retention_rate",
        "客户保留率",
        "Retention rate",
        "customers buying in both the previous and this period / customers buying in the "
        "previous period",
        "%",
    ),
    KpiDefinition(
        "churn_rate",
        "客户流失率",
        "Churn rate",
        "customers buying in the previous period but not in this one / customers buying in the "
        "previous period (= 1 - retention rate)",
        "%",
    ),
    KpiDefinition(
        "customer_growth",
        "客户增长率",
        "Customer growth",
        "(buying customers this period - buying customers previous period) / buying customers "
        "previous period",
        "%",
    ),
    KpiDefinition(
        "new_customers",
        "新增客户数",
        "New customers",
        "customers created in the period",
        "count",
    ),
    KpiDefinition(
        "revenue_growth",
        "收入增长率",
        "Revenue growth",
        "(revenue this period - revenue previous period) / revenue previous period; revenue "
        "= orders + refunds (negative) by occurred_at, in the reporting currency",
        "%",
    ),
    KpiDefinition(
        "collection_timeliness",
        "收款及时率",
        "Collection timeliness",
        "money paid on or before due date / money due, over receivables due in the period "
        "(and before the review date)",
        "%",
    ),
    KpiDefinition(
        "collection_timeliness_count",
        "收款及时率(笔数)",
        "Collection timeliness (count)",
        "receivables settled in full on or before due date / receivables due in the period",
        "%",
    ),
    KpiDefinition(
        "csat",
        "客户满意度",
        "Satisfaction (CSAT)",
        "responses rating 4 or 5 on the 1-5 scale / responses with a rating",
        "%",
    ),
    KpiDefinition(
        "nps",
        "净推荐值",
        "NPS",
        "(promoters 9-10 - detractors 0-6) / responses with a 0-10 score × 100",
        "score",
    ),
)

KPI_CATALOGUE: Mapping[str, KpiDefinition] = {d.code: d for d in _DEFS}
