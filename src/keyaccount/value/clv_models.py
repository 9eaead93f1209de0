"""BG/NBD and Gamma-Gamma models, fitted by maximum likelihood (needs ``keyaccount[clv]``).

Implemented from the published formulas:

- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way: an alternative
  to the Pareto/NBD model", Marketing Science 24(2) — likelihood (eq. 6), P(alive) (eq. 11)
  and the conditional expectation E[Y(t) | x, t_x, T] (eq. 10).
- Gamma-Gamma: Fader & Hardie (2013), "The Gamma-Gamma model of monetary value" — the
  likelihood of a customer's average spend and its conditional expectation (eq. 5).

numpy and scipy are imported inside the functions, so importing :mod:`keyaccount.value` never
needs them; calling a function here without them raises :class:`ClvExtraMissing`.

Inputs are per-customer arrays: ``x`` repeat purchase occasions, ``t_x`` time of the last
occasion and ``T`` time since the first, both measured from the first purchase in any one
time unit (the fitted ``alpha`` and ``gamma`` are in that unit and currency). ``weights``
lets identical customers be passed once with a count.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

import attrs

from keyaccount.errors import KeyaccountError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Array = npt.NDArray[np.float64]


class ClvExtraMissing(KeyaccountError, ImportError):
    """numpy/scipy are not installed; lifetime-value model fitting needs the ``clv`` extra."""

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"fitting lifetime-value models needs numpy and scipy ({missing} is missing); "
            "install them with: pip install 'keyaccount[clv]'"
        )


# The search runs on log-parameters within ±12. Data are first rescaled (times by their mean
# T, spend by its mean) so scale parameters are near 1; then a parameter beyond e^±9
# (1.2e-4 … 8.1e3) means it ran off towards 0 or infinity: a degenerate fit.
SEARCH_LOG_BOUND = 12.0
A_NEAR_ONE = 1e-7
DEGENERATE_LOG_PARAMETER = 9.0


class FitFailed(KeyaccountError, ArithmeticError):
    """The optimiser did not reach a usable maximum of the likelihood."""


def _modules() -> tuple[ModuleType, ModuleType, ModuleType]:
    try:
        import numpy
    except ImportError:
        raise ClvExtraMissing("numpy") from None
    try:
        from scipy import optimize, special  # type: ignore[import-untyped]
    except ImportError:
        raise ClvExtraMissing("scipy") from None
    return numpy, optimize, special


def clv_extra_available() -> bool:
    """Whether numpy and scipy can be imported (the ``keyaccount[clv]`` extra)."""
    try:
        _modules()
    except ClvExtraMissing:
        return False
    return True


@attrs.frozen
class BgNbdParams:
    """Purchase rate ~ Gamma(r, alpha); dropout probability after a purchase ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int


@attrs.frozen
class GammaGammaParams:
    """Spend per transaction ~ Gamma(p, nu), nu ~ Gamma(q, gamma) across customers."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int

    @property
    def mean_spend(self) -> float:
        """Population mean spend per transaction, ``p * gamma / (q - 1)`` (finite if q > 1)."""
        return self.p * self.gamma / (self.q - 1) if self.q > 1 else math.inf


def _arrays(*columns: Any) -> list[Array]:
    np, _, _ = _modules()
    out = [np.asarray(c, dtype=np.float64) for c in columns]
    n = out[0].shape
    if any(c.shape != n or c.ndim != 1 for c in out):
        raise ValueError("per-customer inputs must be one-dimensional and of equal length")
    return out


def bgnbd_log_likelihood(
    params: tuple[float, float, float, float], x: Any, t_x: Any, T: Any
) -> Array:
    """Per-customer log-likelihood of BG/NBD parameters ``(r, alpha, a, b)`` (FHL eq. 6)."""
    np, _, special = _modules()
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params
    return _bgnbd_ll(np, special, r, alpha, a, b, x, t_x, T)


def _bgnbd_ll(
    np: Any,
    special: Any,
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: Any,
    t_x: Any,
    T: Any,
    distinct: tuple[Any, Any] | None = None,
) -> Array:
    betaln, gammaln = special.betaln, special.gammaln
    # x takes few distinct values (whole purchase counts), so the special functions are
    # evaluated once per distinct x and spread to the rows by index: most of the cost.
    xs, at = distinct if distinct is not None else _distinct(np, x)
    repeat = xs > 0
    beta_ab = betaln(a, b)
    head = gammaln(r + xs) - gammaln(r) + r * math.log(alpha)
    survive = betaln(a, b + xs) - beta_ab
    # The dropout term exists only after a repeat purchase; x = 0 gets a harmless placeholder
    # argument and -inf so logaddexp ignores it.
    dropped = np.where(repeat, betaln(a + 1, np.where(repeat, b + xs - 1, 1.0)) - beta_ab, -np.inf)
    rx = r + x
    result: Array = head[at] + np.logaddexp(
        survive[at] - rx * np.log(alpha + T), dropped[at] - rx * np.log(alpha + t_x)
    )
    return result


def _wsum(w: Any, values: Any) -> float:
    # Elementwise rather than np.dot: a BLAS dot may start threads, which on a busy machine
    # turned a 100k-element sum from microseconds into tens of milliseconds.
    return float((w * values).sum())


def _distinct(np: Any, x: Any) -> tuple[Any, Any]:
    values, index = np.unique(x, return_inverse=True)
    return values, index.reshape(-1)


def _bgnbd_gradient(
    np: Any,
    special: Any,
    theta: Array,
    x: Any,
    t_x: Any,
    T: Any,
    w: Any,
    distinct: tuple[Any, Any],
) -> tuple[float, Array]:
    """Weighted log-likelihood and its gradient in log-parameters (for L-BFGS-B).

    With S and D the two terms of the likelihood (survived / dropped after the last
    purchase) and their shares wS = e^S / (e^S + e^D), wD = 1 - wS, differentiating eq. 6:
    d/dr = psi(r+x) - psi(r) + ln alpha - wS ln(alpha+T) - wD ln(alpha+t_x);
    d/dalpha = r/alpha - (r+x) (wS/(alpha+T) + wD/(alpha+t_x));
    d/da = wS psi(a) + wD psi(a+1) - psi(a+b+x) - psi(a) + psi(a+b);
    d/db = wS psi(b+x) + wD psi(b+x-1) - psi(a+b+x) - psi(b) + psi(a+b).
    """
    r, alpha, a, b = np.exp(theta)
    betaln, gammaln, psi = special.betaln, special.gammaln, special.digamma
    xs, at = distinct
    repeat = xs > 0
    beta_ab = betaln(a, b)
    head = (gammaln(r + xs) - gammaln(r) + r * math.log(alpha))[at]
    survive_x = (betaln(a, b + xs) - beta_ab)[at]
    dropped_x = np.where(
        repeat, betaln(a + 1, np.where(repeat, b + xs - 1, 1.0)) - beta_ab, -np.inf
    )[at]
    rx = r + x
    log_alpha_T = np.log(alpha + T)
    log_alpha_tx = np.log(alpha + t_x)
    survive = survive_x - rx * log_alpha_T
    dropped = dropped_x - rx * log_alpha_tx
    total = np.logaddexp(survive, dropped)
    ll = _wsum(w, head + total)
    # Shares below e^-700 are clipped there: exponents between -708 and -745 give subnormal
    # floats, which make every later operation on the array many times slower.
    w_s = np.exp(np.maximum(survive - total, -700.0))
    w_d = np.exp(np.maximum(dropped - total, -700.0))
    psi_abx = psi(a + b + xs)[at]
    d_r = (psi(r + xs) - psi(r))[at] + math.log(alpha) - w_s * log_alpha_T - w_d * log_alpha_tx
    d_alpha = r / alpha - rx * (w_s / (alpha + T) + w_d / (alpha + t_x))
    d_a = w_s * psi(a) + w_d * psi(a + 1) - psi_abx - psi(a) + psi(a + b)
    psi_bx1 = np.where(repeat, psi(np.where(repeat, b + xs - 1, 1.0)), 0.0)[at]
    d_b = w_s * psi(b + xs)[at] + w_d * psi_bx1 - psi_abx - psi(b) + psi(a + b)
    grad = np.array([_wsum(w, d) for d in (d_r, d_alpha, d_a, d_b)]) * np.array([r, alpha, a, b])
    return ll, grad


def _gg_gradient(
    np: Any,
    special: Any,
    theta: Array,
    x: Any,
    zbar: Any,
    w: Any,
    distinct: tuple[Any, Any],
) -> tuple[float, Array]:
    """Weighted Gamma-Gamma log-likelihood and its gradient in log-parameters:
    d/dp = x (psi(px+q) - psi(px) + ln zbar + ln x - ln(gamma + x zbar));
    d/dq = psi(px+q) - psi(q) + ln gamma - ln(gamma + x zbar);
    d/dgamma = q/gamma - (px+q)/(gamma + x zbar).
    """
    p, q, gamma = np.exp(theta)
    psi = special.digamma
    xs, at = distinct
    ll = _wsum(w, _gg_ll(np, special, p, q, gamma, x, zbar, distinct))
    psi_pxq = psi(p * xs + q)[at]
    log_mix = np.log(gamma + x * zbar)
    d_p = x * (psi_pxq - psi(p * xs)[at] + np.log(zbar) + np.log(x) - log_mix)
    d_q = psi_pxq - psi(q) + math.log(gamma) - log_mix
    d_gamma = q / gamma - (p * x + q) / (gamma + x * zbar)
    grad = np.array([_wsum(w, d) for d in (d_p, d_q, d_gamma)]) * np.array([p, q, gamma])
    return ll, grad


@contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run the block with BLAS on one thread, then restore the previous setting.

    L-BFGS-B solves 4x4 systems through BLAS/LAPACK; OpenBLAS wakes its thread pool for them
    and the woken threads spin, which doubled the CPU time of a fit (10k customers: 0.48 ->
    0.24 s) and takes a core from whatever else runs. Results are the same: nothing this
    small is split between threads. threadpoolctl (part of the ``clv`` extra) finds and sets
    every loaded BLAS; without it the fit simply runs with the default.
    """
    try:
        from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _minimise(
    np: Any,
    optimize: Any,
    objective: Any,
    start: Array,
    names: tuple[str, ...],
) -> Array:
    """Minimise ``objective(theta) -> (value, gradient)`` over log-parameters."""
    bounds = [(-SEARCH_LOG_BOUND, SEARCH_LOG_BOUND)] * len(start)
    options = {"ftol": 1e-12, "gtol": 1e-8, "maxiter": 2_000}

    def converged(result: Any) -> bool:
        # L-BFGS-B can end on "abnormal termination in line search" when it is already at the
        # optimum and rounding stops progress; a near-zero gradient is convergence too.
        if not np.isfinite(result.fun):
            return False
        return bool(result.success) or float(np.max(np.abs(result.jac))) < 1e-6

    with _one_blas_thread():
        best = optimize.minimize(
            objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options=options
        )
        if not converged(best):
            # A poor start can send quasi-Newton steps into overflow; a capped simplex run
            # finds the basin and the gradient method finishes from there.
            rough = optimize.minimize(
                lambda th: objective(th)[0],
                start,
                method="Nelder-Mead",
                options={"xatol": 1e-4, "fatol": 1e-9, "maxfev": 2_000},
            )
            best = optimize.minimize(
                objective, rough.x, jac=True, method="L-BFGS-B", bounds=bounds, options=options
            )
    if not np.isfinite(best.fun) or not np.all(np.isfinite(best.x)):
        raise FitFailed(f"no finite maximum of the likelihood for ({', '.join(names)})")
    if np.any(np.abs(best.x) > DEGENERATE_LOG_PARAMETER):
        # A parameter running off towards 0 or infinity means the data do not identify the
        # model (e.g. nobody ever lapses), and its predictions would not be trustworthy.
        found = ", ".join(f"{n}={v:.3g}" for n, v in zip(names, np.exp(best.x), strict=True))
        raise FitFailed(f"parameters ran off to a boundary ({found}, on rescaled data)")
    result: Array = np.exp(best.x)
    return result


def fit_bgnbd(x: Any, t_x: Any, T: Any, weights: Any | None = None) -> BgNbdParams:
    """Maximum-likelihood BG/NBD parameters for the customers described by ``x, t_x, T``."""
    np, optimize, special = _modules()
    x, t_x, T = _arrays(x, t_x, T)
    w = np.ones_like(x) if weights is None else _arrays(weights)[0]
    if x.size == 0:
        raise FitFailed("no customers to fit")
    if np.any(x < 0) or np.any(t_x < 0) or np.any(t_x > T) or np.any((x > 0) & (t_x <= 0)):
        raise ValueError("need x >= 0 and 0 <= t_x <= T, with t_x > 0 whenever x > 0")
    total = float(w.sum())
    distinct = _distinct(np, x)
    # alpha is in the time unit; fitting on times over their mean keeps it near 1.
    scale = _wsum(w, T) / total or 1.0
    t_x_s, T_s = t_x / scale, T / scale

    def objective(theta: Array) -> tuple[float, Array]:
        ll, grad = _bgnbd_gradient(np, special, theta, x, t_x_s, T_s, w, distinct)
        if not math.isfinite(ll) or not np.all(np.isfinite(grad)):
            return math.inf, np.zeros_like(theta)
        return -ll / total, -grad / total

    r, alpha_s, a, b = _minimise(
        np, optimize, objective, np.zeros(4), ("r", "alpha/mean T", "a", "b")
    )
    alpha = alpha_s * scale
    ll = _wsum(w, _bgnbd_ll(np, special, r, alpha, a, b, x, t_x, T, distinct))
    return BgNbdParams(
        r=float(r),
        alpha=float(alpha),
        a=float(a),
        b=float(b),
        log_likelihood=ll,
        customers=round(total),
    )


def bgnbd_p_alive(params: BgNbdParams, x: Any, t_x: Any, T: Any) -> Array:
    """P(the customer is still active at T | x, t_x, T) (FHL eq. 11)."""
    np, _, special = _modules()
    x, t_x, T = _arrays(x, t_x, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    repeat = x > 0
    log_odds = (
        math.log(a)
        - np.log(np.where(repeat, b + x - 1, 1.0))
        + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    )
    # 1 / (1 + e^z) written as expit(-z) so large odds do not overflow.
    result: Array = np.where(repeat, special.expit(-log_odds), 1.0)
    return result


def bgnbd_expected_purchases(params: BgNbdParams, t: float, x: Any, t_x: Any, T: Any) -> Array:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL eq. 10); ``t`` in the model's time unit."""
    np, _, special = _modules()
    x, t_x, T = _arrays(x, t_x, T)
    if t <= 0:
        result: Array = np.zeros_like(x)
        return result
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1) < A_NEAR_ONE:
        # a = 1 is a removable singularity of eq. 10 (both factors vanish); the expectation is
        # continuous in a, so evaluate just beside it.
        a = 1 + A_NEAR_ONE
    repeat = x > 0
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(r + x, b + x, a + b + x - 1, z)
    ratio = np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t)))
    numerator = (a + b + x - 1) / (a - 1) * (1 - ratio * hyp)
    odds = np.where(
        repeat,
        a
        / np.where(repeat, b + x - 1, 1.0)
        * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x))),
        0.0,
    )
    result = numerator / (1 + odds)
    if not np.all(np.isfinite(result)):
        raise FitFailed("the BG/NBD conditional expectation is not finite for these parameters")
    return result


def gamma_gamma_log_likelihood(params: tuple[float, float, float], x: Any, zbar: Any) -> Array:
    """Per-customer log-likelihood of Gamma-Gamma ``(p, q, gamma)`` for average spend ``zbar``
    over ``x`` transactions (Fader & Hardie 2013); needs ``x > 0`` and ``zbar > 0``."""
    np, _, special = _modules()
    x, zbar = _arrays(x, zbar)
    p, q, gamma = params
    return _gg_ll(np, special, p, q, gamma, x, zbar)


def _gg_ll(
    np: Any,
    special: Any,
    p: float,
    q: float,
    gamma: float,
    x: Any,
    zbar: Any,
    distinct: tuple[Any, Any] | None = None,
) -> Array:
    gammaln = special.gammaln
    xs, at = distinct if distinct is not None else _distinct(np, x)
    pxs = p * xs
    per_x = gammaln(pxs + q) - gammaln(pxs) + pxs * np.log(xs)
    px = p * x
    result: Array = (
        per_x[at]
        - gammaln(q)
        + q * math.log(gamma)
        + (px - 1) * np.log(zbar)
        - (px + q) * np.log(gamma + x * zbar)
    )
    return result


def fit_gamma_gamma(x: Any, zbar: Any, weights: Any | None = None) -> GammaGammaParams:
    """Maximum-likelihood Gamma-Gamma parameters from repeat customers' average spend."""
    np, optimize, special = _modules()
    x, zbar = _arrays(x, zbar)
    w = np.ones_like(x) if weights is None else _arrays(weights)[0]
    if x.size == 0:
        raise FitFailed("no repeat customers to fit")
    if np.any(x <= 0) or np.any(zbar <= 0):
        raise ValueError("Gamma-Gamma needs x > 0 and a positive average spend for every row")
    total = float(w.sum())
    distinct = _distinct(np, x)
    # gamma is in the currency; fitting on spend over its mean keeps it near 1 whether the
    # book sells in yuan or in millions of yuan.
    scale = _wsum(w, zbar) / total
    zbar_s = zbar / scale

    def objective(theta: Array) -> tuple[float, Array]:
        ll, grad = _gg_gradient(np, special, theta, x, zbar_s, w, distinct)
        if not math.isfinite(ll) or not np.all(np.isfinite(grad)):
            return math.inf, np.zeros_like(theta)
        return -ll / total, -grad / total

    p, q, gamma_s = _minimise(np, optimize, objective, np.zeros(3), ("p", "q", "gamma/mean"))
    gamma = gamma_s * scale
    ll = _wsum(w, _gg_ll(np, special, p, q, gamma, x, zbar, distinct))
    return GammaGammaParams(
        p=float(p),
        q=float(q),
        gamma=float(gamma),
        log_likelihood=ll,
        customers=round(total),
    )


def gamma_gamma_expected_spend(params: GammaGammaParams, x: Any, zbar: Any) -> Array:
    """E[spend per transaction | x, zbar] = p (gamma + x zbar) / (p x + q - 1) (FH 2013 eq. 5).

    Customers with ``x = 0`` get the population mean; ``zbar`` below zero is treated as zero.
    """
    np, _, _ = _modules()
    x, zbar = _arrays(x, zbar)
    if params.q <= 1:
        raise FitFailed(f"Gamma-Gamma q = {params.q:.4g} <= 1: the mean spend is infinite")
    zbar = np.maximum(zbar, 0.0)
    result: Array = params.p * (params.gamma + x * zbar) / (params.p * x + params.q - 1)
    return result
