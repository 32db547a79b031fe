"""Key-driver analysis against brute-force regressions and a known synthetic truth."""

from itertools import combinations, permutations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kesheng.analytics.drivers import DriverAnalysisError, analyse_drivers


def regression_r_squared(y: np.ndarray, x: np.ndarray, columns: tuple[int, ...]) -> float:
    """R² of an ordinary least-squares fit with an intercept, computed from the raw data."""
    if not columns:
        return 0.0
    design = np.column_stack([np.ones(len(y)), x[:, list(columns)]])
    coefficients, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coefficients
    return 1 - residuals @ residuals / ((y - y.mean()) @ (y - y.mean()))


def brute_force_shapley(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The average gain in R² of each item over every order of entering (k! orders)."""
    k = x.shape[1]
    cache = {
        subset: regression_r_squared(y, x, subset)
        for size in range(k + 1)
        for subset in combinations(range(k), size)
    }
    gains = np.zeros(k)
    orders = list(permutations(range(k)))
    for order in orders:
        entered: tuple[int, ...] = ()
        for item in order:
            after = tuple(sorted((*entered, item)))
            gains[item] += cache[after] - cache[entered]
            entered = after
    return gains / len(orders)


def correlated_items(rng: np.random.Generator, rows: int, k: int) -> np.ndarray:
    common = rng.normal(size=(rows, 1))
    return 0.6 * common + rng.normal(size=(rows, k))


def test_shapley_weights_equal_a_brute_force_over_every_order():
    rng = np.random.default_rng(7)
    x = correlated_items(rng, 200, 4)
    y = x @ np.array([1.0, 0.5, 0.2, 0.0]) + rng.normal(size=200)
    analysis = analyse_drivers(y, x, ["a", "b", "c", "d"], method="shapley")
    expected = brute_force_shapley(y, x)
    found = {driver.name: driver.weight for driver in analysis.drivers}
    assert [found[name] for name in "abcd"] == pytest.approx(list(expected), abs=1e-10)
    assert analysis.r_squared == pytest.approx(regression_r_squared(y, x, (0, 1, 2, 3)))
    assert analysis.method == "shapley" and analysis.n == 200


def test_a_known_truth_is_recovered_in_order_and_share():
    # Independent items, y = 3·x1 + 1·x2 + 0·x3 + noise: the explained variance splits 9 : 1 : 0.
    rng = np.random.default_rng(11)
    x = rng.normal(size=(5000, 3))
    y = 3 * x[:, 0] + x[:, 1] + rng.normal(size=5000)
    analysis = analyse_drivers(y, x, ["speed", "price", "colour"])
    assert [driver.name for driver in analysis.drivers] == ["speed", "price", "colour"]
    shares = [driver.share for driver in analysis.drivers]
    assert shares[0] == pytest.approx(90, abs=1.5)
    assert shares[1] == pytest.approx(10, abs=1.5)
    assert shares[2] == pytest.approx(0, abs=0.5)
    assert analysis.r_squared == pytest.approx(10 / 11, abs=0.01)


def test_relative_weights_sum_to_r_squared_and_agree_with_shapley():
    rng = np.random.default_rng(3)
    x = correlated_items(rng, 1000, 6)
    y = x @ np.array([0.8, 0.6, 0.4, 0.2, 0.1, 0.0]) + rng.normal(size=1000)
    names = [f"q{number}" for number in range(6)]
    johnson = analyse_drivers(y, x, names, method="relative_weights")
    shapley = analyse_drivers(y, x, names, method="shapley")
    assert johnson.r_squared == pytest.approx(regression_r_squared(y, x, tuple(range(6))))
    by_name = {driver.name: driver.weight for driver in shapley.drivers}
    for driver in johnson.drivers:
        assert driver.weight == pytest.approx(by_name[driver.name], abs=0.01)


def test_many_items_use_relative_weights():
    rng = np.random.default_rng(5)
    x = correlated_items(rng, 600, 22)
    y = x[:, :5].sum(axis=1) + rng.normal(size=600)
    analysis = analyse_drivers(y, x, [f"s{number}" for number in range(22)])
    assert analysis.method == "relative_weights"
    assert sum(driver.share for driver in analysis.drivers) == pytest.approx(100)
    assert {driver.name for driver in analysis.drivers[:5]} == {"s0", "s1", "s2", "s3", "s4"}


def test_rows_with_a_missing_value_are_left_out():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 2))
    y = x[:, 0] + rng.normal(size=50)
    x[3, 1] = np.nan
    y[7] = np.nan
    assert analyse_drivers(y, x, ["a", "b"]).n == 48


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("few", "too few"),
        ("constant item", "every answer is the same for: b"),
        ("constant outcome", "outcome is the same"),
        ("collinear", "collinear"),
    ],
)
def test_data_that_cannot_support_a_fit_is_refused_with_a_reason(case, message):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 3))
    y = x[:, 0] + rng.normal(size=40)
    if case == "few":
        x, y = x[:4], y[:4]
    elif case == "constant item":
        x[:, 1] = 3.0
    elif case == "constant outcome":
        y[:] = 5.0
    else:
        x[:, 2] = x[:, 0] + 2 * x[:, 1]
    with pytest.raises(DriverAnalysisError, match=message):
        analyse_drivers(y, x, ["a", "b", "c"])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), k=st.integers(1, 6))
def test_shapley_weights_always_add_up_to_r_squared(seed, k):
    rng = np.random.default_rng(seed)
    x = correlated_items(rng, 60, k)
    y = x @ rng.normal(size=k) + rng.normal(size=60)
    analysis = analyse_drivers(y, x, [str(number) for number in range(k)], method="shapley")
    assert sum(driver.weight for driver in analysis.drivers) == pytest.approx(
        regression_r_squared(y, x, tuple(range(k))), abs=1e-9
    )
