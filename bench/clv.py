"""Benchmark: fitting BG/NBD and Gamma-Gamma on many customers, Kesheng against ``lifetimes``.

Draws N customers from the models with the CDNOW estimates (BG/NBD r 0.243, α 4.414, a 0.793,
b 2.426 per week; Gamma-Gamma p 6.25, q 3.74, γ 15.44) with ``kesheng.analytics.clv
.simulate_customers``: first purchases over 12 weeks, 39 weeks observed, purchase dates in whole
days (t_x and T are whole days / 7), as a shop records them. Then times, on the same arrays:

- Kesheng: ``fit_bgnbd`` and ``fit_gamma_gamma`` from one row per customer, standard errors
  included (aggregating identical rows is part of the timed work), median of ``--runs``;
- ``lifetimes`` 0.11.3, installed by this script into a throwaway virtualenv (not a dependency
  of Kesheng) and run in a subprocess: ``BetaGeoFitter().fit(frequency, recency, T)`` and
  ``GammaGammaFitter().fit(frequency, monetary_value)`` on the repeat buyers, one row per
  customer and no ``weights=``, which is how its documentation fits (its fit includes its
  Hessian for the standard errors, as Kesheng's does).

Prints both times, both parameter sets, the relative difference of each parameter and the
ratio. Target (issue 9): Kesheng at least 20x faster, parameters equal to 3 significant figures.

    .venv/bin/python bench/clv.py                          # 1,000,000 customers
    .venv/bin/python bench/clv.py --customers 200000 --runs 5
    .venv/bin/python bench/clv.py --skip-lifetimes         # Kesheng only, no network needed

The virtualenv is kept in --lifetimes-venv (default: the system temp directory) so later runs
skip the install; delete it freely.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kesheng.analytics import clv  # noqa: E402

CDNOW_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
CDNOW_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}
LIFETIMES_VERSION = "0.11.3"
DEFAULT_VENV = Path(tempfile.gettempdir()) / "kesheng-bench-lifetimes-venv"

LIFETIMES_SCRIPT = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
data = np.load(sys.argv[1])
frame = pd.DataFrame({name: data[name] for name in ("frequency", "recency", "T", "monetary")})
started = time.perf_counter()
bgnbd = BetaGeoFitter().fit(frame["frequency"], frame["recency"], frame["T"])
bgnbd_seconds = time.perf_counter() - started
repeat = frame[frame["frequency"] > 0]
started = time.perf_counter()
gamma_gamma = GammaGammaFitter().fit(repeat["frequency"], repeat["monetary"])
gamma_gamma_seconds = time.perf_counter() - started
print(json.dumps({
    "bgnbd_seconds": bgnbd_seconds,
    "gamma_gamma_seconds": gamma_gamma_seconds,
    "bgnbd": {name: float(bgnbd.params_[name]) for name in ("r", "alpha", "a", "b")},
    "gamma_gamma": {name: float(gamma_gamma.params_[name]) for name in ("p", "q", "v")},
}))
"""


def ensure_lifetimes(venv_dir: Path) -> Path:
    """The throwaway virtualenv's python with lifetimes installed (created on first use)."""
    python = venv_dir / "bin" / "python"
    check = [str(python), "-c", "import lifetimes"]
    if python.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return python
    print(f"installing lifetimes {LIFETIMES_VERSION} into {venv_dir} (once) ...", flush=True)
    venv.create(venv_dir, with_pip=True, clear=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", f"lifetimes=={LIFETIMES_VERSION}"],
        check=True,
    )
    return python


def fit_kesheng(customers: clv.CustomerSummary) -> tuple[float, float, dict, dict]:
    started = time.perf_counter()
    bgnbd = clv.fit_bgnbd(customers.x, customers.t_x, customers.T)
    middle = time.perf_counter()
    gamma_gamma = clv.fit_gamma_gamma(customers.x, customers.monetary)
    ended = time.perf_counter()
    return middle - started, ended - middle, bgnbd, gamma_gamma


def fit_lifetimes(python: Path, customers: clv.CustomerSummary, workdir: Path) -> dict:
    data_file = workdir / "customers.npz"
    np.savez(
        data_file,
        frequency=customers.x,
        recency=customers.t_x,
        T=customers.T,
        monetary=customers.monetary,
    )
    result = subprocess.run(
        [str(python), "-c", LIFETIMES_SCRIPT, str(data_file)],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def significant(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--runs", type=int, default=3, help="Kesheng fits; the median is shown")
    parser.add_argument("--lifetimes-venv", type=Path, default=DEFAULT_VENV)
    parser.add_argument("--skip-lifetimes", action="store_true")
    arguments = parser.parse_args()

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
        f"{platform.python_version()}, NumPy {np.__version__}, load average "
        f"{os.getloadavg()[0]:.2f} (other work on the machine makes the times noisy)"
    )
    started = time.perf_counter()
    customers = clv.simulate_customers(
        arguments.customers,
        bgnbd=CDNOW_BGNBD,
        gamma_gamma=CDNOW_GAMMA_GAMMA,
        seed=arguments.seed,
    )
    distinct = len(np.unique(np.column_stack([customers.x, customers.t_x, customers.T]), axis=0))
    print(
        f"{arguments.customers:,} customers drawn in {time.perf_counter() - started:.1f} s: "
        f"{int((customers.x > 0).sum()):,} repeat buyers, {distinct:,} distinct (x, t_x, T) rows"
    )

    runs = [fit_kesheng(customers) for _ in range(arguments.runs)]
    bgnbd_seconds = statistics.median(run[0] for run in runs)
    gamma_gamma_seconds = statistics.median(run[1] for run in runs)
    kesheng_seconds = statistics.median(run[0] + run[1] for run in runs)
    _, _, bgnbd, gamma_gamma = runs[-1]
    print(
        f"\nKesheng   BG/NBD {bgnbd_seconds:6.2f} s  Gamma-Gamma {gamma_gamma_seconds:6.2f} s  "
        f"together {kesheng_seconds:6.2f} s (median of {arguments.runs})"
    )
    kesheng_params = {**bgnbd.params, **gamma_gamma.params}
    errors = {**bgnbd.standard_errors, **gamma_gamma.standard_errors}
    truth = {**CDNOW_BGNBD, **CDNOW_GAMMA_GAMMA}
    print(f"          log-likelihood {bgnbd.log_likelihood:,.2f}")
    for name, value in kesheng_params.items():
        print(
            f"          {name:<6} {value:10.5f}  (SE {errors[name]:.5f}; generated with "
            f"{truth[name]}, {(value - truth[name]) / errors[name]:+.1f} SE)"
        )
    if arguments.skip_lifetimes:
        return

    python = ensure_lifetimes(arguments.lifetimes_venv)
    with tempfile.TemporaryDirectory() as workdir:
        reference = fit_lifetimes(python, customers, Path(workdir))
    lifetimes_seconds = reference["bgnbd_seconds"] + reference["gamma_gamma_seconds"]
    print(
        f"\nlifetimes BG/NBD {reference['bgnbd_seconds']:6.2f} s  Gamma-Gamma "
        f"{reference['gamma_gamma_seconds']:6.2f} s  together {lifetimes_seconds:6.2f} s"
    )
    reference_params = {**reference["bgnbd"], **reference["gamma_gamma"]}
    reference_params["gamma"] = reference_params.pop("v")
    worst = 0.0
    for name, value in kesheng_params.items():
        other = reference_params[name]
        relative = abs(value - other) / abs(other)
        worst = max(worst, relative)
        same = "same" if significant(value) == significant(other) else "differs"
        print(
            f"          {name:<6} {other:10.5f}  |Δ|/|θ| {relative:.1e}  3 s.f. {same} "
            f"({significant(value)} / {significant(other)})"
        )
    print(
        f"\nratio (lifetimes / Kesheng, both models): {lifetimes_seconds / kesheng_seconds:.1f}x"
        f"   BG/NBD {reference['bgnbd_seconds'] / bgnbd_seconds:.1f}x"
        f"   Gamma-Gamma {reference['gamma_gamma_seconds'] / gamma_gamma_seconds:.1f}x"
        f"   largest relative parameter difference {worst:.1e}"
    )


if __name__ == "__main__":
    main()
