"""Customer lifetime value: BG/NBD for the repeat purchases, Gamma-Gamma for the spend per
purchase, fitted by maximum likelihood (pure maths, no Django; docs/analytics.md has the
formulas, the data preparation and the validation on CDNOW).

- BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
  customer buys at Poisson rate λ ~ Gamma(r, α); after each repeat purchase they drop out with
  probability p ~ Beta(a, b). A customer is summarised by x (repeat purchases), t_x (time of the
  last one since the first purchase, 0 when x = 0) and T (time since the first purchase), in one
  unit of time (day or week) chosen by the caller.
- Gamma-Gamma (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): each repeat
  purchase's spend is Gamma(p, ν), ν ~ Gamma(q, γ) per customer; fitted on the repeat buyers'
  mean repeat spend m̄.

Fitting is fast because identical (x, t_x, T) rows are fitted once with a weight (with purchase
dates in whole days most customers share a row), the gradients are analytic, terms depending
only on x are computed once per distinct x, and the sums are ``np.einsum`` dot products, which
keep threaded BLAS out of the loop (on a 2-core machine it made the fit several times slower).

Every function takes per-customer NumPy arrays and returns per-customer arrays, so a caller can
score millions of customers without a Python loop. Data that cannot support a fit raises
:class:`FitError` with a stable ``code`` and an English message; callers translate by code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

try:  # installed with scikit-learn, a dependency of Kesheng; the fit is only slower without it
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

FloatArray = NDArray[np.float64]

# Below this many repeat buyers the dropout and spend parameters are not identified well enough
# to be worth showing (their standard errors exceed the estimates on samples this small).
MIN_REPEAT_BUYERS = 20
DEFAULT_HORIZON_MONTHS = 12
DEFAULT_ANNUAL_DISCOUNT_RATE = 0.10
DAYS_PER_MONTH = 365.25 / 12
# The optimiser's box for the log-parameters, and the point past which an estimate has run
# off to 0 or infinity (e^±18: 1.5e-8 and 6.6e7, far outside any real customer base's values
# in days, weeks or any currency unit): the data do not pin that parameter down.
_LOG_PARAMETER_BOUND = 25.0
_LOG_PARAMETER_RUN_OFF = 18.0

BGNBD_PARAMETERS = ("r", "alpha", "a", "b")
GAMMA_GAMMA_PARAMETERS = ("p", "q", "gamma")
FIT_ERROR_CODES = (
    "invalid_data",
    "no_customers",
    "too_few_repeat_buyers",
    "no_variance",
    "did_not_converge",
    "infinite_mean_spend",
)


class FitError(ValueError):
    """The data cannot support the model (or the model cannot answer): ``code`` is one of
    :data:`FIT_ERROR_CODES`, ``message`` says why in words, ``details`` holds the numbers the
    message mentions so a caller can build a translated message."""

    def __init__(self, code: str, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


# --------------------------------------------------------------------------------------------
# Fitted models


@dataclass(frozen=True)
class BgNbdFit:
    """A fitted BG/NBD model; times are in the unit of the data it was fitted on."""

    r: float
    alpha: float
    a: float
    b: float
    standard_errors: dict[str, float]
    log_likelihood: float
    n_customers: int
    n_repeat_buyers: int
    n_distinct_rows: int
    iterations: int

    @property
    def params(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}

    def to_json(self) -> dict[str, Any]:
        return {
            **self.params,
            "standard_errors": self.standard_errors,
            "log_likelihood": self.log_likelihood,
            "n_customers": self.n_customers,
            "n_repeat_buyers": self.n_repeat_buyers,
        }


@dataclass(frozen=True)
class GammaGammaFit:
    """A fitted Gamma-Gamma spend model (on the repeat buyers only)."""

    p: float
    q: float
    gamma: float
    standard_errors: dict[str, float]
    log_likelihood: float
    n_customers: int
    n_distinct_rows: int
    iterations: int
    # The model assumes spend does not depend on purchase frequency; a large correlation
    # between x and m̄ among the repeat buyers says the assumption is doubtful.
    frequency_spend_correlation: float

    @property
    def params(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "gamma": self.gamma}

    @property
    def mean_spend(self) -> float:
        """The population's expected spend per purchase, pγ/(q − 1) (infinite when q ≤ 1)."""
        return math.inf if self.q <= 1 else self.p * self.gamma / (self.q - 1)

    def to_json(self) -> dict[str, Any]:
        return {
            **self.params,
            "standard_errors": self.standard_errors,
            "log_likelihood": self.log_likelihood,
            "n_customers": self.n_customers,
            "frequency_spend_correlation": self.frequency_spend_correlation,
        }


# --------------------------------------------------------------------------------------------
# Input checks and aggregation


def _as_float_array(name: str, values: ArrayLike) -> FloatArray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise FitError("invalid_data", f"{name} must be a one-dimensional array", field=name)
    if not np.all(np.isfinite(array)):
        raise FitError("invalid_data", f"{name} has missing or infinite values", field=name)
    return array


def _check_summary(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """The (x, t_x, T) arrays as floats, refused when they cannot describe customers."""
    x_array = _as_float_array("x", x)
    t_x_array = _as_float_array("t_x", t_x)
    T_array = _as_float_array("T", T)
    if not (len(x_array) == len(t_x_array) == len(T_array)):
        raise FitError("invalid_data", "x, t_x and T must have the same length")
    if np.any(x_array < 0) or np.any(x_array != np.floor(x_array)):
        raise FitError("invalid_data", "x must be whole numbers of at least 0", field="x")
    if np.any(t_x_array < 0) or np.any(t_x_array > T_array):
        raise FitError("invalid_data", "t_x must lie between 0 and T", field="t_x")
    if np.any((x_array == 0) & (t_x_array != 0)):
        raise FitError("invalid_data", "t_x must be 0 for a customer with x = 0", field="t_x")
    if np.any(T_array <= 0):
        raise FitError("invalid_data", "T must be greater than 0", field="T")
    return x_array, t_x_array, T_array


def _weights(weights: ArrayLike | None, n: int) -> FloatArray:
    if weights is None:
        return np.ones(n)
    array = _as_float_array("weights", weights)
    if len(array) != n or np.any(array < 0):
        raise FitError("invalid_data", "weights must be one count of at least 0 per row")
    return array


def _sum_by(index: NDArray[Any], weights: FloatArray | None, length: int) -> FloatArray:
    """The weights (or 1 each) summed per index value."""
    return np.bincount(index, weights=weights, minlength=length).astype(np.float64, copy=False)


def aggregate_rows(
    *columns: FloatArray, weights: FloatArray | None = None
) -> tuple[list[FloatArray], FloatArray]:
    """Identical rows of ``columns`` collapsed to one, with their count (or summed weight).

    Each column becomes integer codes (its sorted distinct values, then a binary search), the
    codes one int64 key, and the key is sorted once without an argsort; far faster than
    sorting the float rows themselves, which dominated the fit at a million customers."""
    levels = [np.unique(column) for column in columns]
    spans = [len(values) for values in levels]
    if math.prod(spans) >= 2**62:  # only with millions of distinct values in every column
        stacked = np.column_stack(columns)
        unique_rows, inverse = np.unique(stacked, axis=0, return_inverse=True)
        counts = _sum_by(inverse.ravel(), weights, len(unique_rows))
        return [unique_rows[:, i].copy() for i in range(len(columns))], counts
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for values, column, span in zip(levels, columns, spans, strict=True):
        key *= span
        key += np.searchsorted(values, column)
    if weights is None:
        unique_keys, key_counts = np.unique(key, return_counts=True)
        sums = key_counts.astype(np.float64)
    else:
        unique_keys, inverse = np.unique(key, return_inverse=True)
        sums = _sum_by(inverse.ravel(), weights, len(unique_keys))
    decoded: list[FloatArray] = []
    remainder = unique_keys
    for values, span in zip(reversed(levels), reversed(spans), strict=True):
        decoded.append(values[remainder % span])
        remainder = remainder // span
    return decoded[::-1], sums


def _aggregate_summary(
    x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Distinct (x, t_x, T) rows with their weights. Customers with x = 0 (most of them,
    usually) differ only by T, so they are counted by T alone, and only the repeat buyers go
    through the full three-column grouping."""
    once = x == 0
    T_once, inverse = np.unique(T[once], return_inverse=True)
    w_once = _sum_by(inverse.ravel(), weights[once], len(T_once))
    repeat = ~once
    all_ones = bool(np.all(weights == 1.0))
    (x_repeat, t_x_repeat, T_repeat), w_repeat = aggregate_rows(
        x[repeat], t_x[repeat], T[repeat], weights=None if all_ones else weights[repeat]
    )
    return (
        np.concatenate([np.zeros(len(T_once)), x_repeat]),
        np.concatenate([np.zeros(len(T_once)), t_x_repeat]),
        np.concatenate([T_once, T_repeat]),
        np.concatenate([w_once, w_repeat]),
    )


# Above this many rows a fit first runs on a systematic sample of about this many rows and
# starts the full fit from its estimates: the full fit then needs a few iterations, not 15-20.
_WARM_START_ROWS = 20_000


def _warm_start(
    likelihood_class: Callable[..., Objective],
    columns: tuple[FloatArray, ...],
    weights: FloatArray,
    start: FloatArray,
) -> FloatArray:
    rows = len(weights)
    if rows <= 2 * _WARM_START_ROWS:
        return start
    sample = slice(None, None, rows // _WARM_START_ROWS)
    sample_weights = weights[sample]
    try:
        theta, _ = _maximise(
            likelihood_class(*(column[sample] for column in columns), sample_weights),
            start,
            float(sample_weights.sum()),
            ("",) * len(start),
        )
    except FitError:  # the full data may still fit; start it where it would have started
        return start
    return theta


# --------------------------------------------------------------------------------------------
# BG/NBD


class _BgNbdLikelihood:
    """Negative log-likelihood of BG/NBD and its analytic gradient over (r, α, a, b), on
    weighted distinct rows. Per row (FHL 2005, eq. 6, rearranged for stability):

        ln L = ln Γ(r+x) − ln Γ(r) + r ln α + ln B(a, b+x) − ln B(a, b)
               + logaddexp(−(r+x) ln(α+T), [x>0] (ln a − ln(b+x−1) − (r+x) ln(α+t_x)))
    """

    def __init__(self, x: FloatArray, t_x: FloatArray, T: FloatArray, w: FloatArray) -> None:
        self.x_levels, self.x_index = np.unique(x, return_inverse=True)
        self.x_weight = _sum_by(self.x_index, w, len(self.x_levels))
        self.x = x
        self.t_x = t_x
        self.T = T
        self.w = w
        self.repeat = x > 0
        # Rows with x > 0 only carry the second term; fitting it on those rows alone saves
        # a third of the work on typical data where most customers never return.
        self.w_repeat = w[self.repeat]
        self.x_repeat = x[self.repeat]
        self.t_x_repeat = t_x[self.repeat]
        self.T_repeat = T[self.repeat]
        self.T_once = T[~self.repeat]
        self.w_once = w[~self.repeat]
        self.total_weight = float(w.sum())

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        r, alpha, a, b = (float(v) for v in theta)
        levels, level_weight = self.x_levels, self.x_weight
        dot = _dot
        # Terms depending on x only: one value per distinct x, weighted by its count.
        lgamma_rx = special.gammaln(r + levels)
        lgamma_bx = special.gammaln(b + levels)
        lgamma_abx = special.gammaln(a + b + levels)
        psi_rx = special.digamma(r + levels)
        psi_bx = special.digamma(b + levels)
        psi_abx = special.digamma(a + b + levels)
        total = self.total_weight
        value = dot(level_weight, lgamma_rx + lgamma_bx - lgamma_abx) + total * (
            -special.gammaln(r) + r * math.log(alpha) + special.gammaln(a + b) - special.gammaln(b)
        )
        d_r = dot(level_weight, psi_rx) + total * (math.log(alpha) - special.digamma(r))
        d_alpha = total * r / alpha
        d_a = total * special.digamma(a + b) - dot(level_weight, psi_abx)
        d_b = dot(level_weight, psi_bx - psi_abx) + total * (
            special.digamma(a + b) - special.digamma(b)
        )

        # Customers with x = 0: the single term −r ln(α+T).
        log_alpha_T_once = np.log(alpha + self.T_once)
        value -= r * dot(self.w_once, log_alpha_T_once)
        d_r -= dot(self.w_once, log_alpha_T_once)
        d_alpha -= r * dot(self.w_once, 1.0 / (alpha + self.T_once))

        # Customers with x > 0: logaddexp(u, v); s is the share of v.
        w = self.w_repeat
        rx = r + self.x_repeat
        log_alpha_T = np.log(alpha + self.T_repeat)
        log_alpha_tx = np.log(alpha + self.t_x_repeat)
        log_b_x1 = np.log(b + self.x_repeat - 1.0)
        u = -rx * log_alpha_T
        v = math.log(a) - log_b_x1 - rx * log_alpha_tx
        both = np.logaddexp(u, v)
        s = np.exp(v - both)
        value += dot(w, both)
        one_minus_s = 1.0 - s
        d_r -= dot(w, one_minus_s * log_alpha_T + s * log_alpha_tx)
        d_alpha -= dot(
            w, rx * (one_minus_s / (alpha + self.T_repeat) + s / (alpha + self.t_x_repeat))
        )
        ws = float(np.einsum("i,i->", w, s))
        d_a += ws / a
        d_b -= dot(w, s / (b + self.x_repeat - 1.0))
        return -value, -np.array([d_r, d_alpha, d_a, d_b])

    def start(self) -> FloatArray:
        """Starting values: r = 1 and α from the mean purchase rate (E[λ] = r/α), a = b = 1."""
        purchases = _dot(self.w, self.x)
        time = _dot(self.w, self.T)
        alpha = time / max(purchases, 1e-9 * time)
        return np.array([1.0, alpha, 1.0, 1.0])


def _dot(u: FloatArray, v: FloatArray) -> float:
    return float(np.einsum("i,i->", u, v))


def fit_bgnbd(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
    aggregate: bool = True,
) -> BgNbdFit:
    """Fit BG/NBD by maximum likelihood on one row per customer (or per group of identical
    customers with ``weights``). Raises :class:`FitError` when the data cannot support it."""
    x_array, t_x_array, T_array = _check_summary(x, t_x, T)
    w = _weights(weights, len(x_array))
    n_customers = float(w.sum())
    if n_customers <= 0:
        raise FitError("no_customers", "there are no customers to fit the model on")
    n_repeat = float(w[x_array > 0].sum())
    if n_repeat < min_repeat_buyers:
        raise FitError(
            "too_few_repeat_buyers",
            f"only {n_repeat:.0f} customers bought more than once; the purchase model needs "
            f"at least {min_repeat_buyers}",
            repeat_buyers=int(n_repeat),
            minimum=min_repeat_buyers,
        )
    if aggregate:
        x_array, t_x_array, T_array, w = _aggregate_summary(x_array, t_x_array, T_array, w)
    if len(x_array) < 2 and not np.any(w > 0):  # pragma: no cover - guarded above
        raise FitError("no_customers", "there are no customers to fit the model on")
    if np.ptp(x_array) == 0:
        raise FitError(
            "no_variance",
            "every customer made the same number of repeat purchases; the purchase model "
            "cannot tell customers apart",
        )
    likelihood = _BgNbdLikelihood(x_array, t_x_array, T_array, w)
    start = _warm_start(_BgNbdLikelihood, (x_array, t_x_array, T_array), w, likelihood.start())
    theta, iterations = _maximise(likelihood, start, n_customers, BGNBD_PARAMETERS)
    standard_errors = _standard_errors(likelihood, theta, BGNBD_PARAMETERS)
    value, _ = likelihood(theta)
    return BgNbdFit(
        r=float(theta[0]),
        alpha=float(theta[1]),
        a=float(theta[2]),
        b=float(theta[3]),
        standard_errors=standard_errors,
        log_likelihood=float(-value),
        n_customers=round(n_customers),
        n_repeat_buyers=round(n_repeat),
        n_distinct_rows=len(x_array),
        iterations=iterations,
    )


# --------------------------------------------------------------------------------------------
# Gamma-Gamma


class _GammaGammaLikelihood:
    """Negative log-likelihood of Gamma-Gamma and its gradient over (p, q, γ). Per repeat
    buyer with x repeat purchases of mean m̄ (the density of m̄, Fader & Hardie 2013):

        ln f = ln Γ(px+q) − ln Γ(px) − ln Γ(q) + q ln γ + (px−1) ln m̄ + px ln x − (px+q) ln(γ+x m̄)
    """

    def __init__(self, x: FloatArray, m: FloatArray, w: FloatArray) -> None:
        self.x_levels, x_index = np.unique(x, return_inverse=True)
        self.x_weight = _sum_by(x_index, w, len(self.x_levels))
        self.x = x
        self.xm = x * m
        self.w = w
        self.wx = w * x
        self.total_weight = float(w.sum())
        # Parameter-free sums, computed once.
        self.sum_log_m = _dot(w, np.log(m))
        self.sum_x_log_xm = _dot(self.wx, np.log(x) + np.log(m))
        self.sum_wx = float(self.wx.sum())

    def __call__(self, theta: FloatArray) -> tuple[float, FloatArray]:
        p, q, gamma = (float(v) for v in theta)
        levels, level_weight = self.x_levels, self.x_weight
        px = p * levels
        lg_pxq = special.gammaln(px + q)
        lg_px = special.gammaln(px)
        psi_pxq = special.digamma(px + q)
        psi_px = special.digamma(px)
        log_gamma_xm = np.log(gamma + self.xm)
        inverse_gamma_xm = 1.0 / (gamma + self.xm)
        total = self.total_weight
        value = (
            _dot(level_weight, lg_pxq - lg_px)
            + total * (q * math.log(gamma) - special.gammaln(q))
            + p * self.sum_x_log_xm
            - self.sum_log_m
            - p * _dot(self.wx, log_gamma_xm)
            - q * _dot(self.w, log_gamma_xm)
        )
        d_p = (
            _dot(level_weight * levels, psi_pxq - psi_px)
            + self.sum_x_log_xm
            - _dot(self.wx, log_gamma_xm)
        )
        d_q = (
            _dot(level_weight, psi_pxq)
            + total * (math.log(gamma) - special.digamma(q))
            - _dot(self.w, log_gamma_xm)
        )
        d_gamma = (
            total * q / gamma
            - p * _dot(self.wx, inverse_gamma_xm)
            - q * _dot(self.w, inverse_gamma_xm)
        )
        return -value, -np.array([d_p, d_q, d_gamma])

    def start(self) -> FloatArray:
        """p = q = 2 and γ matching the mean spend (E[z] = pγ/(q − 1))."""
        mean_spend = _dot(self.w, self.xm / self.x) / self.total_weight
        return np.array([2.0, 2.0, mean_spend / 2.0])


def fit_gamma_gamma(
    x: ArrayLike,
    monetary: ArrayLike,
    weights: ArrayLike | None = None,
    *,
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
    aggregate: bool = True,
) -> GammaGammaFit:
    """Fit Gamma-Gamma on the customers with x > 0 (others are ignored, as the model is for
    the spend of repeat purchases); ``monetary`` is each customer's mean repeat spend."""
    x_array = _as_float_array("x", x)
    m_array = _as_float_array("monetary", monetary)
    if len(x_array) != len(m_array):
        raise FitError("invalid_data", "x and monetary must have the same length")
    w = _weights(weights, len(x_array))
    keep = (x_array > 0) & (w > 0)
    x_array, m_array, w = x_array[keep], m_array[keep], w[keep]
    n_repeat = float(w.sum())
    if n_repeat < min_repeat_buyers:
        raise FitError(
            "too_few_repeat_buyers",
            f"only {n_repeat:.0f} customers bought more than once; the spend model needs "
            f"at least {min_repeat_buyers}",
            repeat_buyers=int(n_repeat),
            minimum=min_repeat_buyers,
        )
    if np.any(m_array <= 0):
        raise FitError(
            "invalid_data", "a repeat buyer's mean spend must be greater than 0", field="monetary"
        )
    if np.ptp(m_array) == 0:
        raise FitError(
            "no_variance",
            "every repeat buyer spent the same amount per purchase; the spend model needs "
            "spend that varies between customers",
        )
    correlation = float(np.corrcoef(x_array, m_array)[0, 1]) if np.ptp(x_array) else 0.0
    # Spend is a continuous amount, so rows repeat far less than (x, t_x, T) on dates do
    # (a simulated population has no repeats at all); aggregate only where it pays.
    if aggregate and 2 * len(np.unique(m_array)) <= len(m_array):
        (x_array, m_array), w = aggregate_rows(x_array, m_array, weights=w)
    likelihood = _GammaGammaLikelihood(x_array, m_array, w)
    start = _warm_start(_GammaGammaLikelihood, (x_array, m_array), w, likelihood.start())
    theta, iterations = _maximise(likelihood, start, n_repeat, GAMMA_GAMMA_PARAMETERS)
    standard_errors = _standard_errors(likelihood, theta, GAMMA_GAMMA_PARAMETERS)
    value, _ = likelihood(theta)
    return GammaGammaFit(
        p=float(theta[0]),
        q=float(theta[1]),
        gamma=float(theta[2]),
        standard_errors=standard_errors,
        log_likelihood=float(-value),
        n_customers=round(n_repeat),
        n_distinct_rows=len(x_array),
        iterations=iterations,
        frequency_spend_correlation=correlation,
    )


# --------------------------------------------------------------------------------------------
# Optimisation and standard errors

Objective = Callable[[FloatArray], tuple[float, FloatArray]]


def _maximise(
    objective: Objective, start: FloatArray, scale: float, names: tuple[str, ...]
) -> tuple[FloatArray, int]:
    """Minimise the negative log-likelihood over log-parameters with L-BFGS-B (every
    parameter is positive; the log keeps it so without constraints and evens out their
    scales). The objective is divided by the number of customers so the tolerances mean the
    same at any size."""

    def scaled(phi: FloatArray) -> tuple[float, FloatArray]:
        theta = np.exp(phi)
        value, gradient = objective(theta)
        return value / scale, gradient * theta / scale

    bound = _LOG_PARAMETER_BOUND
    # L-BFGS-B's own small matrix steps call BLAS; with a threaded OpenBLAS every call pays to
    # wake its threads, which made a 1M-customer fit a third slower on 2 cores.
    one_blas_thread = (
        threadpool_limits(limits=1, user_api="blas") if threadpool_limits else nullcontext()
    )
    try:
        with np.errstate(all="ignore"), one_blas_thread:
            result = optimize.minimize(
                scaled,
                np.log(start),
                jac=True,
                method="L-BFGS-B",
                bounds=[(-bound, bound)] * len(start),
                options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-9},
            )
    except (FloatingPointError, ValueError, ArithmeticError) as error:  # pragma: no cover
        raise FitError("did_not_converge", f"the fit failed: {error}") from error
    phi = result.x
    at_bound = np.abs(phi) > _LOG_PARAMETER_RUN_OFF
    gradient_norm = float(np.max(np.abs(result.jac))) if result.jac is not None else math.inf
    # L-BFGS-B stops with ABNORMAL when the line search cannot improve on a point that is
    # already optimal to machine precision; accept that when the gradient is ~0.
    converged = bool(result.success) or gradient_norm < 1e-5
    # A parameter running off is the more telling reason, and it usually ends the search
    # abnormally too, so it is named first.
    if np.any(at_bound):
        parameter = names[int(np.argmax(at_bound))]
        raise FitError(
            "did_not_converge",
            f"the fit's parameter {parameter} ran off to zero or infinity; the data do not "
            "support the model (too little variation between customers)",
            parameter=parameter,
        )
    if not np.all(np.isfinite(phi)) or not np.isfinite(result.fun) or not converged:
        raise FitError(
            "did_not_converge",
            "the model's fit did not converge; the data may be too few or too uniform",
            reason=str(result.message),
        )
    return np.exp(phi), int(result.nit)


def _standard_errors(
    objective: Objective, theta: FloatArray, names: tuple[str, ...]
) -> dict[str, float]:
    """Standard errors from the inverse Hessian of the negative log-likelihood, the Hessian
    by central differences of the analytic gradient (a relative step of 1e-5: the error of
    the difference, O(h²), is far below the third significant figure). NaN where the Hessian
    is not positive definite (a flat likelihood)."""
    k = len(theta)
    hessian = np.empty((k, k))
    for j in range(k):
        step = 1e-5 * theta[j]
        up, down = theta.copy(), theta.copy()
        up[j] += step
        down[j] -= step
        hessian[:, j] = (objective(up)[1] - objective(down)[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return {name: math.nan for name in names}
    variances = np.diag(covariance)
    return {
        name: math.sqrt(variance) if variance > 0 else math.nan
        for name, variance in zip(names, variances, strict=True)
    }


# --------------------------------------------------------------------------------------------
# Per-customer predictions


def probability_alive(fit: BgNbdFit, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
    """P(alive | x, t_x, T) = 1 / (1 + [x>0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
    (FHL 2005, eq. 8); 1 for a customer who has not bought again, as BG/NBD lets customers
    drop out only after a repeat purchase."""
    x_array, t_x_array, T_array = _check_summary(x, t_x, T)
    repeat = x_array > 0
    log_odds = np.full(len(x_array), -np.inf)
    xr = x_array[repeat]
    log_odds[repeat] = (
        math.log(fit.a)
        - np.log(fit.b + xr - 1.0)
        + (fit.r + xr)
        * (np.log(fit.alpha + T_array[repeat]) - np.log(fit.alpha + t_x_array[repeat]))
    )
    return special.expit(-log_odds)


def expected_purchases(
    fit: BgNbdFit, t: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected purchases in the next t periods for customers with history (x, t_x, T)
    (FHL 2005, eq. 10):

        E[Y(t)] = (a+b+x−1)/(a−1) · [1 − ((α+T)/(α+T+t))^(r+x) · ₂F₁(r+x, b+x; a+b+x−1; t/(α+T+t))]
                  / (1 + [x>0] · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x))
    """
    x_array, t_x_array, T_array = _check_summary(x, t_x, T)
    if t < 0:
        raise FitError("invalid_data", "the horizon t must be at least 0", field="t")
    if t == 0:
        return np.zeros(len(x_array))
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    rx = r + x_array
    alpha_T = alpha + T_array
    hypergeometric = special.hyp2f1(rx, b + x_array, a + b + x_array - 1.0, t / (alpha_T + t))
    bracket = 1.0 - np.exp(rx * (np.log(alpha_T) - np.log(alpha_T + t))) * hypergeometric
    return (
        (a + b + x_array - 1.0)
        / (a - 1.0)
        * bracket
        * probability_alive(fit, x_array, t_x_array, T_array)
    )


def expected_purchases_new_customer(fit: BgNbdFit, t: ArrayLike) -> FloatArray:
    """E[X(t)], the purchases a new customer makes in (0, t] after the first (FHL 2005, eq. 9):
    (a+b−1)/(a−1) · [1 − (α/(α+t))^r · ₂F₁(r, b; a+b−1; t/(α+t))]."""
    times = np.asarray(t, dtype=np.float64)
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b
    hypergeometric = special.hyp2f1(r, b, a + b - 1.0, times / (alpha + times))
    return np.asarray(
        (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + times)) ** r * hypergeometric)
    )


def expected_spend(fit: GammaGammaFit, x: ArrayLike, monetary: ArrayLike) -> FloatArray:
    """Expected spend per future purchase given x repeat purchases of mean m̄ (Fader & Hardie
    2013, eq. 5): (γ + x m̄) p / (p x + q − 1), a weighted mean of the population's pγ/(q−1)
    and the customer's own m̄; the population mean for a customer with x = 0."""
    if fit.q <= 1:
        raise FitError(
            "infinite_mean_spend",
            "the spend model's q is at most 1, so the expected spend per purchase is infinite; "
            "the spend data have too heavy a tail for this model",
            q=fit.q,
        )
    x_array = _as_float_array("x", x)
    m_array = _as_float_array("monetary", monetary)
    m_array = np.where(x_array > 0, m_array, 0.0)
    return (fit.gamma + x_array * m_array) * fit.p / (fit.p * x_array + fit.q - 1.0)


def customer_lifetime_value(
    bgnbd: BgNbdFit,
    gamma_gamma: GammaGammaFit,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    *,
    period_days: float,
    horizon_months: int = DEFAULT_HORIZON_MONTHS,
    annual_discount_rate: float = DEFAULT_ANNUAL_DISCOUNT_RATE,
) -> FloatArray:
    """Discounted value of each customer's purchases over the next ``horizon_months``:

        CLV = E[spend per purchase] · Σ_{k=1..H} (E[Y(k·M)] − E[Y((k−1)·M)]) / (1 + d)^k

    where M is a month (365.25/12 days) in the model's period (``period_days`` days: 1 for a
    day, 7 for a week), E[Y] the expected purchases from :func:`expected_purchases`, and
    d = (1 + annual rate)^(1/12) − 1 the monthly discount rate, so each month's expected
    purchases are discounted from the end of that month."""
    if horizon_months < 1:
        raise FitError("invalid_data", "the horizon must be at least 1 month", field="horizon")
    if not (0 <= annual_discount_rate < 10):
        raise FitError(
            "invalid_data",
            "the discount rate must be between 0 and 10 (1000 %)",
            field="discount_rate",
        )
    if period_days <= 0:
        raise FitError("invalid_data", "the period must be longer than 0 days", field="period")
    x_array, t_x_array, T_array = _check_summary(x, t_x, T)
    spend = expected_spend(gamma_gamma, x_array, monetary)
    monthly_rate = (1.0 + annual_discount_rate) ** (1.0 / 12.0) - 1.0
    month = DAYS_PER_MONTH / period_days
    discounted = np.zeros(len(x_array))
    previous = np.zeros(len(x_array))
    for k in range(1, horizon_months + 1):  # months, not customers: the customers are vectors
        cumulative = expected_purchases(bgnbd, k * month, x_array, t_x_array, T_array)
        discounted += (cumulative - previous) / (1.0 + monthly_rate) ** k
        previous = cumulative
    return spend * discounted


# --------------------------------------------------------------------------------------------
# From orders to customer summaries, and the calibration/holdout check


@dataclass(frozen=True)
class CustomerSummary:
    """One row per customer: the model's inputs, in periods of ``period_days`` days."""

    customer_ids: NDArray[Any]
    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    monetary: FloatArray
    period_days: float


def _as_days(dates: ArrayLike) -> NDArray[np.int64]:
    return np.asarray(dates, dtype="datetime64[D]").astype(np.int64)


def summarise_orders(
    customer_ids: ArrayLike,
    order_dates: ArrayLike,
    amounts: ArrayLike,
    *,
    end: Any,
    period_days: float = 1.0,
) -> CustomerSummary:
    """(x, t_x, T, m̄) per customer from their orders up to and including the date ``end``.

    Orders on the same day count as one purchase (their amounts add up), as in the CDNOW
    preparation; x is the number of purchase days after the first, t_x and T the days from the
    first purchase to the last and to ``end`` divided by ``period_days``, m̄ the mean spend of the
    repeat purchases (the first purchase is left out, as Gamma-Gamma models repeat spend; 0 when
    x = 0). Customers whose first order is after ``end`` are left out. ``order_dates`` are dates
    (or datetimes, cut to their day) in the business's time zone."""
    ids = np.asarray(customer_ids)
    days = _as_days(order_dates)
    spend = _as_float_array("amounts", amounts)
    if not (len(ids) == len(days) == len(spend)):
        raise FitError("invalid_data", "customer ids, order dates and amounts must match")
    end_day = int(np.datetime64(end, "D").astype(np.int64))
    keep = days <= end_day
    ids, days, spend = ids[keep], days[keep], spend[keep]
    if len(ids) == 0:
        raise FitError("no_customers", "there are no orders before the end date")
    unique_ids, customer = np.unique(ids, return_inverse=True)
    customer = customer.ravel()
    # One purchase per customer and day: sort by (customer, day) and merge equal neighbours.
    order = np.lexsort((days, customer))
    customer, days, spend = customer[order], days[order], spend[order]
    new_purchase = np.ones(len(customer), dtype=bool)
    new_purchase[1:] = (customer[1:] != customer[:-1]) | (days[1:] != days[:-1])
    purchase_index = np.cumsum(new_purchase) - 1
    purchase_spend = np.bincount(purchase_index, weights=spend)
    purchase_customer = customer[new_purchase]
    purchase_day = days[new_purchase]
    n = len(unique_ids)
    purchases = np.bincount(purchase_customer, minlength=n)
    first_day = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first_day, purchase_customer, purchase_day)
    last_day = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last_day, purchase_customer, purchase_day)
    is_first = purchase_day == first_day[purchase_customer]
    repeat_spend = np.bincount(
        purchase_customer, weights=np.where(is_first, 0.0, purchase_spend), minlength=n
    )
    x = (purchases - 1).astype(np.float64)
    monetary = np.divide(repeat_spend, x, out=np.zeros(n), where=x > 0)
    return CustomerSummary(
        customer_ids=unique_ids,
        x=x,
        t_x=(last_day - first_day) / period_days,
        T=(end_day - first_day) / period_days,
        monetary=monetary,
        period_days=period_days,
    )


@dataclass(frozen=True)
class HoldoutGroup:
    """Customers with the same calibration x (the last group holds x ≥ its value)."""

    x: int
    customers: int
    actual: float
    predicted: float


@dataclass(frozen=True)
class HoldoutCheck:
    """Fits on the calibration period and their predictions against the holdout period."""

    bgnbd: BgNbdFit
    gamma_gamma: GammaGammaFit | None
    calibration: CustomerSummary
    holdout_periods: float
    actual: FloatArray
    predicted: FloatArray
    groups: list[HoldoutGroup] = field(default_factory=list)

    @property
    def total_actual(self) -> float:
        return float(self.actual.sum())

    @property
    def total_predicted(self) -> float:
        return float(self.predicted.sum())

    def to_json(self) -> dict[str, Any]:
        return {
            "holdout_periods": self.holdout_periods,
            "total": {"actual": self.total_actual, "predicted": self.total_predicted},
            "by_x": [
                {
                    "x": group.x,
                    "customers": group.customers,
                    "actual": group.actual,
                    "predicted": group.predicted,
                }
                for group in self.groups
            ],
        }


def calibration_holdout(
    customer_ids: ArrayLike,
    order_dates: ArrayLike,
    amounts: ArrayLike,
    *,
    calibration_end: Any,
    holdout_end: Any,
    period_days: float = 1.0,
    top_x_group: int = 7,
    min_repeat_buyers: int = MIN_REPEAT_BUYERS,
) -> HoldoutCheck:
    """Fit both models on the orders up to ``calibration_end`` and compare, for the customers
    known then, the purchases (purchase days) they made in (calibration_end, holdout_end] with
    the expected number, per calibration x (0, 1, …, ``top_x_group``+) and in total. The
    Gamma-Gamma fit is ``None`` when the spend data cannot support it (the purchase check still
    stands)."""
    calibration = summarise_orders(
        customer_ids, order_dates, amounts, end=calibration_end, period_days=period_days
    )
    calibration_day = int(np.datetime64(calibration_end, "D").astype(np.int64))
    holdout_day = int(np.datetime64(holdout_end, "D").astype(np.int64))
    if holdout_day <= calibration_day:
        raise FitError(
            "invalid_data", "the holdout end must be after the calibration end", field="holdout_end"
        )
    bgnbd = fit_bgnbd(
        calibration.x, calibration.t_x, calibration.T, min_repeat_buyers=min_repeat_buyers
    )
    try:
        gamma_gamma: GammaGammaFit | None = fit_gamma_gamma(
            calibration.x, calibration.monetary, min_repeat_buyers=min_repeat_buyers
        )
    except FitError:
        gamma_gamma = None

    ids = np.asarray(customer_ids)
    days = _as_days(order_dates)
    in_holdout = (days > calibration_day) & (days <= holdout_day)
    holdout_ids, holdout_days = ids[in_holdout], days[in_holdout]
    position = np.searchsorted(calibration.customer_ids, holdout_ids)
    position = np.clip(position, 0, max(len(calibration.customer_ids) - 1, 0))
    known = calibration.customer_ids[position] == holdout_ids
    # Purchase days per customer, as in the calibration period.
    pairs = np.unique(np.stack([position[known], holdout_days[known]]), axis=1)
    actual = np.bincount(pairs[0], minlength=len(calibration.customer_ids)).astype(np.float64)

    holdout_periods = (holdout_day - calibration_day) / period_days
    predicted = expected_purchases(
        bgnbd, holdout_periods, calibration.x, calibration.t_x, calibration.T
    )
    group_of = np.minimum(calibration.x, top_x_group).astype(np.int64)
    groups = [
        HoldoutGroup(
            x=int(value),
            customers=int(np.sum(group_of == value)),
            actual=float(actual[group_of == value].sum()),
            predicted=float(predicted[group_of == value].sum()),
        )
        for value in range(top_x_group + 1)
        if np.any(group_of == value)
    ]
    return HoldoutCheck(
        bgnbd=bgnbd,
        gamma_gamma=gamma_gamma,
        calibration=calibration,
        holdout_periods=holdout_periods,
        actual=actual,
        predicted=predicted,
        groups=groups,
    )


# --------------------------------------------------------------------------------------------
# Synthetic customers (tests and the benchmark)


def simulate_customers(
    n: int,
    *,
    bgnbd: dict[str, float],
    gamma_gamma: dict[str, float] | None = None,
    seed: int = 0,
    first_purchase_days: int = 84,
    calibration_days: int = 273,
    period_days: float = 7.0,
) -> CustomerSummary:
    """``n`` customers drawn from BG/NBD (and Gamma-Gamma for spend) with the given parameters
    (times in periods of ``period_days`` days), recorded as a shop records dates.

    λ ~ Gamma(r, rate α) and p ~ Beta(a, b) per customer; dropout after K ~ Geometric(p) ≥ 1
    repeat purchases; N ~ Poisson(λT) purchases in (0, T], so x = min(N, K) and the time of the
    x-th is T times the x-th of N uniform order statistics, Beta(x, N − x + 1). First purchases
    fall on a uniform day of the first ``first_purchase_days`` at a uniform moment of that day;
    the observation ends with day ``calibration_days`` − 1; t_x and T are whole days between the
    dates (t_x rounded down, as dates do), in periods. Spend per repeat purchase is Gamma(p, ν)
    with ν ~ Gamma(q, rate γ); m̄ is the mean of x such spends."""
    rng = np.random.default_rng(seed)
    r, alpha, a, b = bgnbd["r"], bgnbd["alpha"], bgnbd["a"], bgnbd["b"]
    first_day = rng.integers(0, first_purchase_days, n)
    first_moment = first_day + rng.random(n)
    continuous_T = (calibration_days - first_moment) / period_days
    rate = rng.gamma(r, 1.0 / alpha, n)
    dropout = rng.beta(a, b, n)
    repeat_limit = rng.geometric(dropout)
    made = rng.poisson(rate * continuous_T)
    x = np.minimum(made, repeat_limit)
    t_x_continuous = np.zeros(n)
    repeat = x > 0
    t_x_continuous[repeat] = continuous_T[repeat] * rng.beta(
        x[repeat], made[repeat] - x[repeat] + 1
    )
    # min(): a purchase at the very end of the last day stays on that day.
    last_day = np.minimum(
        np.floor(first_moment + t_x_continuous * period_days), calibration_days - 1
    )
    t_x = (last_day - first_day) / period_days
    T = (calibration_days - 1 - first_day) / period_days
    monetary = np.zeros(n)
    if gamma_gamma is not None:
        scale = rng.gamma(gamma_gamma["q"], 1.0 / gamma_gamma["gamma"], n)
        totals = rng.gamma(np.maximum(gamma_gamma["p"] * x, 1e-300), 1.0 / scale)
        monetary = np.where(repeat, totals / np.maximum(x, 1), 0.0)
    return CustomerSummary(
        customer_ids=np.arange(n),
        x=x.astype(np.float64),
        t_x=t_x,
        T=T,
        monetary=monetary,
        period_days=period_days,
    )
