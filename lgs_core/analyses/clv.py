"""Customer lifetime value (issue #9; docs/SEGMENTATION.md "Customer lifetime value").

Two published models, fitted by maximum likelihood with scipy (docs/SEGMENTATION.md says why not a library):

- **BG/NBD** (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a customer buys
  at a Poisson rate λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b).
  Gives each customer's probability of still being active and expected purchases in the next t days.
- **Gamma-Gamma** (Fader & Hardie 2013, "The Gamma-Gamma model of monetary value"): a customer's purchase
  values vary around their own mean, which varies across customers; gives the expected value of a purchase.

Expected spend over a horizon = expected purchases × expected value per purchase (undiscounted pounds).

The data: a transaction is a purchase day (docs/SEGMENTATION.md); x = repeat purchase days, t_x = days from
the first to the last purchase day, T = days from the first purchase day to the reference date (the day
after the window's end). ``customer_value(con, window)`` fits and predicts; ``calibrate(con, window)`` holds
out the last months and compares predicted with actual purchases by decile.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
import numpy as np
import polars as pl
from numpy.typing import ArrayLike, NDArray
from scipy import integrate, optimize, special

from lgs_core import glossary
from lgs_core.analyses import export
from lgs_core.analyses.analytics import check_preset
from lgs_core.errors import LgsError
from lgs_core.query.run import run
from lgs_core.query.window import Window
from lgs_core.store import store

Array = NDArray[np.float64]

DEFAULT_HORIZONS: tuple[int, ...] = (90, 180, 365)
DEFAULT_HOLDOUT_MONTHS = 6
# Fewer customers than this cannot pin down four BG/NBD parameters (the published fit uses 2,357).
MIN_CUSTOMERS = 20
# Gamma-Gamma needs repeat buyers with a positive mean repeat value.
MIN_REPEAT_BUYERS = 10

DEFINITIONS: dict[str, str] = glossary.section("clv")  # docs/DEFINITIONS.md


# --- BG/NBD ------------------------------------------------------------------------------------------------


def _as_arrays(*values: ArrayLike) -> tuple[Array, ...]:
    return tuple(np.asarray(v, dtype=np.float64) for v in values)


def bg_nbd_log_likelihood(
    r: float, alpha: float, a: float, b: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> Array:
    """Each customer's log-likelihood under BG/NBD (Fader, Hardie & Lee 2005, eq. 6)."""
    xs, tx, big_t = _as_arrays(x, t_x, T)
    a1 = special.gammaln(r + xs) - special.gammaln(r) + r * math.log(alpha)
    a2 = special.betaln(a, b + xs) - special.betaln(a, b)
    a3 = -(r + xs) * np.log(alpha + big_t)
    repeat = xs > 0
    a4 = np.full_like(xs, -np.inf)
    a4[repeat] = math.log(a) - np.log(b + xs[repeat] - 1) - (r + xs[repeat]) * np.log(alpha + tx[repeat])
    out: Array = a1 + a2 + np.logaddexp(a3, a4)
    return out


def _bg_nbd_negative_ll(
    log_params: Array, x: Array, t_x: Array, T: Array, weights: Array
) -> tuple[float, Array]:
    """−Σ LL and its gradient with respect to the log parameters (analytic: digamma terms)."""
    r, alpha, a, b = np.exp(log_params)
    repeat = x > 0
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.full_like(x, -np.inf)
    a4[repeat] = math.log(a) - np.log(b + x[repeat] - 1) - (r + x[repeat]) * np.log(alpha + t_x[repeat])
    top = np.logaddexp(a3, a4)
    w3 = np.exp(a3 - top)
    w4 = np.exp(a4 - top)
    ll = (
        special.gammaln(r + x)
        - special.gammaln(r)
        + r * math.log(alpha)
        + special.betaln(a, b + x)
        - special.betaln(a, b)
        + top
    )
    log_tx = np.zeros_like(x)
    log_tx[repeat] = np.log(alpha + t_x[repeat])
    inv_tx = np.zeros_like(x)
    inv_tx[repeat] = 1 / (alpha + t_x[repeat])
    inv_b = np.zeros_like(x)
    inv_b[repeat] = 1 / (b + x[repeat] - 1)
    d_r = special.digamma(r + x) - special.digamma(r) + math.log(alpha) - w3 * np.log(alpha + T) - w4 * log_tx
    d_alpha = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) * inv_tx
    d_a = special.digamma(a + b) - special.digamma(a + b + x) + w4 / a
    d_b = special.digamma(a + b) + special.digamma(b + x) - special.digamma(b) - special.digamma(a + b + x)
    d_b = d_b - w4 * inv_b
    gradient = np.array(
        [
            np.dot(weights, d_r) * r,
            np.dot(weights, d_alpha) * alpha,
            np.dot(weights, d_a) * a,
            np.dot(weights, d_b) * b,
        ]
    )
    return -float(np.dot(weights, ll)), -gradient


@dataclass(frozen=True)
class BgNbd:
    """Fitted BG/NBD parameters (time in the unit of the data it was fitted on: days here, weeks for CDNOW)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float
    customers: int

    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
        """P(still active at T | x, t_x, T) (Fader, Hardie & Lee 2005, eq. 11); 1 when x = 0."""
        xs, tx, big_t = _as_arrays(x, t_x, T)
        out = np.ones_like(xs)
        repeat = xs > 0
        log_odds = (
            math.log(self.a)
            - np.log(self.b + xs[repeat] - 1)
            + (self.r + xs[repeat]) * (np.log(self.alpha + big_t[repeat]) - np.log(self.alpha + tx[repeat]))
        )
        out[repeat] = special.expit(-log_odds)
        return out

    def expected_purchases(self, t: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> Array:
        """E[purchases in (T, T + t] | x, t_x, T] (Fader, Hardie & Lee 2005, eq. 10)."""
        xs, tx, big_t = _as_arrays(x, t_x, T)
        if t <= 0:
            return np.zeros_like(xs)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + big_t + t)
        ratio = np.exp((r + xs) * (np.log(alpha + big_t) - np.log(alpha + big_t + t)))
        hyp = special.hyp2f1(r + xs, b + xs, a + b + xs - 1, z)
        if_alive = (a + b + xs - 1) / (a - 1) * (1 - ratio * hyp)
        bad = ~np.isfinite(if_alive) | (if_alive < 0)
        if bad.any() or abs(a - 1) < 1e-6:
            # Near a = 1 the closed form is 0/0, and 2F1 can lose precision: integrate over p instead.
            idx = np.flatnonzero(bad) if abs(a - 1) >= 1e-6 else np.arange(xs.size)
            for i in idx:
                if_alive[i] = self._if_alive_by_quadrature(t, float(xs[i]), float(big_t[i]))
        out: Array = if_alive * self.p_alive(xs, tx, big_t)
        return out

    def _if_alive_by_quadrature(self, t: float, x: float, T: float) -> float:
        """E[purchases in (T, T + t] | alive at T] = ∫ (1 − ((α+T)/(α+T+pt))^(r+x)) / p · Beta(p; a, b+x) dp:
        λ | alive ~ Gamma(r + x, α + T) is integrated in closed form; the p integral uses QUADPACK's rule for
        the algebraic end-point weight p^(a−1) (1−p)^(b+x−1) (infinite at 0 when a < 1)."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b

        def smooth(p: float) -> float:
            if p <= 0:
                return (r + x) * t / (alpha + T)  # the limit as p → 0
            return -math.expm1((r + x) * (math.log(alpha + T) - math.log(alpha + T + p * t))) / p

        value, _ = integrate.quad(
            smooth, 0.0, 1.0, weight="alg", wvar=(a - 1, b + x - 1), limit=200, epsabs=0.0, epsrel=1e-10
        )
        return float(value) / math.exp(float(special.betaln(a, b + x)))

    def expected_purchases_new(self, t: float) -> float:
        """E[X(t)] for a customer just acquired (eq. 9): purchases in their first t time units after it."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + t)
        return float(
            (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * special.hyp2f1(r, b, a + b - 1, z))
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "r": self.r,
            "alpha": self.alpha,
            "a": self.a,
            "b": self.b,
            "log_likelihood": self.log_likelihood,
            "customers": self.customers,
        }


def fit_bg_nbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, weights: ArrayLike | None = None) -> BgNbd:
    """Maximum-likelihood BG/NBD parameters. Identical (x, t_x, T) rows are pooled first (the likelihood is a
    sum over customers); the search runs on log parameters with the analytic gradient, from several starts."""
    xs, tx, big_t = _as_arrays(x, t_x, T)
    w = np.ones_like(xs) if weights is None else np.asarray(weights, dtype=np.float64)
    _check_history(xs, tx, big_t)
    pooled = np.unique(np.column_stack([xs, tx, big_t]), axis=0, return_inverse=True)
    rows, inverse = pooled[0], pooled[1].ravel()
    pooled_w = np.bincount(inverse, weights=w, minlength=rows.shape[0])
    px, ptx, pt = rows[:, 0], rows[:, 1], rows[:, 2]
    # Time is scaled so the oldest customer's T is 10: the four parameters then start on comparable scales.
    scale = 10.0 / float(pt.max())
    best: Any = None
    for start in ((1.0, 1.0, 1.0, 1.0), (0.5, 5.0, 0.5, 2.0), (2.0, 0.5, 2.0, 0.5)):
        found = optimize.minimize(
            _bg_nbd_negative_ll,
            np.log(np.array(start)),
            args=(px, ptx * scale, pt * scale, pooled_w),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-12.0, 12.0)] * 4,
            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
        )
        if best is None or found.fun < best.fun:
            best = found
    r, alpha_scaled, a, b = (float(v) for v in np.exp(best.x))
    alpha = alpha_scaled / scale
    ll = float(np.dot(pooled_w, bg_nbd_log_likelihood(r, alpha, a, b, px, ptx, pt)))
    return BgNbd(r=r, alpha=alpha, a=a, b=b, log_likelihood=ll, customers=int(round(w.sum())))


def _check_history(x: Array, t_x: Array, T: Array) -> None:
    if x.size == 0:
        raise LgsError(
            "no customer has a purchase to fit the model on",
            where="lifetime value",
            todo="widen the date range or clear the countries",
        )
    if (x < 0).any() or (t_x < 0).any() or (t_x > T).any() or ((x == 0) & (t_x != 0)).any():
        raise ValueError("BG/NBD needs x ≥ 0, 0 ≤ t_x ≤ T, and t_x = 0 when x = 0")


# --- Gamma-Gamma --------------------------------------------------------------------------------------------


def gamma_gamma_log_likelihood(p: float, q: float, gamma: float, x: ArrayLike, m: ArrayLike) -> Array:
    """Each repeat buyer's log-likelihood of their mean repeat value m given x (Fader & Hardie 2013, eq. 4)."""
    xs, ms = _as_arrays(x, m)
    px = p * xs
    out: Array = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * math.log(gamma)
        + (px - 1) * np.log(ms)
        + px * np.log(xs)
        - (px + q) * np.log(gamma + xs * ms)
    )
    return out


def _gamma_gamma_negative_ll(log_params: Array, x: Array, m: Array) -> tuple[float, Array]:
    p, q, gamma = np.exp(log_params)
    px = p * x
    log_sum = np.log(gamma + x * m)
    ll = (
        special.gammaln(px + q)
        - special.gammaln(px)
        - special.gammaln(q)
        + q * math.log(gamma)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * log_sum
    )
    d_p = x * (special.digamma(px + q) - special.digamma(px) + np.log(m) + np.log(x) - log_sum)
    d_q = special.digamma(px + q) - special.digamma(q) + math.log(gamma) - log_sum
    d_gamma = q / gamma - (px + q) / (gamma + x * m)
    gradient = np.array([d_p.sum() * p, d_q.sum() * q, d_gamma.sum() * gamma])
    return -float(ll.sum()), -gradient


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma parameters: p (shape of a customer's values), q and γ (of their mean across
    customers, γ in pounds). The population's mean value per purchase is p γ / (q − 1)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float
    customers: int

    @property
    def population_mean(self) -> float:
        return self.p * self.gamma / (self.q - 1)

    def expected_value(self, x: ArrayLike, m: ArrayLike) -> Array:
        """E[value of a purchase | x repeat purchases with mean m] (Fader & Hardie 2013, eq. 5); the population
        mean where x = 0 or m is unknown."""
        xs, ms = _as_arrays(x, m)
        known = (xs > 0) & np.isfinite(ms)
        out = np.full_like(xs, self.population_mean)
        out[known] = self.p * (self.gamma + xs[known] * ms[known]) / (self.p * xs[known] + self.q - 1)
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "p": self.p,
            "q": self.q,
            "gamma": self.gamma,
            "population_mean": self.population_mean,
            "log_likelihood": self.log_likelihood,
            "customers": self.customers,
        }


def fit_gamma_gamma(x: ArrayLike, m: ArrayLike) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma parameters from repeat buyers (x > 0) with a positive mean value m."""
    xs, ms = _as_arrays(x, m)
    keep = (xs > 0) & np.isfinite(ms) & (ms > 0)
    xs, ms = xs[keep], ms[keep]
    if xs.size < MIN_REPEAT_BUYERS:
        raise LgsError(
            f"only {xs.size} customer(s) bought on more than one day: too few to fit spend per purchase",
            where="lifetime value",
            todo=f"widen the date range (the spend model needs at least {MIN_REPEAT_BUYERS} repeat buyers)",
        )
    # Values are scaled to a mean of 10 so that γ starts on the scale of p and q.
    scale = 10.0 / float(ms.mean())
    best: Any = None
    for start in ((1.0, 1.0, 1.0), (5.0, 3.0, 10.0), (0.5, 5.0, 20.0)):
        found = optimize.minimize(
            _gamma_gamma_negative_ll,
            np.log(np.array(start)),
            args=(xs, ms * scale),
            jac=True,
            method="L-BFGS-B",
            bounds=[(-12.0, 12.0)] * 3,
            options={"maxiter": 2000, "ftol": 1e-14, "gtol": 1e-9},
        )
        if best is None or found.fun < best.fun:
            best = found
    p, q, gamma_scaled = (float(v) for v in np.exp(best.x))
    gamma = gamma_scaled / scale
    if q <= 1:
        raise LgsError(
            f"the spend model's q is {q:.3f} ≤ 1: purchase values are too heavy-tailed for a finite mean",
            where="lifetime value",
            todo="narrow the countries or use products only; very large wholesale days dominate the fit",
        )
    ll = float(gamma_gamma_log_likelihood(p, q, gamma, xs, ms).sum())
    return GammaGamma(p=p, q=q, gamma=gamma, log_likelihood=ll, customers=int(xs.size))


# --- the store's customers ----------------------------------------------------------------------------------

_HISTORY_SCHEMA: dict[str, Any] = {
    "customer_id": pl.Int32,
    "country": pl.String,
    "first_purchase": pl.Date,
    "last_purchase": pl.Date,
    "purchase_days": pl.Int32,
    "repeat_purchases": pl.Int32,
    "recency_days": pl.Int32,
    "age_days": pl.Int32,
    "total_spend": pl.Decimal(38, 3),
    "mean_repeat_spend": pl.Decimal(38, 3),
    "holdout_purchases": pl.Int32,
    "holdout_spend": pl.Decimal(38, 3),
}


def purchase_history(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    preset: str = "standard",
    *,
    calibration_end: date | None = None,
) -> pl.DataFrame:
    """One row per customer with a purchase in ``window`` before ``calibration_end`` (default: the day after
    the window's end): the model's x, t_x, T and spend, and what they did from ``calibration_end`` to the
    window's end (holdout_purchases, holdout_spend; zero without a holdout). Sorted by customer id."""
    chosen = check_preset(preset)
    params = window.params(con)
    holdout_end: datetime = params["end_excl"]
    cut = holdout_end if calibration_end is None else datetime.combine(calibration_end, time())
    frame = run(
        con,
        "segments/clv_customers",
        {**params, "classic": chosen == "classic", "calibration_end": cut, "holdout_end": holdout_end},
    )
    return frame.cast(_HISTORY_SCHEMA).select(list(_HISTORY_SCHEMA)).sort("customer_id")  # type: ignore[arg-type]


def _model_arrays(history: pl.DataFrame) -> tuple[Array, Array, Array, Array]:
    x = history["repeat_purchases"].cast(pl.Float64).to_numpy()
    t_x = history["recency_days"].cast(pl.Float64).to_numpy()
    big_t = history["age_days"].cast(pl.Float64).to_numpy()
    m = history["mean_repeat_spend"].cast(pl.Float64).fill_null(float("nan")).to_numpy()
    return x, t_x, big_t, m


def _require_customers(history: pl.DataFrame) -> None:
    if history.height < MIN_CUSTOMERS:
        raise LgsError(
            f"only {history.height} customer(s) bought in the date range: too few to fit the lifetime-value model",
            where="lifetime value",
            todo=f"widen the date range or clear the countries (at least {MIN_CUSTOMERS} customers)",
        )


def expected_column(horizon: int) -> str:
    return f"expected_purchases_{horizon}d"


def spend_column(horizon: int) -> str:
    return f"expected_spend_{horizon}d"


@dataclass(frozen=True)
class CustomerValue:
    """The fitted models and, per customer (``customers``): customer_id, country, first/last_purchase,
    purchase_days, repeat_purchases (x), recency_days (t_x), age_days (T), total_spend, mean_repeat_spend (£),
    p_alive, expected_purchases_{N}d and expected_spend_{N}d per horizon N, expected_value (£ per purchase);
    sorted by the longest horizon's expected spend, highest first (ties by customer id)."""

    window: Window
    preset: str
    reference_date: date
    horizons: tuple[int, ...]
    bg_nbd: BgNbd
    gamma_gamma: GammaGamma
    customers: pl.DataFrame
    # Gamma-Gamma assumes a customer's purchase values are independent of how often they buy: the
    # correlation between x and the mean repeat value among repeat buyers (near 0 supports it).
    spend_frequency_correlation: float | None
    data_version: str = ""

    def manifest(
        self, table: pl.DataFrame, what: str, filters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The manifest of an exported ``table``: the horizons and both fitted models."""
        params = {
            "preset": self.preset,
            "horizons_days": list(self.horizons),
            "bg_nbd": self.bg_nbd.to_json(),
            "gamma_gamma": self.gamma_gamma.to_json(),
        }
        return export.build_manifest(
            self.window,
            params,
            self.data_version,
            rows=table.height,
            what=what,
            reference_date=self.reference_date,
            filters=filters,
        )

    def by_spend(self, horizon: int) -> pl.DataFrame:
        """``customers`` by expected spend over ``horizon`` days (one of ``horizons``), highest first."""
        if horizon not in self.horizons:
            raise LgsError(
                f"no prediction for {horizon} days",
                where="horizon",
                todo=f"choose one of {', '.join(map(str, self.horizons))} days",
            )
        return self.customers.sort([spend_column(horizon), "customer_id"], descending=[True, False])

    def totals(self) -> pl.DataFrame:
        """Per horizon: customers, expected purchases and expected spend (£) over all customers."""
        rows = [
            {
                "horizon_days": h,
                "customers": self.customers.height,
                "expected_purchases": float(self.customers[expected_column(h)].sum()),
                "expected_spend": float(self.customers[spend_column(h)].sum()),
            }
            for h in self.horizons
        ]
        return pl.DataFrame(
            rows,
            schema={
                "horizon_days": pl.Int64,
                "customers": pl.Int64,
                "expected_purchases": pl.Float64,
                "expected_spend": pl.Float64,
            },
            orient="row",
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_json(),
            "preset": self.preset,
            "reference_date": self.reference_date.isoformat(),
            "horizons_days": list(self.horizons),
            "time_unit": "days",
            "bg_nbd": self.bg_nbd.to_json(),
            "gamma_gamma": self.gamma_gamma.to_json(),
            "spend_frequency_correlation": self.spend_frequency_correlation,
        }


def _check_horizons(horizons: Sequence[int]) -> tuple[int, ...]:
    chosen = tuple(dict.fromkeys(int(h) for h in horizons))
    if not chosen or any(h < 1 or h > 3650 for h in chosen):
        raise LgsError(
            f"horizon(s) {', '.join(map(str, horizons)) or '(none)'} days",
            where="--horizon-days",
            todo="give horizons of 1 to 3,650 days, e.g. 90, 180 and 365",
        )
    return chosen


def customer_value(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    *,
    horizons: Sequence[int] = DEFAULT_HORIZONS,
    preset: str = "standard",
) -> CustomerValue:
    """Fit BG/NBD and Gamma-Gamma on the window's purchases and predict each customer's next ``horizons``
    days from the day after the window's end (docs/SEGMENTATION.md "Customer lifetime value")."""
    chosen_horizons = _check_horizons(horizons)
    chosen = check_preset(preset)
    resolved = window.resolved(con)
    history = purchase_history(con, window, chosen)
    _require_customers(history)
    x, t_x, big_t, m = _model_arrays(history)
    bg = fit_bg_nbd(x, t_x, big_t)
    gg = fit_gamma_gamma(x, m)
    value = gg.expected_value(x, m)
    columns: list[pl.Series] = [pl.Series("p_alive", bg.p_alive(x, t_x, big_t))]
    for h in chosen_horizons:
        expected = bg.expected_purchases(float(h), x, t_x, big_t)
        columns.append(pl.Series(expected_column(h), expected))
        columns.append(pl.Series(spend_column(h), expected * value))
    columns.append(pl.Series("expected_value", value))
    longest = spend_column(max(chosen_horizons))
    customers = (
        history.drop("holdout_purchases", "holdout_spend")
        .with_columns(columns)
        .sort([longest, "customer_id"], descending=[True, False])
    )
    repeat = (x > 0) & np.isfinite(m)
    correlation = (
        float(np.corrcoef(x[repeat], m[repeat])[0, 1]) if repeat.sum() > 2 and np.std(m[repeat]) > 0 else None
    )
    reference = resolved.end + timedelta(days=1) if resolved.end is not None else date.today()
    return CustomerValue(
        window=resolved,
        preset=chosen,
        reference_date=reference,
        horizons=chosen_horizons,
        bg_nbd=bg,
        gamma_gamma=gg,
        customers=customers,
        spend_frequency_correlation=correlation,
        data_version=store.data_version(con),
    )


# --- calibration: hold out the last months -------------------------------------------------------------------


def _months_before(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    last_day = (date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(day.day, last_day))


@dataclass(frozen=True)
class Calibration:
    """A holdout check. ``customers``: customer_id, predicted (expected purchase days in the holdout),
    actual (purchase days in it), decile (1–10 by predicted, 10 highest); ``deciles``: decile, customers,
    predicted_mean, actual_mean, predicted_total, actual_total."""

    window: Window
    preset: str
    calibration_end: date  # the first held-out day: the reference date of the fit
    holdout_end: date  # the last held-out day
    bg_nbd: BgNbd
    customers: pl.DataFrame
    deciles: pl.DataFrame
    data_version: str = ""

    def manifest(self, table: pl.DataFrame, what: str) -> dict[str, Any]:
        params = {k: v for k, v in self.to_json().items() if k != "window"}
        return export.build_manifest(
            self.window,
            params,
            self.data_version,
            rows=table.height,
            what=what,
            reference_date=self.calibration_end,
        )

    @property
    def holdout_days(self) -> int:
        return (self.holdout_end - self.calibration_end).days + 1

    @property
    def predicted_total(self) -> float:
        return float(self.customers["predicted"].sum())

    @property
    def actual_total(self) -> int:
        return int(self.customers["actual"].sum())

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_json(),
            "preset": self.preset,
            "calibration_end": self.calibration_end.isoformat(),
            "holdout_end": self.holdout_end.isoformat(),
            "holdout_days": self.holdout_days,
            "bg_nbd": self.bg_nbd.to_json(),
            "customers": self.customers.height,
            "predicted_total": self.predicted_total,
            "actual_total": self.actual_total,
        }


def calibrate(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    *,
    holdout_months: int = DEFAULT_HOLDOUT_MONTHS,
    preset: str = "standard",
) -> Calibration:
    """Fit on the window less its last ``holdout_months`` months; compare predicted with actual purchase days
    in those months, per decile of prediction."""
    chosen = check_preset(preset)
    resolved = window.resolved(con)
    if resolved.start is None or resolved.end is None:
        raise LgsError("the store holds no data", where="lifetime value", todo="load data first")
    if not 1 <= holdout_months <= 24:
        raise LgsError(
            f"{holdout_months} holdout months", where="--holdout-months", todo="hold out 1 to 24 months"
        )
    holdout_start = _months_before(resolved.end + timedelta(days=1), holdout_months)
    if holdout_start <= resolved.start + timedelta(days=30):
        raise LgsError(
            f"holding out {holdout_months} months leaves less than a month to fit on",
            where="date range",
            todo="widen the date range or hold out fewer months",
        )
    history = purchase_history(con, resolved, chosen, calibration_end=holdout_start)
    _require_customers(history)
    x, t_x, big_t, _ = _model_arrays(history)
    bg = fit_bg_nbd(x, t_x, big_t)
    holdout_days = (resolved.end - holdout_start).days + 1
    predicted = bg.expected_purchases(float(holdout_days), x, t_x, big_t)
    customers = (
        history.select("customer_id", pl.col("holdout_purchases").alias("actual"))
        .with_columns(pl.Series("predicted", predicted))
        .sort(["predicted", "customer_id"])
    )
    n = customers.height
    customers = customers.with_columns(
        (pl.int_range(0, n, dtype=pl.Int64) * 10 // n + 1).cast(pl.Int8).alias("decile")
    ).select("customer_id", "predicted", "actual", "decile")
    deciles = (
        customers.group_by("decile")
        .agg(
            pl.len().cast(pl.Int64).alias("customers"),
            pl.col("predicted").mean().alias("predicted_mean"),
            pl.col("actual").cast(pl.Float64).mean().alias("actual_mean"),
            pl.col("predicted").sum().alias("predicted_total"),
            pl.col("actual").sum().cast(pl.Int64).alias("actual_total"),
        )
        .sort("decile")
    )
    return Calibration(
        window=resolved,
        preset=chosen,
        calibration_end=holdout_start,
        holdout_end=resolved.end,
        bg_nbd=bg,
        customers=customers.sort("customer_id"),
        deciles=deciles,
        data_version=store.data_version(con),
    )
