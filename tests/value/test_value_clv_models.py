"""The model formulas against direct, independent evaluations of the published expressions."""

from __future__ import annotations

import math
import random
from collections import Counter

import pytest

pytest.importorskip("scipy")

from keyaccount.value.clv_models import (
    BgNbdParams,
    FitFailed,
    GammaGammaParams,
    _bgnbd_gradient,
    _distinct,
    _gg_gradient,
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


def simulate(
    customers: int, seed: int, weeks: float = 30, whole_weeks: bool = True
) -> tuple[list[float], list[float], list[float]]:
    """BG/NBD customers (r=0.5, alpha=4, a=0.8, b=2.5) watched for ``weeks``."""
    rng = random.Random(seed)
    x, t_x, T = [], [], []
    for _ in range(customers):
        lam = rng.gammavariate(0.5, 1 / 4)
        p = rng.betavariate(0.8, 2.5)
        now, last, count = 0.0, 0.0, 0
        while True:
            now += rng.expovariate(lam) if lam > 0 else math.inf
            if now > weeks:
                break
            count, last = count + 1, now
            if rng.random() < p:
                break
        x.append(float(count))
        if whole_weeks:
            last = float(max(math.ceil(last), 1)) if count else 0.0
        t_x.append(last)
        T.append(float(weeks))
    return x, t_x, T


def test_weights_equal_repeated_rows() -> None:
    x, t_x, T = simulate(600, 11)
    rows = Counter(zip(x, t_x, T, strict=True))
    assert len(rows) < 300  # whole weeks make many customers identical
    ux, ut, uT = zip(*rows, strict=True)
    weighted = fit_bgnbd(ux, ut, uT, weights=list(rows.values()))
    repeated = fit_bgnbd(x, t_x, T)
    assert weighted.customers == repeated.customers == 600
    assert weighted.log_likelihood == pytest.approx(repeated.log_likelihood, rel=1e-9)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(weighted, name) == pytest.approx(getattr(repeated, name), rel=1e-4)


def test_analytic_gradients_match_finite_differences() -> None:
    import numpy as np
    from scipy import special

    x, t_x, T = (np.asarray(c) for c in simulate(300, 5))
    w = np.ones_like(x)
    distinct = _distinct(np, x)
    theta = np.log(np.array([0.7, 3.0, 1.2, 2.0]))
    _, grad = _bgnbd_gradient(np, special, theta, x, t_x, T, w, distinct)
    step = 1e-6
    for i in range(4):
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        numeric = (
            _bgnbd_gradient(np, special, up, x, t_x, T, w, distinct)[0]
            - _bgnbd_gradient(np, special, down, x, t_x, T, w, distinct)[0]
        ) / (2 * step)
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6)
    spenders = x > 0
    xs, zbar = x[spenders], 10 + 5 * np.sin(np.arange(spenders.sum())) ** 2
    theta = np.log(np.array([5.0, 3.0, 12.0]))
    gg_distinct = _distinct(np, xs)
    _, grad = _gg_gradient(np, special, theta, xs, zbar, np.ones_like(xs), gg_distinct)
    for i in range(3):
        up, down = theta.copy(), theta.copy()
        up[i] += step
        down[i] -= step
        numeric = (
            _gg_gradient(np, special, up, xs, zbar, np.ones_like(xs), gg_distinct)[0]
            - _gg_gradient(np, special, down, xs, zbar, np.ones_like(xs), gg_distinct)[0]
        ) / (2 * step)
        assert grad[i] == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def test_fit_recovers_simulated_parameters() -> None:
    x, t_x, T = simulate(4000, 3, weeks=78, whole_weeks=False)
    fitted = fit_bgnbd(x, t_x, T)
    assert fitted.r == pytest.approx(0.5, rel=0.2)
    assert fitted.alpha == pytest.approx(4.0, rel=0.3)
    assert fitted.a == pytest.approx(0.8, rel=0.4)
    assert fitted.b == pytest.approx(2.5, rel=0.4)


def test_data_without_lapses_is_a_degenerate_fit() -> None:
    # Everyone buys steadily to the end: the dropout process is not identified (a -> 0).
    x = [float(k % 7 + 1) for k in range(200)]
    T = [40.0] * 200
    t_x = [40.0 - (k % 3) * 0.1 for k in range(200)]
    with pytest.raises(FitFailed, match="boundary"):
        fit_bgnbd(x, t_x, T)


def test_expected_purchases_are_continuous_through_a_equal_one() -> None:
    def at(a: float) -> float:
        params = BgNbdParams(r=0.5, alpha=4.0, a=a, b=2.5, log_likelihood=0.0, customers=0)
        return float(bgnbd_expected_purchases(params, 26, [3], [15], [20])[0])

    assert math.isfinite(at(1.0))
    assert at(1.0) == pytest.approx((at(1 - 1e-4) + at(1 + 1e-4)) / 2, rel=1e-4)


def test_a_fit_runs_blas_on_one_thread_and_restores_it() -> None:
    threadpoolctl = pytest.importorskip("threadpoolctl")
    from keyaccount.value import clv_models

    def blas_threads() -> list[int]:
        return [
            i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"
        ]

    clv_models._modules()  # numpy and scipy loaded, as during a fit
    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = blas_threads()
        if not before:
            pytest.skip("no BLAS library that threadpoolctl can control is loaded")
        with clv_models._one_blas_thread():
            assert set(blas_threads()) == {1}
        assert blas_threads() == before
        with pytest.raises(RuntimeError), clv_models._one_blas_thread():
            raise RuntimeError("boom")
        assert blas_threads() == before
