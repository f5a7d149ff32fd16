"""Behaviour clusters (issue #18; docs/SEGMENTATION.md "Behaviour clusters"): k-means on RFM, each cluster
named in plain words from its profile.

- **Features**: RFM's recency (days), frequency (orders) and monetary (spend, £) of every customer with a
  purchase in the window (lgs_core.analyses.saved_segments.customer_facts: rfm_base's definitions), log-scaled
  (``log1p``; spend sign-preserving, as it can be ≤ 0 net of cancellations) so a wholesaler's £200,000 does
  not drown everyone else, then standardised (mean 0, standard deviation 1): each axis counts alike.
- **k**: k-means (scikit-learn, ``random_state`` = the seed, ``n_init`` = 10 starts) for every k of the range
  (default 3–8; the user can give 2–12); the k with the highest **silhouette** (−1 … 1: how much closer each customer is to its own
  cluster than to the next; computed on a seeded sample of up to 2,000 customers) wins, the smaller k on a tie.
  Same data, range and seed: the same clusters, numbered the same way (by median spend, highest first).
- **Names**: from the profile, never per cluster number: each centre's position on each axis in standard
  deviations from the average customer: recency below −0.5 "recent", above +0.5 "lapsed"; orders above +0.5
  "frequent", below −0.5 "one-off", else "occasional"; spend above +0.5 "big spenders", below −0.5 "small
  spenders", else "mid spenders" — e.g. "Recent frequent big spenders". Two clusters with the same words are
  told apart by the axis on which their centres differ most ("… (more recent)", "… (less recent)").
- **Why a customer is in a cluster**: its distance (in those standardised units) to every centre; k-means
  puts it in the nearest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import polars as pl
from numpy.typing import NDArray

from lgs_core import glossary
from lgs_core.analyses import export
from lgs_core.errors import LgsError
from lgs_core.query.window import Window

Array = NDArray[np.float64]

# From 3: two clusters win the silhouette on nearly any RFM data (the buyers and the lapsed, 0.43 against
# 0.37 for four on the 1M-line demo) and tell a marketer nothing the RFM grid does not.
DEFAULT_K_RANGE = (3, 8)
MAX_K = 12
DEFAULT_SEED = 42
SILHOUETTE_SAMPLE = 2_000
N_INIT = 10
# A centre this many standard deviations from the average customer is "high" or "low" on that axis.
LEVEL_Z = 0.5
FEATURES = ("recency_days", "frequency", "monetary")
_AXIS_WORDS = {  # (low, middle, high) words per axis; recency is low when recent
    "recency_days": ("recent", "", "lapsed"),
    "frequency": ("one-off", "occasional", "frequent"),
    "monetary": ("small spenders", "mid spenders", "big spenders"),
}
_MORE_LESS = {
    "recency_days": ("more recent", "less recent"),  # a lower recency is more recent
    "frequency": ("fewer orders", "more orders"),
    "monetary": ("lower spend", "higher spend"),
}

DEFINITIONS: dict[str, str] = glossary.section("clusters")  # docs/DEFINITIONS.md


def _features(recency: Array, frequency: Array, monetary: Array) -> Array:
    return np.column_stack(
        [np.log1p(recency), np.log1p(frequency), np.sign(monetary) * np.log1p(np.abs(monetary))]
    )


def quality_words(silhouette: float) -> str:
    if silhouette > 0.5:
        return "clear groups"
    if silhouette >= 0.25:
        return "reasonable groups"
    return "no clear groups"


@dataclass(frozen=True)
class ClusterWhy:
    """Why a customer is in their cluster: its values, and its distance to every centre (nearest first)."""

    customer_id: int
    cluster: int
    name: str
    values: dict[str, Any]
    distances: pl.DataFrame  # cluster, name, distance (nearest first)

    def lines(self) -> list[str]:
        nearest = self.distances.row(0, named=True)
        others = self.distances.slice(1)
        runner = others.row(0, named=True) if others.height else None
        text = [
            f"cluster {self.cluster}: {self.name} — the nearest centre, at distance {nearest['distance']:.2f}",
        ]
        if runner is not None:
            text.append(
                f"next nearest: cluster {runner['cluster']} ({runner['name']}) at {runner['distance']:.2f}"
            )
        return text


@dataclass(frozen=True)
class Clusters:
    """k-means clusters of a window's customers: the chosen k, its quality, the profile and each customer."""

    window: Window
    preset: str
    k: int
    k_range: tuple[int, int]
    seed: int
    silhouette: float
    silhouettes: pl.DataFrame  # k, silhouette
    profile: (
        pl.DataFrame
    )  # cluster, name, customers, share, revenue, revenue_share, medians, centre z per axis
    customers: pl.DataFrame  # customer_id, country, recency_days, frequency, monetary, cluster, name
    centres: tuple[tuple[float, float, float], ...]  # standardised feature space, by cluster number
    means: tuple[float, float, float]
    scales: tuple[float, float, float]
    data_version: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.profile["name"].to_list())

    @property
    def quality_text(self) -> str:
        return f"silhouette {self.silhouette:.2f} ({quality_words(self.silhouette)})"

    def why(self, customer_id: int) -> ClusterWhy:
        rows = self.customers.filter(pl.col("customer_id") == customer_id)
        if rows.is_empty():
            raise LgsError(
                f"customer {customer_id} has no purchase in this window",
                where="customer id",
                todo="choose a customer from the list, or widen the date range",
            )
        row = rows.row(0, named=True)
        point = (
            _features(
                np.array([float(row["recency_days"])]),
                np.array([float(row["frequency"])]),
                np.array([float(row["monetary"])]),
            )[0]
            - np.array(self.means)
        ) / np.array(self.scales)
        names = dict(zip(self.profile["cluster"].to_list(), self.profile["name"].to_list(), strict=True))
        distances = pl.DataFrame(
            {
                "cluster": list(range(1, self.k + 1)),
                "name": [names[i] for i in range(1, self.k + 1)],
                "distance": [float(np.linalg.norm(point - np.array(c))) for c in self.centres],
            }
        ).sort("distance", "cluster")
        return ClusterWhy(
            customer_id=customer_id,
            cluster=int(row["cluster"]),
            name=str(row["name"]),
            values={k: row[k] for k in FEATURES},
            distances=distances,
        )

    def members(self, cluster: int) -> pl.DataFrame:
        """A cluster's customers, biggest spender first (ties by customer id)."""
        return self.customers.filter(pl.col("cluster") == cluster).sort(
            ["monetary", "customer_id"], descending=[True, False]
        )

    def manifest(self, table: pl.DataFrame, what: str) -> dict[str, Any]:
        params = {
            "preset": self.preset,
            "k": self.k,
            "k_range": list(self.k_range),
            "seed": self.seed,
            "silhouette": round(self.silhouette, 4),
            "profile": [
                {"cluster": r["cluster"], "name": r["name"], "customers": r["customers"]}
                for r in self.profile.iter_rows(named=True)
            ],
        }
        return export.build_manifest(self.window, params, self.data_version, rows=table.height, what=what)

    def profile_table(self) -> pl.DataFrame:
        """The profile as the page shows it (money as float pounds)."""
        return self.profile.with_columns(
            pl.col("revenue").cast(pl.Float64), pl.col("median_spend").cast(pl.Float64)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "window": self.window.to_json(),
            "preset": self.preset,
            "k": self.k,
            "k_range": list(self.k_range),
            "seed": self.seed,
            "silhouette": round(self.silhouette, 4),
            "quality": quality_words(self.silhouette),
            "silhouettes": [
                {"k": int(r["k"]), "silhouette": round(float(r["silhouette"]), 4)}
                for r in self.silhouettes.iter_rows(named=True)
            ],
        }


def check_k_range(k_range: Sequence[int], customers: int | None = None) -> tuple[int, int]:
    low, high = (int(k) for k in k_range)
    if low > high:
        low, high = high, low
    if low < 2 or high > MAX_K:
        raise LgsError(
            f"a range of {low} to {high} clusters",
            where="number of clusters",
            todo=f"choose between 2 and {MAX_K} clusters",
        )
    return low, high


def cluster_customers(
    facts: pl.DataFrame,
    window: Window,
    *,
    preset: str = "standard",
    k_range: Sequence[int] = DEFAULT_K_RANGE,
    seed: int = DEFAULT_SEED,
    data_version: str = "",
) -> Clusters:
    """k-means on ``facts`` (one row per customer: customer_id, country, recency_days, frequency, monetary;
    ``saved_segments.customer_facts(...).frame``) for each k of ``k_range``; the k of the best silhouette."""
    from sklearn.cluster import KMeans  # scikit-learn: imported when clusters are asked for
    from sklearn.metrics import silhouette_score
    from threadpoolctl import threadpool_limits

    low, high = check_k_range(k_range)
    frame = facts.select("customer_id", "country", *FEATURES).sort("customer_id")
    n = frame.height
    distinct = frame.select(*FEATURES).unique().height
    if n < 3 or distinct <= low:
        raise LgsError(
            f"only {distinct:,} distinct customer profile(s) in the date range: too few to form {low} clusters",
            where="behaviour clusters",
            todo="widen the date range or clear the countries",
        )
    high = min(high, distinct - 1)
    raw = _features(
        frame["recency_days"].cast(pl.Float64).to_numpy(),
        frame["frequency"].cast(pl.Float64).to_numpy(),
        frame["monetary"].cast(pl.Float64).to_numpy(),
    )
    means = raw.mean(axis=0)
    scales = raw.std(axis=0)
    scales[scales == 0] = 1.0
    x = (raw - means) / scales
    sample = min(n, SILHOUETTE_SAMPLE)
    tried: list[tuple[int, float, Any]] = []
    # One thread: a few thousand points in 3 dimensions fit in milliseconds, and OpenMP's threads spinning on a
    # busy machine (app sessions, other processes) made the same fits 50× slower (3.1 s against 0.04 s for k=5).
    with threadpool_limits(limits=1):
        for k in range(low, high + 1):
            model = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(x)
            labels = model.labels_
            if len(set(labels.tolist())) < 2:
                continue
            score = float(silhouette_score(x, labels, sample_size=sample, random_state=seed))
            tried.append((k, score, model))
    if not tried:
        raise LgsError(
            "the customers fall into a single group", where="behaviour clusters", todo="widen the date range"
        )
    k, best, model = max(tried, key=lambda t: (t[1], -t[0]))
    labels = model.labels_
    centres = model.cluster_centers_
    # Number the clusters by median spend, highest first (ties: the centre's spend axis): stable across runs.
    monetary = frame["monetary"].cast(pl.Float64).to_numpy()
    order = sorted(
        range(k), key=lambda c: (-float(np.median(monetary[labels == c])), -float(centres[c][2]), c)
    )
    number = {old: new + 1 for new, old in enumerate(order)}
    ordered_centres = [centres[old] for old in order]
    names = name_clusters([tuple(float(v) for v in c) for c in ordered_centres])
    customers = frame.with_columns(
        pl.Series("cluster", [number[int(label)] for label in labels], dtype=pl.Int32)
    ).with_columns(
        pl.col("cluster")
        .replace_strict(dict(enumerate(names, start=1)), return_dtype=pl.String)
        .alias("name")
    )
    profile = _profile(customers, ordered_centres, names)
    silhouettes = pl.DataFrame(
        {"k": [t[0] for t in tried], "silhouette": [t[1] for t in tried]},
        schema={"k": pl.Int32, "silhouette": pl.Float64},
    )
    return Clusters(
        window=window,
        preset=preset,
        k=k,
        k_range=(low, high),
        seed=seed,
        silhouette=best,
        silhouettes=silhouettes,
        profile=profile,
        customers=customers,
        centres=tuple(tuple(float(v) for v in c) for c in ordered_centres),  # type: ignore[misc]
        means=tuple(float(v) for v in means),  # type: ignore[arg-type]
        scales=tuple(float(v) for v in scales),  # type: ignore[arg-type]
        data_version=data_version,
    )


def _level(z: float) -> int:
    return 0 if z < -LEVEL_Z else (2 if z > LEVEL_Z else 1)


def describe(centre: Sequence[float]) -> str:
    """The words of one centre (standardised recency, frequency, monetary): "recent frequent big spenders"."""
    words = [_AXIS_WORDS[axis][_level(z)] for axis, z in zip(FEATURES, centre, strict=True)]
    return " ".join(w for w in words if w)


def name_clusters(centres: Sequence[Sequence[float]]) -> list[str]:
    """A distinct plain-words name for each centre, from its position on each axis (see the module's doc)."""
    base = [describe(c) for c in centres]
    names = list(base)
    for text in set(base):
        same = [i for i, b in enumerate(base) if b == text]
        if len(same) < 2:
            continue
        # The axis on which these centres differ most tells them apart.
        spread = [max(centres[i][a] for i in same) - min(centres[i][a] for i in same) for a in range(3)]
        axis = int(np.argmax(spread))
        ranked = sorted(same, key=lambda i: centres[i][axis])
        lower, higher = _MORE_LESS[FEATURES[axis]]
        for position, i in enumerate(ranked):
            if len(ranked) == 2:
                tag = lower if position == 0 else higher
            else:
                tag = f"{lower if position < len(ranked) / 2 else higher}, {position + 1} of {len(ranked)}"
            names[i] = f"{base[i]} ({tag})"
    return [n[:1].upper() + n[1:] for n in names]


def _profile(customers: pl.DataFrame, centres: Sequence[Any], names: Sequence[str]) -> pl.DataFrame:
    total = customers.height
    revenue_all: Decimal = sum(customers["monetary"].to_list(), Decimal(0))
    rows = []
    for i, name in enumerate(names, start=1):
        part = customers.filter(pl.col("cluster") == i)
        revenue: Decimal = sum(part["monetary"].to_list(), Decimal(0))
        centre = centres[i - 1]
        rows.append(
            {
                "cluster": i,
                "name": name,
                "customers": part.height,
                "customer_share": part.height / total if total else None,
                "revenue": revenue,
                "revenue_share": float(revenue / revenue_all) if revenue_all > 0 else None,
                "median_recency_days": float(part["recency_days"].median() or 0),  # type: ignore[arg-type]
                "median_orders": float(part["frequency"].median() or 0),  # type: ignore[arg-type]
                "median_spend": Decimal(str(part["monetary"].cast(pl.Float64).median() or 0)).quantize(
                    Decimal("0.01")
                ),
                "recency_z": float(centre[0]),
                "orders_z": float(centre[1]),
                "spend_z": float(centre[2]),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "cluster": pl.Int32,
            "name": pl.String,
            "customers": pl.Int64,
            "customer_share": pl.Float64,
            "revenue": pl.Decimal(38, 3),
            "revenue_share": pl.Float64,
            "median_recency_days": pl.Float64,
            "median_orders": pl.Float64,
            "median_spend": pl.Decimal(38, 2),
            "recency_z": pl.Float64,
            "orders_z": pl.Float64,
            "spend_z": pl.Float64,
        },
        orient="row",
    )


def silhouette_text(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.2f}"
