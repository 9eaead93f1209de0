"""The model formulas against direct, independent evaluations of the published expressions."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("scipy")

from keyaccount.value.clv_models import (
    BgNbdParams,
    FitFailed,
    GammaGammaParams,
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    bgnbd_p_alive,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma_expected_spend,
    gamma_gamma_log_likelihood,
)

PARAMS = BgNbdParams(r=0.5, alpha=4.0, a=0.8, b=2.5, log_likelihood=0.0, customers=0)


def beta(x: float, y: float) -> float:
    return math.gamma(x) * math.gamma(y) / math.gamma(x + y)


def direct_likelihood(x: int, t_x: float, T: float) -> float:
    r, alpha, a, b = 0.5, 4.0, 0.8, 2.5
    common = math.gamma(r + x) * alpha**r / math.gamma(r)
    value = beta(a, b + x) / beta(a, b) * common / (alpha + T) ** (r + x)
    if x > 0:
        value += beta(a + 1, b + x - 1) / beta(a, b) * common / (alpha + t_x) ** (r + x)
    return value


@pytest.mark.parametrize(("x", "t_x", "T"), [(0, 0.0, 20.0), (1, 5.0, 20.0), (4, 18.5, 30.0)])
def test_bgnbd_likelihood_matches_the_formula(x: int, t_x: float, T: float) -> None:
    ll = bgnbd_log_likelihood((0.5, 4.0, 0.8, 2.5), [x], [t_x], [T])[0]
    assert ll == pytest.approx(math.log(direct_likelihood(x, t_x, T)), rel=1e-10)


def test_p_alive_by_hand() -> None:
    # 1 / (1 + a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)) with x=2, t_x=10, T=20.
    odds = 0.8 / 3.5 * (24 / 14) ** 2.5
    assert bgnbd_p_alive(PARAMS, [2], [10], [20])[0] == pytest.approx(1 / (1 + odds))
    assert bgnbd_p_alive(PARAMS, [0], [0], [20])[0] == 1


def test_expected_purchases_grow_with_time_from_zero() -> None:
    values = [bgnbd_expected_purchases(PARAMS, t, [3], [15], [20])[0] for t in (0, 1, 10, 50)]
    assert values[0] == 0
    assert values == sorted(values)
    assert values[1] > 0


def test_expected_purchases_of_a_one_time_buyer_by_series() -> None:
    # For x = 0 the expectation is (a+b-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^r 2F1(...)];
    # evaluate the hypergeometric series directly.
    r, alpha, a, b, T, t = 0.5, 4.0, 0.8, 2.5, 20.0, 10.0
    z = t / (alpha + T + t)
    term, series = 1.0, 1.0
    for n in range(200):
        term *= (r + n) * (b + n) / ((a + b - 1 + n) * (n + 1)) * z
        series += term
    expected = (a + b - 1) / (a - 1) * (1 - ((alpha + T) / (alpha + T + t)) ** r * series)
    assert bgnbd_expected_purchases(PARAMS, t, [0], [0], [T])[0] == pytest.approx(expected)


def test_very_frequent_buyers_stay_finite() -> None:
    value = bgnbd_expected_purchases(PARAMS, 52, [400], [99], [100])[0]
    assert math.isfinite(value)
    assert value > 100


def test_gamma_gamma_by_hand() -> None:
    params = GammaGammaParams(p=6, q=4, gamma=15, log_likelihood=0, customers=0)
    # p (gamma + x zbar) / (p x + q - 1) = 6 * (15 + 40) / 15
    assert gamma_gamma_expected_spend(params, [2], [20])[0] == pytest.approx(22.0)
    assert gamma_gamma_expected_spend(params, [0], [0])[0] == pytest.approx(params.mean_spend)
    assert params.mean_spend == pytest.approx(30.0)
    # A repeat spend below zero (refunds) is treated as zero.
    assert gamma_gamma_expected_spend(params, [2], [-5])[0] == pytest.approx(6 * 15 / 15)
    p, q, g, x, z = 6.0, 4.0, 15.0, 2.0, 20.0
    direct = (
        math.lgamma(p * x + q)
        - math.lgamma(p * x)
        - math.lgamma(q)
        + q * math.log(g)
        + (p * x - 1) * math.log(z)
        + p * x * math.log(x)
        - (p * x + q) * math.log(g + x * z)
    )
    assert gamma_gamma_log_likelihood((p, q, g), [x], [z])[0] == pytest.approx(direct)


def test_gamma_gamma_with_infinite_mean_is_refused() -> None:
    params = GammaGammaParams(p=2, q=0.9, gamma=10, log_likelihood=0, customers=0)
    with pytest.raises(FitFailed, match=r"q = 0\.9"):
        gamma_gamma_expected_spend(params, [1], [10])


def test_inputs_are_checked() -> None:
    with pytest.raises(ValueError, match="t_x <= T"):
        fit_bgnbd([1], [5], [4])
    with pytest.raises(ValueError, match="positive average spend"):
        fit_gamma_gamma([1, 2], [10, 0])
    with pytest.raises(FitFailed, match="no customers"):
        fit_bgnbd([], [], [])
    with pytest.raises(ValueError, match="equal length"):
        fit_bgnbd([1, 2], [1], [3, 4])


def test_weights_equal_repeated_rows() -> None:
    x, t_x, T = [0, 1, 3, 2, 0], [0, 4, 9, 6, 0], [10, 12, 15, 9, 7]
    counts = [5, 3, 1, 2, 4]
    expand = [(a, b, c) for a, b, c, k in zip(x, t_x, T, counts, strict=True) for _ in range(k)]
    weighted = fit_bgnbd(x, t_x, T, weights=counts)
    repeated = fit_bgnbd(*zip(*expand, strict=True))
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-6)
    assert weighted.customers == repeated.customers == 15
