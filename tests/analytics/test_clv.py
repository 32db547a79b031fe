"""BG/NBD and Gamma-Gamma: the published CDNOW estimates, worked values, a synthetic population
with known parameters, the data preparation and the refusals (kesheng.analytics.clv)."""

import math
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate

from kesheng.analytics import clv

DATA = Path(__file__).parent / "data"
CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def three_figures(value: float) -> str:
    return f"{value:.3g}"


@pytest.fixture(scope="module")
def cdnow():
    """Hardie's 1/10th CDNOW sample summarised over the 39-week calibration period (ID, x, t_x
    in weeks, T in weeks, mean repeat spend zbar), as shipped with lifetimes 0.11.3."""
    return np.genfromtxt(DATA / "cdnow_summary.csv", delimiter=",", names=True)


@pytest.fixture(scope="module")
def cdnow_orders():
    """The CDNOW sample's transactions: customer (1..2357), date, dollar value."""
    columns = np.loadtxt(DATA / "cdnow_sample.txt", dtype=str)
    dates = np.array(
        [f"{day[:4]}-{day[4:6]}-{day[6:]}" for day in columns[:, 2]], dtype="datetime64[D]"
    )
    return columns[:, 1].astype(int), dates, columns[:, 4].astype(float)


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow):
    return clv.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"])


@pytest.fixture(scope="module")
def cdnow_gamma_gamma(cdnow):
    return clv.fit_gamma_gamma(cdnow["x"], cdnow["zbar"])


# --- published estimates -------------------------------------------------------------------


def test_bgnbd_reproduces_the_published_cdnow_estimates(cdnow_bgnbd):
    """Fader, Hardie & Lee (2005): r 0.243, α 4.414, a 0.793, b 2.426, LL −9582.4."""
    fit = cdnow_bgnbd
    assert {name: three_figures(value) for name, value in fit.params.items()} == {
        "r": "0.243",
        "alpha": "4.41",
        "a": "0.793",
        "b": "2.43",
    }
    assert round(fit.log_likelihood, 2) == -9582.43
    assert (fit.n_customers, fit.n_repeat_buyers) == (2357, 946)
    assert {name: round(error, 3) for name, error in fit.standard_errors.items()} == {
        "r": 0.013,
        "alpha": 0.378,
        "a": 0.186,
        "b": 0.705,
    }


def test_gamma_gamma_reproduces_the_published_cdnow_estimates(cdnow_gamma_gamma):
    """Fader & Hardie (2013), on the 946 repeat buyers: p 6.25, q 3.74, γ 15.44."""
    fit = cdnow_gamma_gamma
    assert {name: three_figures(value) for name, value in fit.params.items()} == {
        "p": "6.25",
        "q": "3.74",
        "gamma": "15.4",
    }
    assert fit.n_customers == 946
    assert round(fit.log_likelihood, 2) == -4055.92
    assert round(fit.frequency_spend_correlation, 3) == 0.114


def test_weighted_distinct_rows_fit_as_one_row_per_customer(cdnow, cdnow_bgnbd):
    one_row_each = clv.fit_bgnbd(cdnow["x"], cdnow["t_x"], cdnow["T"], aggregate=False)
    for name, value in cdnow_bgnbd.params.items():
        assert one_row_each.params[name] == pytest.approx(value, rel=1e-6)
    assert one_row_each.log_likelihood == pytest.approx(cdnow_bgnbd.log_likelihood, rel=1e-12)
    assert cdnow_bgnbd.n_distinct_rows == 1016


# --- worked values -------------------------------------------------------------------------


def test_expected_purchases_matches_the_papers_worked_example(cdnow_bgnbd):
    """FHL 2005 (and Hardie's spreadsheet): a customer with x = 2, t_x = 30.43, T = 38.86 is
    expected to make 1.226 purchases in the next 39 weeks."""
    expected = clv.expected_purchases(cdnow_bgnbd, 39, [2], [30.43], [38.86])
    assert round(float(expected[0]), 3) == 1.226


def test_expected_purchases_of_a_new_customer_match_hardies_spreadsheet(cdnow_bgnbd):
    times = [0.1429, 1.0, 3.00, 31.8571, 32.00, 78.00]
    expected = clv.expected_purchases_new_customer(cdnow_bgnbd, times)
    # Hardie's figures come from Excel Solver's estimates, which differ from these in the 4th
    # significant figure; the expectations agree within 5e-4.
    np.testing.assert_allclose(
        expected, [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576], rtol=0, atol=5e-4
    )
    assert np.round(expected, 4).tolist() == [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.858]


def published_bgnbd() -> clv.BgNbdFit:
    return clv.BgNbdFit(
        **CDNOW_BGNBD,
        standard_errors={},
        log_likelihood=0.0,
        n_customers=0,
        n_repeat_buyers=0,
        n_distinct_rows=0,
        iterations=0,
    )


def test_probability_alive_worked_by_hand():
    """1 / (1 + 0.793/(2.426 + 1) · ((4.414 + 38.86)/(4.414 + 30.43))^(0.243 + 2)) = 0.72658;
    a customer who never came back is alive for BG/NBD (dropout follows a purchase)."""
    alive = clv.probability_alive(published_bgnbd(), [2, 0], [30.43, 0], [38.86, 38.86])
    assert np.round(alive, 5).tolist() == [0.72658, 1.0]


def posterior_integrals(fit, x, t_x, T, t):
    """P(alive) and E[Y(t)] by integrating over the dropout probability p numerically: an
    independent check of the closed forms (and of their hypergeometric function). Given p, the
    gamma-distributed λ integrates out by hand: ∫ λ^x e^(−λs) dGamma(r, α) = Γ(r+x)/Γ(r) ·
    α^r/(α+s)^(r+x) =: C(s). Alive: (1−p)^x C(T); dropped out after the last purchase:
    p (1−p)^(x−1) C(t_x); alive, a customer buys (1 − e^(−λpt))/p more in the next t (the
    building block of FHL 2005, eq. 7), so (1−p)^x (C(T) − C(T+pt))/p. The Beta(a, b) density's
    p^(a−1) (1−p)^(b−1) is quad's algebraic weight, which handles its singularity at 0."""

    def mass(s):
        return math.exp(
            math.lgamma(fit.r + x)
            - math.lgamma(fit.r)
            + fit.r * math.log(fit.alpha)
            - (fit.r + x) * math.log(fit.alpha + s)
        )

    def integral(function):
        value, _ = integrate.quad(
            function, 0, 1, weight="alg", wvar=(fit.a - 1, fit.b - 1), epsabs=0, epsrel=1e-11
        )
        return value

    alive = integral(lambda p: (1 - p) ** x * mass(T))
    dead = integral(lambda p: p * (1 - p) ** (x - 1) * mass(t_x)) if x > 0 else 0.0

    def bought_later(p):
        if p == 0:  # the limit as p → 0: t · (r+x)/(α+T) · C(T)
            return t * (fit.r + x) / (fit.alpha + T) * mass(T)
        return (1 - p) ** x * (mass(T) - mass(T + p * t)) / p

    future = integral(bought_later)
    return alive / (alive + dead), future / (alive + dead)


@pytest.mark.parametrize(("x", "t_x", "T"), [(2, 30.43, 38.86), (1, 1.71, 38.86), (7, 35.0, 38.0)])
def test_closed_forms_agree_with_numerical_integration(x, t_x, T):
    fit = published_bgnbd()
    alive, purchases = posterior_integrals(fit, x, t_x, T, t=39)
    assert clv.probability_alive(fit, [x], [t_x], [T])[0] == pytest.approx(alive, rel=1e-6)
    assert clv.expected_purchases(fit, 39, [x], [t_x], [T])[0] == pytest.approx(purchases, rel=1e-6)


def published_gamma_gamma(q: float = CDNOW_GAMMA_GAMMA["q"]) -> clv.GammaGammaFit:
    return clv.GammaGammaFit(
        p=CDNOW_GAMMA_GAMMA["p"],
        q=q,
        gamma=CDNOW_GAMMA_GAMMA["gamma"],
        standard_errors={},
        log_likelihood=0.0,
        n_customers=0,
        n_distinct_rows=0,
        iterations=0,
        frequency_spend_correlation=0.0,
    )


def test_expected_spend_worked_by_hand():
    """x = 2 at m̄ = 22.35: (15.44 + 2·22.35)·6.25/(6.25·2 + 3.74 − 1) = 24.6637;
    x = 0: the population mean 6.25·15.44/(3.74 − 1) = 35.2190."""
    fit = published_gamma_gamma()
    spend = clv.expected_spend(fit, [2, 0], [22.35, 0])
    assert np.round(spend, 4).tolist() == [24.6637, 35.2190]
    assert round(fit.mean_spend, 4) == 35.2190


def test_lifetime_value_sums_discounted_months():
    bgnbd, gamma_gamma = published_bgnbd(), published_gamma_gamma()
    history = ([2, 0], [30.43, 0], [38.86, 38.86], [22.35, 0])
    month = clv.DAYS_PER_MONTH / 7
    # No discount: spend per purchase times the purchases expected in the whole horizon.
    undiscounted = clv.customer_lifetime_value(
        bgnbd, gamma_gamma, *history, period_days=7, annual_discount_rate=0
    )
    expected = clv.expected_spend(gamma_gamma, [2, 0], [22.35, 0]) * clv.expected_purchases(
        bgnbd, 12 * month, *history[:3]
    )
    np.testing.assert_allclose(undiscounted, expected, rtol=1e-12)
    # 10 % a year: each month's purchases discounted from the month's end.
    monthly = 1.1 ** (1 / 12) - 1
    cumulative = [
        clv.expected_purchases(bgnbd, k * month, [2], [30.43], [38.86])[0] for k in range(13)
    ]
    by_hand = 24.663713910761153 * sum(
        (cumulative[k] - cumulative[k - 1]) / (1 + monthly) ** k for k in range(1, 13)
    )
    discounted = clv.customer_lifetime_value(bgnbd, gamma_gamma, *history, period_days=7)
    assert discounted[0] == pytest.approx(by_hand, rel=1e-12)
    assert round(float(discounted[0]), 2) == 36.75
    assert discounted[0] < undiscounted[0]


def test_lifetime_value_refuses_a_bad_horizon():
    with pytest.raises(clv.FitError) as refused:
        clv.customer_lifetime_value(
            published_bgnbd(),
            published_gamma_gamma(),
            [1],
            [1],
            [2],
            [10],
            period_days=7,
            horizon_months=0,
        )
    assert (refused.value.code, refused.value.details) == ("invalid_data", {"field": "horizon"})


# --- synthetic population ------------------------------------------------------------------


def test_recovers_the_parameters_a_population_was_drawn_with():
    """200,000 customers drawn with the CDNOW parameters (purchase dates in whole days). The
    maximum-likelihood estimates are asymptotically normal around the truth with the fit's own
    standard errors, so each must lie within 4 of them: a correct fit fails that by chance
    with probability 6e-5 per parameter (and the seed fixes the draw), while a biased one
    (t_x rounded up, say, or a wrong gradient) misses by far more at this size."""
    customers = clv.simulate_customers(
        200_000, bgnbd=CDNOW_BGNBD, gamma_gamma=CDNOW_GAMMA_GAMMA, seed=7
    )
    bgnbd = clv.fit_bgnbd(customers.x, customers.t_x, customers.T)
    gamma_gamma = clv.fit_gamma_gamma(customers.x, customers.monetary)
    for fit, truth in [(bgnbd, CDNOW_BGNBD), (gamma_gamma, CDNOW_GAMMA_GAMMA)]:
        for name, value in fit.params.items():
            assert abs(value - truth[name]) < 4 * fit.standard_errors[name], name
    assert bgnbd.n_distinct_rows < 60_000  # whole days make most customers share a row


# --- data preparation and the holdout check ------------------------------------------------


def test_orders_summarise_to_hardies_cdnow_summary(cdnow, cdnow_orders):
    """Same-day orders merged, x = purchase days after the first, t_x and T in weeks to the
    calibration end 1997-09-30, zbar the mean repeat spend: Hardie's summary to its 2 decimals
    (zbar within half a cent of his rounding)."""
    summary = clv.summarise_orders(*cdnow_orders, end="1997-09-30", period_days=7)
    assert summary.customer_ids.tolist() == cdnow["ID"].astype(int).tolist()
    assert summary.x.tolist() == cdnow["x"].tolist()
    assert np.round(summary.t_x, 2).tolist() == cdnow["t_x"].tolist()
    assert np.round(summary.T, 2).tolist() == cdnow["T"].tolist()
    assert np.max(np.abs(summary.monetary - cdnow["zbar"])) <= 0.005 + 1e-9


def test_summarise_orders_merges_a_day_and_skips_later_customers():
    summary = clv.summarise_orders(
        ["b", "a", "a", "a", "a", "c"],
        ["2026-01-05", "2026-01-01", "2026-01-01", "2026-01-03", "2026-01-08", "2026-02-01"],
        [50, 10, 5, 30, 20, 99],
        end="2026-01-31",
    )
    assert summary.customer_ids.tolist() == ["a", "b"]
    assert summary.x.tolist() == [2, 0]
    assert summary.t_x.tolist() == [7, 0]
    assert summary.T.tolist() == [30, 26]
    assert summary.monetary.tolist() == [25, 0]


def test_calibration_holdout_on_cdnow(cdnow_orders):
    """Fit on weeks 1-39, check weeks 40-78 (to 1998-06-30) by calibration x."""
    check = clv.calibration_holdout(
        *cdnow_orders, calibration_end="1997-09-30", holdout_end="1998-06-30", period_days=7
    )
    assert three_figures(check.bgnbd.r) == "0.243"
    assert check.holdout_periods == 39
    assert check.total_actual == 1882
    assert round(check.total_predicted, 1) == 1653.4
    assert [(group.x, group.customers, group.actual) for group in check.groups] == [
        (0, 1411, 334),
        (1, 439, 306),
        (2, 214, 298),
        (3, 100, 156),
        (4, 62, 157),
        (5, 38, 112),
        (6, 29, 112),
        (7, 64, 407),
    ]
    assert [round(group.predicted, 1) for group in check.groups] == [
        317.6,
        229.7,
        223.4,
        152.0,
        134.2,
        100.8,
        101.6,
        394.1,
    ]
    assert check.to_json()["total"] == {"actual": 1882.0, "predicted": check.total_predicted}


def test_calibration_holdout_refuses_a_holdout_before_the_calibration_end(cdnow_orders):
    with pytest.raises(clv.FitError) as refused:
        clv.calibration_holdout(
            *cdnow_orders, calibration_end="1997-09-30", holdout_end="1997-09-30"
        )
    assert str(refused.value) == "the holdout end must be after the calibration end"


# --- refusals ------------------------------------------------------------------------------


def test_too_few_repeat_buyers_is_refused_in_words():
    with pytest.raises(clv.FitError) as refused:
        clv.fit_bgnbd([0, 0, 1, 2], [0, 0, 3, 5], [10, 10, 10, 10])
    assert refused.value.code == "too_few_repeat_buyers"
    assert str(refused.value) == (
        "only 2 customers bought more than once; the purchase model needs at least 20"
    )
    assert refused.value.details == {"repeat_buyers": 2, "minimum": 20}


def test_the_same_number_of_purchases_for_everyone_is_refused():
    with pytest.raises(clv.FitError) as refused:
        clv.fit_bgnbd([1] * 30, np.linspace(1, 9, 30), [10] * 30)
    assert refused.value.code == "no_variance"
    assert str(refused.value) == (
        "every customer made the same number of repeat purchases; the purchase model cannot "
        "tell customers apart"
    )


def test_the_same_spend_for_everyone_is_refused():
    with pytest.raises(clv.FitError) as refused:
        clv.fit_gamma_gamma(np.arange(1, 31), [20.0] * 30)
    assert refused.value.code == "no_variance"
    assert str(refused.value) == (
        "every repeat buyer spent the same amount per purchase; the spend model needs spend "
        "that varies between customers"
    )


def test_spend_without_differences_between_customers_does_not_converge():
    """Every customer drawn with the same ν: the spread of ν (q, γ) runs off to infinity."""
    rng = np.random.default_rng(3)
    x = rng.integers(1, 6, 500).astype(float)
    with pytest.raises(clv.FitError) as refused:
        clv.fit_gamma_gamma(x, rng.gamma(6.25 * x, 1 / 0.2) / x)
    assert refused.value.code == "did_not_converge"


def test_nobody_dropping_out_is_refused_naming_the_parameter():
    rng = np.random.default_rng(3)
    T = np.full(2000, 52.0)
    x = rng.poisson(rng.gamma(50, 1 / 10, 2000) * T).astype(float)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), 1), 0)
    with pytest.raises(clv.FitError) as refused:
        clv.fit_bgnbd(x, t_x, T)
    assert refused.value.code == "did_not_converge"
    assert str(refused.value) == (
        "the fit's parameter a ran off to zero or infinity; the data do not support the model "
        "(too little variation between customers)"
    )


@pytest.mark.parametrize(
    ("x", "t_x", "T", "message"),
    [
        ([1.5], [1], [2], "x must be whole numbers of at least 0"),
        ([1], [3], [2], "t_x must lie between 0 and T"),
        ([0], [1], [2], "t_x must be 0 for a customer with x = 0"),
        ([1], [0], [0], "T must be greater than 0"),
        ([1, 2], [1], [2], "x, t_x and T must have the same length"),
        ([float("nan")], [1], [2], "x has missing or infinite values"),
    ],
)
def test_impossible_customer_histories_are_refused(x, t_x, T, message):
    with pytest.raises(clv.FitError) as refused:
        clv.fit_bgnbd(x, t_x, T)
    assert (refused.value.code, str(refused.value)) == ("invalid_data", message)


def test_spend_with_an_infinite_mean_is_refused():
    with pytest.raises(clv.FitError) as refused:
        clv.expected_spend(published_gamma_gamma(q=0.9), [1], [10])
    assert refused.value.code == "infinite_mean_spend"
    assert refused.value.details == {"q": 0.9}
