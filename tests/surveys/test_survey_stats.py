from __future__ import annotations

from datetime import UTC, datetime

import pytest

from keyaccount.errors import ValidationError
from keyaccount.models import Customer, SurveyResponse
from keyaccount.surveys import csat_estimate, nps_estimate, satisfaction_report


def test_nps_balanced_sample() -> None:
    # 3 promoters, 2 passives, 3 detractors of 8: p = d = 0.375, NPS 0.
    # Var = (0.375 + 0.375 - 0²) / 8 = 0.09375; margin = 100 · 1.96 · √0.09375 = 60.0125.
    est = nps_estimate([10, 10, 9, 8, 7, 6, 3, 0])
    assert (est.n, est.promoters, est.passives, est.detractors) == (8, 3, 2, 3)
    assert est.nps == 0
    assert est.margin == pytest.approx(60.0125, abs=1e-4)
    assert est.low == pytest.approx(-60.0125, abs=1e-4)


def test_nps_no_detractors() -> None:
    # p = 0.8, d = 0: NPS 80; Var = (0.8 - 0.64) / 5 = 0.032; margin = 196 · √0.032 = 35.0615.
    est = nps_estimate([10, 9, 9, 10, 8])
    assert est.nps == pytest.approx(80)
    assert est.margin == pytest.approx(35.0615, abs=1e-4)
    assert est.high == 100.0  # clipped at the top of the scale


def test_nps_all_detractors_and_empty() -> None:
    est = nps_estimate([0, 6, 5])
    assert est.nps == -100
    assert est.margin == 0
    empty = nps_estimate([])
    assert (empty.n, empty.nps, empty.margin, empty.low) == (0, None, None, None)


def test_nps_z_is_configurable() -> None:
    # 90% confidence: z = 1.645.
    est = nps_estimate([10, 10, 9, 8, 7, 6, 3, 0], z=1.645)
    assert est.margin == pytest.approx(164.5 * 0.09375**0.5)


def test_nps_rejects_out_of_range() -> None:
    with pytest.raises(ValidationError, match="0-10"):
        nps_estimate([11])


def test_csat_wilson_interval() -> None:
    # 8 of 10 top-2-box. Wilson: centre = (0.8 + 3.8416/20) / 1.38416 = 0.716738,
    # half = 1.96 · √(0.016 + 0.009604) / 1.38416 = 0.226578 → [49.016, 94.332].
    est = csat_estimate([5, 5, 4, 4, 4, 5, 4, 4, 2, 3])
    assert (est.n, est.satisfied, est.csat, est.mean) == (10, 8, 80.0, 4.0)
    assert est.low == pytest.approx(49.0157, abs=1e-3)
    assert est.high == pytest.approx(94.3319, abs=1e-3)
    assert est.margin == pytest.approx((94.3319 - 49.0157) / 2, abs=1e-3)


def test_csat_all_satisfied_keeps_a_real_interval() -> None:
    # p = 1: Wilson lower bound n / (n + z²) = 3 / 6.8416 = 43.849%.
    est = csat_estimate([5, 5, 5])
    assert est.csat == 100
    assert est.low == pytest.approx(43.849, abs=1e-3)
    assert est.high == 100


def test_csat_empty_and_bad() -> None:
    assert csat_estimate([]).csat is None
    with pytest.raises(ValidationError, match="1-5"):
        csat_estimate([0])


def _r(rid, customer, nps, csat, month):
    return SurveyResponse(
        rid, "s1", customer, datetime(2026, month, 10, tzinfo=UTC), nps=nps, csat=csat
    )


@pytest.fixture
def answered(store):
    created = datetime(2020, 1, 1, tzinfo=UTC)
    store.put_many(
        [
            Customer("c1", "One", created, tier="A", owner_id="u_li"),
            Customer("c2", "Two", created, tier="A", owner_id="u_wang"),
            Customer("c3", "Three", created, tier="B", owner_id="u_li"),
            Customer("c4", "Four", created),
            _r("r1", "c1", 10, 5, 4),
            _r("r2", "c1", 9, 4, 5),
            _r("r3", "c2", 3, 2, 5),
            _r("r4", "c3", 8, 4, 6),
            _r("r5", "c3", None, 5, 6),
            _r("r6", "c4", 0, None, 6),
            _r("r7", "c1", 10, 5, 7),  # outside the period
        ]
    )
    return store


Q2 = (datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))


def test_report_overall(answered) -> None:
    (row,) = satisfaction_report(answered, *Q2)
    assert row.group == "all"
    assert (row.nps.n, row.nps.promoters, row.nps.detractors) == (5, 2, 2)
    assert row.nps.nps == 0
    assert (row.csat.n, row.csat.satisfied) == (5, 4)


def test_report_by_tier(answered) -> None:
    rows = {r.group: r for r in satisfaction_report(answered, *Q2, by="tier")}
    assert set(rows) == {"A", "B", "(none)"}
    assert rows["A"].nps.nps == pytest.approx(100 * (2 - 1) / 3)
    assert rows["B"].nps.passives == 1
    assert rows["(none)"].nps.nps == -100
    assert rows["(none)"].csat.csat is None


def test_report_by_manager_and_customer(answered) -> None:
    by_manager = {r.group: r for r in satisfaction_report(answered, *Q2, by="manager")}
    assert by_manager["u_li"].csat.n == 4
    assert by_manager["u_wang"].csat.csat == 0
    by_customer = [r.group for r in satisfaction_report(answered, *Q2, by="customer")]
    assert by_customer == ["c1", "c2", "c3", "c4"]


def test_report_by_period(answered) -> None:
    months = {r.group: r.nps.n for r in satisfaction_report(answered, *Q2, by="month")}
    assert months == {"2026-04": 1, "2026-05": 2, "2026-06": 2}
    year = (datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC))
    quarters = {r.group: r.csat.n for r in satisfaction_report(answered, *year, by="quarter")}
    assert quarters == {"2026-Q2": 5, "2026-Q3": 1}


def test_report_filters_by_survey(answered) -> None:
    assert satisfaction_report(answered, *Q2, survey_id="other") == []


def test_report_arguments_checked(answered) -> None:
    with pytest.raises(ValidationError, match=r"satisfaction_report\.by"):
        satisfaction_report(answered, *Q2, by="region")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match=r"satisfaction_report\.end"):
        satisfaction_report(answered, Q2[1], Q2[0])
