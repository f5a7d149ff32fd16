"""Customer lifetime value: the BG/NBD and Gamma-Gamma fits against the published CDNOW values, the likelihoods'
gradients, the closed-form expectation against numerical integration, recovery of known parameters from
simulated customers, the purchase history by hand, the fit on LGS stores (1M lines timed), calibration, the CLI.

CDNOW (tests/data/cdnow/, see its README): 2,357 customers, 39-week calibration period, time in weeks.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import pytest
from fixtures.helpers import Line, make_store
from scipy import integrate, special

from lgs_core import cli
from lgs_core.analyses import clv
from lgs_core.errors import LgsError
from lgs_core.present import segment_charts
from lgs_core.query.window import Window
from lgs_core.sources.demo import load_demo
from lgs_core.store import store

CDNOW = (
    Path(__file__).resolve().parents[1] / "data" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"
)
UK = "United Kingdom"


@pytest.fixture(scope="module")
def cdnow() -> pl.DataFrame:
    return pl.read_csv(CDNOW)


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("clv") / "demo.duckdb"
    load_demo(db, rows=30_000, seed=7)
    return db


@pytest.fixture(scope="module")
def demo(demo_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = store.connect(demo_path, read_only=True)
    yield con
    con.close()


# --- the published values --------------------------------------------------------------------------------


def test_bg_nbd_fits_cdnow_as_published(cdnow: pl.DataFrame) -> None:
    assert cdnow.height == 2357
    fit = clv.fit_bg_nbd(cdnow["x"], cdnow["t_x"], cdnow["T"])
    # Fader, Hardie & Lee (2005), section 5: r = 0.243, α = 4.414, a = 0.793, b = 2.426; LL = −9582.4.
    assert (round(fit.r, 3), round(fit.alpha, 3), round(fit.a, 3), round(fit.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert round(fit.log_likelihood, 1) == -9582.4
    assert fit.customers == 2357
    # Their worked example: x = 2, t_x = 30.43, T = 38.86 expects 1.226 purchases in the next 39 weeks.
    assert round(float(fit.expected_purchases(39, [2], [30.43], [38.86])[0]), 3) == 1.226


def test_gamma_gamma_fits_cdnow_as_published(cdnow: pl.DataFrame) -> None:
    repeat = cdnow.filter(pl.col("x") > 0)
    fit = clv.fit_gamma_gamma(repeat["x"], repeat["zbar"])
    # Fader & Hardie (2013), "The Gamma-Gamma model of monetary value": p = 6.25, q = 3.74, γ = 15.44.
    # The maximum on this file's values (rounded to cents) is γ = 15.4477: lifetimes finds the same.
    assert (fit.p, fit.q, fit.gamma) == pytest.approx((6.25, 3.74, 15.44), abs=0.01)
    assert fit.customers == 946
    # The expected value shrinks a customer's mean towards the population mean, weighted by x.
    value = fit.expected_value([0, 1, 50], [math.nan, 100.0, 100.0])
    assert value[0] == pytest.approx(fit.p * fit.gamma / (fit.q - 1))
    assert value[0] < value[1] < value[2] < 100.0


# --- the mathematics ---------------------------------------------------------------------------------------


def _central_difference(fn: Callable[[np.ndarray], float], at: np.ndarray, step: float = 1e-5) -> np.ndarray:
    out = np.zeros_like(at)
    for i in range(at.size):
        shift = np.zeros_like(at)
        shift[i] = step
        out[i] = (fn(at + shift) - fn(at - shift)) / (2 * step)
    return out


@pytest.mark.parametrize(
    "point", [(0.243, 4.414, 0.793, 2.426), (1.5, 0.3, 2.5, 0.7), (0.05, 40.0, 0.2, 9.0)]
)
def test_bg_nbd_gradient(cdnow: pl.DataFrame, point: tuple[float, ...]) -> None:
    x, t_x, big_t = (cdnow[c].cast(pl.Float64).to_numpy() for c in ("x", "t_x", "T"))
    weights = np.ones_like(x)

    def value(log_params: np.ndarray) -> float:
        return clv._bg_nbd_negative_ll(log_params, x, t_x, big_t, weights)[0]

    def gradient(log_params: np.ndarray) -> np.ndarray:
        return clv._bg_nbd_negative_ll(log_params, x, t_x, big_t, weights)[1]

    at = np.log(np.array(point))
    assert gradient(at) == pytest.approx(_central_difference(value, at), rel=1e-5, abs=1e-4)
    # The value is the negative sum of the published per-customer likelihood.
    assert value(at) == pytest.approx(-clv.bg_nbd_log_likelihood(*point, x, t_x, big_t).sum())


@pytest.mark.parametrize("point", [(6.25, 3.74, 15.44), (0.8, 1.5, 300.0)])
def test_gamma_gamma_gradient(cdnow: pl.DataFrame, point: tuple[float, ...]) -> None:
    repeat = cdnow.filter(pl.col("x") > 0)
    x, m = repeat["x"].cast(pl.Float64).to_numpy(), repeat["zbar"].to_numpy()
    at = np.log(np.array(point))
    numeric = _central_difference(lambda p: clv._gamma_gamma_negative_ll(p, x, m)[0], at)
    assert clv._gamma_gamma_negative_ll(at, x, m)[1] == pytest.approx(numeric, rel=1e-5, abs=1e-4)


def _expected_by_integration(fit: clv.BgNbd, t: float, x: float, t_x: float, big_t: float) -> float:
    """E[Y(t) | x, t_x, T] = P(alive) × ∫ E[Y(t) | p, alive] Beta(p; a, b + x) dp, where λ | alive ~ Gamma(r + x,
    α + T) is integrated in closed form (QUADPACK's algebraic-weight rule takes the Beta density's end points)."""
    r, alpha, a, b = fit.r, fit.alpha, fit.a, fit.b

    def grow(p: float) -> float:
        if p == 0:
            return (r + x) * t / (alpha + big_t)
        return -math.expm1((r + x) * (math.log(alpha + big_t) - math.log(alpha + big_t + p * t))) / p

    inner, _ = integrate.quad(
        grow, 0, 1, weight="alg", wvar=(a - 1, b + x - 1), limit=200, epsabs=0, epsrel=1e-10
    )
    return inner / special.beta(a, b + x) * float(fit.p_alive([x], [t_x], [big_t])[0])


@pytest.mark.parametrize(
    "params",
    # CDNOW's; the LGS demo's and the real sample's (days); a > 1; a next to 1 (the closed form's 0/0).
    [
        (0.243, 4.414, 0.793, 2.426),
        (0.44, 25.8, 0.35, 3.4),
        (0.9, 92.0, 0.04, 0.8),
        (2.0, 10.0, 3.0, 5.0),
        (0.5, 5.0, 1.0 + 1e-9, 2.0),
    ],
)
def test_closed_form_expectation_equals_integration(params: tuple[float, float, float, float]) -> None:
    fit = clv.BgNbd(*params, log_likelihood=0.0, customers=0)
    cases = [(0, 0, 30), (1, 5, 30), (2, 30.43, 38.86), (12, 300, 700), (90, 700, 730), (236, 400, 409)]
    for x, t_x, big_t in cases:
        for t in (39.0, 90.0, 365.0):
            closed = float(fit.expected_purchases(t, [x], [t_x], [big_t])[0])
            assert closed == pytest.approx(_expected_by_integration(fit, t, x, t_x, big_t), rel=1e-8), (x, t)
            # The model's own fallback (used where the closed form fails) agrees too.
            by_quadrature = fit._if_alive_by_quadrature(t, x, big_t) * float(
                fit.p_alive([x], [t_x], [big_t])[0]
            )
            assert by_quadrature == pytest.approx(closed, rel=1e-8)


def test_new_customer_expectation_is_the_conditional_one_at_birth() -> None:
    fit = clv.BgNbd(0.243, 4.414, 0.793, 2.426, log_likelihood=0.0, customers=0)
    for t in (1.0, 39.0, 78.0):
        assert fit.expected_purchases_new(t) == pytest.approx(
            float(fit.expected_purchases(t, [0], [0], [0])[0])
        )
    # p_alive: 1 for a single purchase; falls the longer a repeat buyer has been silent.
    alive = fit.p_alive([0, 3, 3, 3], [0, 30, 20, 5], [38, 38, 38, 38])
    assert alive[0] == 1.0 and 1.0 > alive[1] > alive[2] > alive[3] > 0


def _simulate(
    r: float, alpha: float, a: float, b: float, n: int, big_t: float, seed: int
) -> tuple[np.ndarray, ...]:
    """Customers born at 0 and watched to T: Poisson purchases at rate λ ~ Gamma(r, α); after each repeat
    purchase they drop out with probability p ~ Beta(a, b) (the BG/NBD story, Fader, Hardie & Lee 2005)."""
    rng = np.random.default_rng(seed)
    rates = rng.gamma(r, 1 / alpha, n)
    drop = rng.beta(a, b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        now, count = 0.0, 0
        while True:
            now += rng.exponential(1 / rates[i])
            if now > big_t:
                break
            count += 1
            t_x[i] = now
            if rng.random() < drop[i]:
                break
        x[i] = count
    return x, t_x, np.full(n, big_t)


@pytest.mark.parametrize(("truth", "seed"), [((0.5, 6.0, 0.7, 2.5), 1), ((1.2, 5.0, 0.3, 4.0), 2)])
def test_bg_nbd_recovers_simulated_parameters(truth: tuple[float, float, float, float], seed: int) -> None:
    x, t_x, big_t = _simulate(*truth, n=6000, big_t=52.0, seed=seed)
    fit = clv.fit_bg_nbd(x, t_x, big_t)
    # The maximum is at least as likely as the truth, and near it.
    assert fit.log_likelihood >= clv.bg_nbd_log_likelihood(*truth, x, t_x, big_t).sum()
    for found, true in zip((fit.r, fit.alpha, fit.a, fit.b), truth, strict=True):
        assert found == pytest.approx(true, rel=0.3)
    # And it predicts the next year's purchases of the population about right.
    predicted = clv.BgNbd(*truth, 0.0, 0).expected_purchases(52.0, x, t_x, big_t).sum()
    assert fit.expected_purchases(52.0, x, t_x, big_t).sum() == pytest.approx(predicted, rel=0.05)


def test_gamma_gamma_recovers_simulated_parameters() -> None:
    rng = np.random.default_rng(3)
    p, q, gamma, n = 4.0, 3.0, 60.0, 5000
    nu = rng.gamma(q, 1 / gamma, n)  # each customer's scale: mean value p / ν
    x = rng.integers(1, 20, n).astype(float)
    m = np.array([rng.gamma(p, 1 / nu[i], int(x[i])).mean() for i in range(n)])
    fit = clv.fit_gamma_gamma(x, m)
    assert (fit.p, fit.q, fit.gamma) == pytest.approx((p, q, gamma), rel=0.15)


def test_input_checks() -> None:
    with pytest.raises(ValueError, match="t_x ≤ T"):
        clv.fit_bg_nbd([1], [5], [4])
    with pytest.raises(LgsError, match="no customer"):
        clv.fit_bg_nbd([], [], [])
    with pytest.raises(LgsError, match="too few to fit spend"):
        clv.fit_gamma_gamma([1, 2], [10.0, 20.0])


# --- the store's purchase history, by hand -----------------------------------------------------------------

# Customer 1: two invoices on 4 Jan (one transaction: £15), then 10 Jan (£20) and 20 Jan (£30), and a
# cancellation (ignored). Customer 2: one purchase on 25 Jan (£7). Customer 3: postage only (classic only).
LINES: list[Line] = [
    ("500001", "10001", 10, "2010-01-04 09:00", "1.00", 1, UK),
    ("500002", "10002", 5, "2010-01-04 15:00", "1.00", 1, UK),
    ("500003", "10001", 20, "2010-01-10 09:00", "1.00", 1, UK),
    ("500004", "10003", 15, "2010-01-20 09:00", "2.00", 1, UK),
    ("C500005", "10003", -5, "2010-01-21 09:00", "2.00", 1, UK),
    ("500006", "10001", 7, "2010-01-25 09:00", "1.00", 2, UK),
    ("500007", "POST", 1, "2010-01-26 09:00", "3.00", 3, UK),
]


def test_purchase_history_by_hand(tmp_path: Path) -> None:
    con = make_store(tmp_path / "h.duckdb", LINES)
    try:
        window = Window(date(2010, 1, 1), date(2010, 1, 31))
        history = clv.purchase_history(con, window)
        rows = {r["customer_id"]: r for r in history.iter_rows(named=True)}
        assert sorted(rows) == [1, 2]
        one, two = rows[1], rows[2]
        assert (one["purchase_days"], one["repeat_purchases"], one["recency_days"], one["age_days"]) == (
            3,
            2,
            16,
            28,
        )
        assert (one["total_spend"], one["mean_repeat_spend"]) == (Decimal("65"), Decimal("25"))
        assert (two["repeat_purchases"], two["recency_days"], two["age_days"], two["mean_repeat_spend"]) == (
            0,
            0,
            7,
            None,
        )
        assert one["holdout_purchases"] == 0
        # Hold out from 15 Jan: customer 1 has 4 and 10 Jan before, 20 Jan after; customer 2 is not born yet.
        held = clv.purchase_history(con, window, calibration_end=date(2010, 1, 15))
        assert held["customer_id"].to_list() == [1]
        row = held.row(0, named=True)
        assert (row["repeat_purchases"], row["recency_days"], row["age_days"], row["mean_repeat_spend"]) == (
            1,
            6,
            11,
            Decimal("20"),
        )
        assert (row["holdout_purchases"], row["holdout_spend"]) == (1, Decimal("30"))
        assert sorted(clv.purchase_history(con, window, "classic")["customer_id"].to_list()) == [1, 2, 3]
        with pytest.raises(LgsError, match="too few to fit the lifetime-value model"):
            clv.customer_value(con, window)
    finally:
        con.close()


# --- LGS stores ---------------------------------------------------------------------------------------------


def test_customer_value_on_demo(demo: duckdb.DuckDBPyConnection) -> None:
    result = clv.customer_value(demo, Window())
    frame = result.customers
    assert frame["customer_id"].is_unique().all()
    assert frame.height == clv.purchase_history(demo, Window()).height == result.bg_nbd.customers
    assert result.reference_date == date(2011, 12, 10)
    assert ((frame["p_alive"] > 0) & (frame["p_alive"] <= 1)).all()
    assert (frame.filter(pl.col("repeat_purchases") == 0)["p_alive"] == 1.0).all()
    e90, e180, e365 = (frame[clv.expected_column(h)] for h in (90, 180, 365))
    assert ((e90 >= 0) & (e90 <= e180) & (e180 <= e365)).all()
    assert (frame[clv.spend_column(365)] - e365 * frame["expected_value"]).abs().max() < 1e-6
    one_off = frame.filter(pl.col("repeat_purchases") == 0)["expected_value"]
    assert (one_off - result.gamma_gamma.population_mean).abs().max() < 1e-9
    # Sorted by the longest horizon's expected spend, highest first.
    assert frame[clv.spend_column(365)].is_sorted(descending=True)
    assert result.by_spend(90)[clv.spend_column(90)].is_sorted(descending=True)
    totals = result.totals()
    assert totals["expected_spend"].to_list() == pytest.approx(
        [frame[clv.spend_column(h)].sum() for h in (90, 180, 365)]
    )
    assert result.spend_frequency_correlation is not None and -1 <= result.spend_frequency_correlation <= 1
    with pytest.raises(LgsError, match="no prediction for 30 days"):
        result.by_spend(30)
    with pytest.raises(LgsError, match="horizon"):
        clv.customer_value(demo, Window(), horizons=[0])
    manifest = result.manifest(frame.head(3), "clv")
    assert manifest["rows"] == 3 and manifest["parameters"]["bg_nbd"]["r"] == result.bg_nbd.r
    assert manifest["reference_date"] == "2011-12-10"


def test_calibration_on_demo(demo: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    cal = clv.calibrate(demo, Window())
    assert (cal.calibration_end, cal.holdout_end, cal.holdout_days) == (
        date(2011, 6, 10),
        date(2011, 12, 9),
        183,
    )
    history = clv.purchase_history(demo, Window(), calibration_end=cal.calibration_end)
    assert cal.actual_total == history["holdout_purchases"].sum()
    deciles = cal.deciles
    assert deciles["decile"].to_list() == list(range(1, 11))
    assert deciles["customers"].sum() == cal.customers.height == history.height
    assert deciles["customers"].max() - deciles["customers"].min() <= 1
    assert deciles["predicted_mean"].is_sorted()
    # The demo's customers follow a buy-till-you-die process: the model predicts the holdout's total closely.
    assert cal.predicted_total == pytest.approx(cal.actual_total, rel=0.15)
    spec = segment_charts.calibration_chart(cal).to_dict()
    assert {t["field"] for t in spec["layer"][0]["encoding"]["tooltip"]} >= {"decile", "purchases"}
    png = segment_charts.save_calibration_png(cal, tmp_path / "cal.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with pytest.raises(LgsError, match="less than a month to fit on"):
        clv.calibrate(demo, Window(date(2011, 6, 1), date(2011, 12, 9)), holdout_months=6)


@pytest.mark.slow
def test_one_million_lines_in_under_30_seconds(tmp_path: Path) -> None:
    db = tmp_path / "1m.duckdb"
    load_demo(db, rows=1_000_000, seed=42)
    con = store.connect(db, read_only=True)
    try:
        started = time.perf_counter()
        result = clv.customer_value(con, Window())
        fitted = time.perf_counter() - started
        started = time.perf_counter()
        clv.calibrate(con, Window())
        calibrated = time.perf_counter() - started
    finally:
        con.close()
    assert result.customers.height > 5000
    assert fitted < 30 and calibrated < 30, (fitted, calibrated)


# --- the CLI ---------------------------------------------------------------------------------------------


def lgs(*argv: str) -> int:
    """``lgs ARGV`` through cli.main."""
    return cli.main(list(argv))


def test_cli_clv(demo_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(demo_path)
    assert lgs("clv", "--db", db, "--top", "3") == 0
    out = capsys.readouterr().out
    assert out.startswith("BG/NBD (days): r=") and "expected_spend_365d" in out
    assert lgs("clv", "--db", db, "--json", "--top", "1", "--horizon-days", "30", "--horizon-days", "60") == 0
    body = json.loads(capsys.readouterr().out)
    assert body["horizons_days"] == [30, 60] and len(body["customers"]) == 1
    assert set(body["customers"][0]) >= {"p_alive", "expected_purchases_30d", "expected_spend_60d"}
    out_file = tmp_path / "clv.csv"
    assert lgs("clv", "--db", db, "--out", str(out_file)) == 0
    manifest = json.loads(out_file.with_suffix(".manifest.json").read_text())
    assert manifest["rows"] == len(out_file.read_text().splitlines()) - 1
    assert manifest["parameters"]["horizons_days"] == [90, 180, 365]
    plot = tmp_path / "calibration.png"
    assert lgs("clv", "--db", db, "--calibrate", "--plot", str(plot)) == 0
    assert plot.read_bytes()[:4] == b"\x89PNG"
    assert "predicted_mean" in capsys.readouterr().out
    assert lgs("clv", "--db", db, "--plot", str(plot)) == 2
    assert lgs("clv", "--db", db, "--horizon-days", "0") == 2
    assert lgs("clv", "--db", db, "--calibrate", "--holdout-months", "0") == 2
    assert "holdout" in capsys.readouterr().err
