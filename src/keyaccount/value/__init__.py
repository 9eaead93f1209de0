"""Customer value (客户价值分析): RFM, historical value, pyramid, concentration, predicted CLV.

API (every result is a frozen attrs record in the currency ``rates.base``; per-customer
records keep amounts as ``Decimal`` fields plus ``currency``, with ``Money`` properties, so a
100k-customer book does not build hundreds of thousands of ``Money`` objects)::

    # one pass over the book → per-customer facts (no per-customer store queries)
    facts = facts_from_store(store, clock, rates, window_days=365)          # -> BookFacts
    # ...or, when the caller already grouped transactions once for several analyses:
    grouped = group_transactions(store.query(Transaction))   # {customer_id: [Transaction]}
    facts = collect_facts(grouped, as_of=clock.now(), rates=rates, window_days=365,
                          customer_ids=all_customer_ids)      # customers without orders too
    facts.customers: tuple[CustomerFacts, ...]   # orders, order_days, refunds, window_orders,
        # first_order_on, last_order_on, last_order_at, revenue, gross_profit,
        # window_revenue, window_gross_profit, repeat_revenue (Decimal, net of refunds)

    score_rfm(facts, bins=5)                  -> RfmResult(scores: RfmScore(r, f, m, code,
                                                 recency_days, frequency, monetary_amount))
    historical_values(facts)                  -> {customer_id: Money gross profit to date}
    build_pyramid(facts, PyramidCuts())       -> PyramidResult(entries: PyramidEntry(layer, rank,
                                                 gross_profit_amount),
                                                 layers: LayerSummary(strategy, label_zh))
    revenue_concentration(facts, (1, 5, 10))  -> ConcentrationResult(top: TopShare, hhi)
    predict_lifetime_value(facts, ClvConfig())-> LifetimeValueResult(method, reason,
                                                 predictions: CustomerLifetimeValue(p_alive,
                                                 expected_purchases, clv_amount, ...))

    analyse_facts(facts, ValueConfig())       -> ValueReport (all of the above)
    analyse_value(store, clock, rates)        -> ValueReport

Refunds are netted into revenue and profit and never count as orders; transactions after
``clock.now()`` are ignored. Lifetime-value fitting uses numpy/scipy from the optional extra
``keyaccount[clv]``; without it (or with a small book) the cohort-average method is used and
``LifetimeValueResult.method``/``reason`` say so. See ``docs/value.md``.
"""

from keyaccount.value.clv_models import (
    BgNbdParams,
    ClvExtraMissing,
    FitFailed,
    GammaGammaParams,
    clv_extra_available,
)
from keyaccount.value.concentration import ConcentrationResult, TopShare, revenue_concentration
from keyaccount.value.facts import (
    BookFacts,
    CustomerFacts,
    collect_facts,
    facts_from_store,
    group_transactions,
    summarise_customer,
)
from keyaccount.value.lifetime import (
    ClvConfig,
    ClvMethod,
    CohortAverages,
    CustomerLifetimeValue,
    LifetimeValueResult,
    predict_lifetime_value,
)
from keyaccount.value.pyramid import (
    LAYER_LABELS_ZH,
    LAYER_STRATEGY,
    LAYER_STRATEGY_ZH,
    LayerSummary,
    PyramidCuts,
    PyramidEntry,
    PyramidLayer,
    PyramidResult,
    build_pyramid,
    historical_values,
)
from keyaccount.value.report import ValueConfig, ValueReport, analyse_facts, analyse_value
from keyaccount.value.rfm import RfmResult, RfmScore, mid_rank_scores, score_rfm

__all__ = [
    "LAYER_LABELS_ZH",
    "LAYER_STRATEGY",
    "LAYER_STRATEGY_ZH",
    "BgNbdParams",
    "BookFacts",
    "ClvConfig",
    "ClvExtraMissing",
    "ClvMethod",
    "CohortAverages",
    "ConcentrationResult",
    "CustomerFacts",
    "CustomerLifetimeValue",
    "FitFailed",
    "GammaGammaParams",
    "LayerSummary",
    "LifetimeValueResult",
    "PyramidCuts",
    "PyramidEntry",
    "PyramidLayer",
    "PyramidResult",
    "RfmResult",
    "RfmScore",
    "TopShare",
    "ValueConfig",
    "ValueReport",
    "analyse_facts",
    "analyse_value",
    "build_pyramid",
    "clv_extra_available",
    "collect_facts",
    "facts_from_store",
    "group_transactions",
    "historical_values",
    "mid_rank_scores",
    "predict_lifetime_value",
    "revenue_concentration",
    "score_rfm",
    "summarise_customer",
]
