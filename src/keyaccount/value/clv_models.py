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
    np: Any, special: Any, r: float, alpha: float, a: float, b: float, x: Any, t_x: Any, T: Any
) -> Array:
    betaln, gammaln = special.betaln, special.gammaln
    repeat = x > 0
    beta_ab = betaln(a, b)
    head = gammaln(r + x) - gammaln(r) + r * math.log(alpha)
    survive = betaln(a, b + x) - beta_ab - (r + x) * np.log(alpha + T)
    # The dropout term exists only after a repeat purchase; x = 0 rows get a harmless
    # placeholder argument and are masked to -inf so logaddexp ignores them.
    b_dropped = np.where(repeat, b + x - 1, 1.0)
    dropped = betaln(a + 1, b_dropped) - beta_ab - (r + x) * np.log(alpha + t_x)
    dropped = np.where(repeat, dropped, -np.inf)
    result: Array = head + np.logaddexp(survive, dropped)
    return result


def _minimise(
    np: Any, optimize: Any, objective: Any, start: Array, names: tuple[str, ...]
) -> Array:
    # Nelder-Mead on log-parameters is robust from a naive start; BFGS then polishes the
    # optimum so the estimates match published figures to several digits.
    rough = optimize.minimize(
        objective,
        start,
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-11, "maxiter": 20_000, "maxfev": 40_000},
    )
    fine = optimize.minimize(objective, rough.x, method="BFGS", options={"gtol": 1e-8})
    best = fine if fine.fun <= rough.fun and np.all(np.isfinite(fine.x)) else rough
    if not np.isfinite(best.fun) or not np.all(np.isfinite(best.x)) or np.any(np.abs(best.x) > 30):
        raise FitFailed(f"no finite maximum of the likelihood for ({', '.join(names)})")
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

    def objective(theta: Array) -> float:
        r, alpha, a, b = np.exp(theta)
        ll = _bgnbd_ll(np, special, r, alpha, a, b, x, t_x, T)
        value = -float(np.dot(w, ll)) / total
        return value if math.isfinite(value) else math.inf

    r, alpha, a, b = _minimise(np, optimize, objective, np.zeros(4), ("r", "alpha", "a", "b"))
    ll = float(np.dot(w, _bgnbd_ll(np, special, r, alpha, a, b, x, t_x, T)))
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


def _gg_ll(np: Any, special: Any, p: float, q: float, gamma: float, x: Any, zbar: Any) -> Array:
    gammaln = special.gammaln
    px = p * x
    result: Array = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * math.log(gamma)
        + (px - 1) * np.log(zbar)
        + px * np.log(x)
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
    # Start gamma near the mean spend so the simplex begins on the data's scale.
    start = np.array([0.0, 0.0, math.log(float(np.average(zbar, weights=w)))])

    def objective(theta: Array) -> float:
        p, q, gamma = np.exp(theta)
        value = -float(np.dot(w, _gg_ll(np, special, p, q, gamma, x, zbar))) / total
        return value if math.isfinite(value) else math.inf

    p, q, gamma = _minimise(np, optimize, objective, start, ("p", "q", "gamma"))
    ll = float(np.dot(w, _gg_ll(np, special, p, q, gamma, x, zbar)))
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
