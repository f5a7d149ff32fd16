"""Behaviour clusters (lgs_core.analyses.clusters): k by silhouette, names from the profile, reproducible, explained."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import numpy as np
import polars as pl
import pytest

from lgs_core.analyses.clusters import (
    DEFAULT_K_RANGE,
    cluster_customers,
    describe,
    name_clusters,
    quality_words,
)
from lgs_core.analyses.saved_segments import customer_facts
from lgs_core.errors import LgsError
from lgs_core.present import segment_charts
from lgs_core.query.window import Window

WINDOW = Window()


def synthetic(seed: int = 7) -> pl.DataFrame:
    """Three groups a marketer would name at a glance, 120 customers each, with noise."""
    rng = np.random.default_rng(seed)
    groups = [  # recency days, orders, spend £ (medians)
        (5, 20, 10_000),
        (400, 1, 50),
        (60, 4, 600),
    ]
    rows = []
    customer = 10_000
    for recency, orders, spend in groups:
        for _ in range(120):
            customer += 1
            rows.append(
                {
                    "customer_id": customer,
                    "country": "France",
                    "recency_days": max(1, int(recency * rng.lognormal(0, 0.15))),
                    "frequency": max(1, int(round(orders * rng.lognormal(0, 0.15)))),
                    "monetary": Decimal(str(round(spend * rng.lognormal(0, 0.15), 2))),
                }
            )
    return pl.DataFrame(
        rows,
        schema={
            "customer_id": pl.Int32,
            "country": pl.String,
            "recency_days": pl.Int32,
            "frequency": pl.Int32,
            "monetary": pl.Decimal(38, 3),
        },
    )


def test_k_is_the_best_silhouette_and_the_clusters_are_named_from_their_profile() -> None:
    result = cluster_customers(synthetic(), WINDOW, k_range=(2, 6))
    assert result.silhouettes["k"].to_list() == [2, 3, 4, 5, 6]
    assert result.k == 3
    assert result.silhouette == max(result.silhouettes["silhouette"].to_list())
    assert result.silhouette > 0.5 and "clear groups" in result.quality_text
    # numbered by median spend, highest first; each name from where its centre lies
    assert result.names == (
        "Recent frequent big spenders",
        "Occasional mid spenders",
        "Lapsed one-off small spenders",
    )
    assert result.profile["customers"].to_list() == [120, 120, 120]
    assert result.profile["customer_share"].sum() == pytest.approx(1.0)


def test_the_same_data_and_seed_give_the_same_clusters() -> None:
    facts = synthetic()
    first = cluster_customers(facts, WINDOW, seed=3)
    again = cluster_customers(
        facts.sample(fraction=1.0, shuffle=True, seed=1), WINDOW, seed=3
    )  # row order aside
    assert first.customers.equals(again.customers)
    assert first.profile.equals(again.profile)


def test_why_a_customer_is_in_a_cluster_is_its_nearest_centre() -> None:
    result = cluster_customers(synthetic(), WINDOW, k_range=(2, 6))
    for customer_id, cluster in result.customers.select("customer_id", "cluster").rows():
        why = result.why(customer_id)
        assert why.cluster == cluster == why.distances["cluster"][0]
        assert why.distances["distance"].is_sorted()
    lines = result.why(10_001).lines()
    assert lines[0].startswith("cluster 1: Recent frequent big spenders — the nearest centre, at distance")
    assert lines[1].startswith("next nearest: cluster")
    with pytest.raises(LgsError, match="no purchase"):
        result.why(1)


def test_the_user_chooses_the_range() -> None:
    assert cluster_customers(synthetic(), WINDOW, k_range=(5, 5)).k == 5
    assert DEFAULT_K_RANGE == (3, 8)
    for bad in ((1, 3), (2, 13), (0, 0)):
        with pytest.raises(LgsError, match="between 2 and 12"):
            cluster_customers(synthetic(), WINDOW, k_range=bad)


def test_too_few_customers_say_so() -> None:
    with pytest.raises(LgsError, match="too few"):
        cluster_customers(synthetic().head(3), WINDOW)


@pytest.mark.parametrize(
    ("centre", "words"),
    [
        ((-1.0, 1.0, 1.0), "recent frequent big spenders"),
        ((1.0, -1.0, -1.0), "lapsed one-off small spenders"),
        ((0.0, 0.0, 0.0), "occasional mid spenders"),
        ((-0.6, 0.4, 0.6), "recent occasional big spenders"),
    ],
)
def test_words_of_a_centre(centre: tuple[float, float, float], words: str) -> None:
    assert describe(centre) == words


def test_clusters_with_the_same_words_are_told_apart() -> None:
    names = name_clusters([(-1.0, 1.0, 1.0), (-0.9, 1.6, 1.1), (1.0, -1.0, -1.0)])
    assert names == [
        "Recent frequent big spenders (fewer orders)",
        "Recent frequent big spenders (more orders)",
        "Lapsed one-off small spenders",
    ]
    three = name_clusters([(0.0, 0.0, 0.0), (0.1, 0.0, 0.0), (0.2, 0.0, 0.0)])
    assert len(set(three)) == 3


def test_quality_in_words() -> None:
    assert [quality_words(s) for s in (0.7, 0.3, 0.1)] == [
        "clear groups",
        "reasonable groups",
        "no clear groups",
    ]


def test_clusters_of_the_real_sample(sample: duckdb.DuckDBPyConnection) -> None:
    facts = customer_facts(sample, WINDOW)
    result = cluster_customers(facts.frame, facts.window)
    assert DEFAULT_K_RANGE[0] <= result.k <= DEFAULT_K_RANGE[1]
    assert len(set(result.names)) == result.k
    assert result.profile["customers"].sum() == facts.customers
    assert result.profile["revenue"].sum() == facts.frame["monetary"].sum()
    assert segment_charts.cluster_scatter(result).to_dict()["mark"]["type"] == "circle"
    assert result.to_json()["k"] == result.k
