"""RFM: the scoring rule, segment maps and parameters without a database; scores and segments on real DuckDB
stores (the real sample and tiny hand-made ones) with data contracts and the edge cases.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pytest
from fixtures.helpers import Line, make_store

from lgs_core.analyses import rfm
from lgs_core.errors import LgsError
from lgs_core.query.window import Window

# --- the scoring rule: pandas qcut semantics, exactly ---------------------------------------------------------


def _scores(values: Sequence[int], bins: int, reverse: bool = False) -> list[int]:
    cuts = rfm.DimensionCuts(
        "x", "quantile", "value", reverse, rfm.quantile_cuts([Fraction(v) for v in values], bins)
    )
    return [cuts.score(v) for v in values]


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("bins", [3, 4, 5])
def test_quantile_scores_equal_pandas_qcut(seed: int, bins: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(5, 300)
    values = [rng.randint(0, rng.choice([5, 50, 400])) for _ in range(n)]
    try:
        expected = pd.qcut(pd.Series(values), bins, labels=list(range(1, bins + 1))).astype(int).tolist()
    except ValueError:
        pytest.skip("pandas refuses duplicate edges here (we score them: see the collapsed-bins test)")
    assert _scores(values, bins) == expected
    reversed_expected = [bins + 1 - s for s in expected]
    assert _scores(values, bins, reverse=True) == reversed_expected


@pytest.mark.parametrize("n", [1, 2, 3, 7, 10, 262, 5878])
def test_rank_first_scores_equal_pandas(n: int) -> None:
    rng = random.Random(n)
    frequency = pd.Series([rng.choice([1, 1, 1, 2, 3, 8]) for _ in range(n)], index=range(1000, 1000 + n))
    ranks = frequency.rank(method="first")
    # pandas refuses a single value (duplicate edges); the rule gives it the lowest score
    expected = [1] if n == 1 else pd.qcut(ranks, 5, labels=[1, 2, 3, 4, 5]).astype(int).tolist()
    assert _scores([int(r) for r in ranks], 5) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([4, 4, 4, 4], [1, 1, 1, 1]),  # all equal: one score, no crash
        ([1] * 6 + [2, 3, 9, 10], [1] * 6 + [4, 4, 5, 5]),  # cuts 1,1,1.8,3.4: scores 2 and 3 stay empty
        ([7], [1]),
    ],
)
def test_collapsed_bins_keep_ties_together(values: list[int], expected: list[int]) -> None:
    assert _scores(values, 5) == expected
    assert _scores(values, 5, reverse=True) == [6 - s for s in expected]


@pytest.mark.parametrize(
    ("value", "score"),
    [(0, 5), (30, 5), (31, 4), (90, 4), (180, 3), (365, 2), (366, 1), (5000, 1)],
)
def test_fixed_recency_cuts_put_a_boundary_in_the_lower_bin(value: int, score: int) -> None:
    cuts = rfm.DimensionCuts(
        "recency", "fixed", "value", True, tuple(Fraction(c) for c in (30, 90, 180, 365))
    )
    assert cuts.score(value) == score


# --- segment maps ----------------------------------------------------------------------------------------------


def test_classic10_is_the_notebooks_regex_table() -> None:
    cells = rfm.CLASSIC10.lookup()
    assert len(cells) == 25
    assert Counter(cells.values()) == {
        "Hibernating": 4,
        "At Risk": 4,
        "Can't Lose": 2,
        "About to Sleep": 2,
        "Need Attention": 1,
        "Loyal Customers": 4,
        "Promising": 1,
        "New Customers": 1,
        "Potential Loyalists": 4,
        "Champions": 2,
    }
    assert (cells["11"], cells["25"], cells["33"], cells["44"], cells["51"], cells["55"], cells["42"]) == (
        "Hibernating",
        "Can't Lose",
        "Need Attention",
        "Loyal Customers",
        "New Customers",
        "Champions",
        "Potential Loyalists",
    )


def test_rfm11_is_the_11_segment_table() -> None:
    cells = rfm.RFM11.lookup()
    assert len(cells) == 25 and rfm.RFM11.axis == "fm"
    assert len(rfm.RFM11.segments) == 11
    assert (cells["11"], cells["12"], cells["33"], cells["45"], cells["13"]) == (
        "Lost",
        "Hibernating",
        "Potential Loyalists",
        "Champions",
        "At Risk",
    )


def _full_grid(bins: int = 5) -> dict[str, str]:
    return {
        f"{r}{f}": ("top" if r + f > bins else "rest") for r in range(1, bins + 1) for f in range(1, bins + 1)
    }


def test_a_grid_leaving_a_cell_unmapped_names_the_cell() -> None:
    grid = _full_grid()
    del grid["23"]
    with pytest.raises(LgsError, match="cell.* 23 unmapped"):
        rfm.RfmParams(segment_map=grid)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"61": "x"}, "outside the 5×5"), ({"11": " "}, "no segment name"), ({"1": "x"}, "outside")],
)
def test_a_bad_grid_is_refused(change: dict[str, str], message: str) -> None:
    with pytest.raises(LgsError, match=message):
        rfm.RfmParams(segment_map=_full_grid() | change)


def test_grid_from_a_json_file(tmp_path: Path) -> None:
    path = tmp_path / "grid.json"
    path.write_text(json.dumps(_full_grid(3)), encoding="utf-8")
    params = rfm.RfmParams(bins=3, segment_map=str(path))
    assert params.segments.segments == ("rest", "top") and params.segments.name == "grid.json"
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(LgsError, match="not a JSON object"):
        rfm.RfmParams(bins=3, segment_map=str(path))
    path.write_text("{", encoding="utf-8")
    with pytest.raises(LgsError, match="cannot read"):
        rfm.RfmParams(bins=3, segment_map=str(path))
    with pytest.raises(LgsError, match="no segment map named"):
        rfm.RfmParams(segment_map=str(tmp_path / "missing.json"))


# --- parameters -------------------------------------------------------------------------------------------------


def test_fixed_cuts_parse() -> None:
    cuts = rfm.FixedCuts.parse(rfm.EXAMPLE_FIXED_CUTS)
    assert cuts.recency == (Decimal(30), Decimal(90), Decimal(180), Decimal(365))
    assert cuts.monetary[-1] == Decimal(5000)
    assert rfm.FixedCuts.parse(cuts.to_text()) == cuts
    assert rfm.FixedCuts.parse("recency=10,20; frequency=1,3 ;monetary=£50,100").frequency == (
        Decimal(1),
        Decimal(3),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("r=30,90;f=1,2", "no cut points for monetary"),
        ("r=30,90;f=1,2;m=a,b", "not numbers"),
        ("r=90,30;f=1,2;m=1,2", "not increasing"),
        ("r=30;f=1,2;m=1,2", "needs 2 to 4"),
        ("r=1,2,3,4,5;f=1,2;m=1,2", "needs 2 to 4"),
        ("x=1,2", "cannot read"),
        ("r 30,90", "cannot read"),
    ],
)
def test_fixed_cuts_errors(text: str, message: str) -> None:
    with pytest.raises(LgsError, match=message):
        rfm.FixedCuts.parse(text)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"preset": "fancy"}, "unknown preset"),
        ({"scoring": "kmeans"}, "unknown scoring"),
        ({"bins": 2}, "2 bins"),
        ({"bins": 6}, "6 bins"),
        ({"scoring": "fixed"}, "without cut points"),
        ({"bins": 3}, "5×5 grid, but these scores make a 3×3"),
        ({"bins": 4, "segment_map": "rfm11"}, "4×4"),
    ],
)
def test_params_errors(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(LgsError, match=message):
        rfm.RfmParams(**kwargs)  # type: ignore[arg-type]


def test_params_defaults() -> None:
    assert rfm.RfmParams(preset="classic").effective_reference_date == date(2012, 1, 1)
    assert rfm.RfmParams().effective_reference_date is None
    assert rfm.RfmParams(preset="classic", reference_date=date(2011, 6, 1)).effective_reference_date == date(
        2011, 6, 1
    )
    assert rfm.RfmParams().to_json()["segment_map"] == "classic10"
    fixed = rfm.RfmParams(
        scoring="fixed", cuts=rfm.FixedCuts.parse("r=30,90;f=1,2;m=10,20"), segment_map=_full_grid(3)
    )
    assert fixed.bins_of("recency") == 3 and fixed.to_json()["cuts"] == "r=30,90;f=1,2;m=10,20"


# --- contracts on the real sample -------------------------------------------------------------------------------

PARAMS = [
    rfm.RfmParams(preset="classic"),
    rfm.RfmParams(),
    rfm.RfmParams(segment_map="rfm11"),
    rfm.RfmParams(preset="classic", segment_map="rfm11"),
    rfm.RfmParams(scoring="fixed", cuts=rfm.FixedCuts.parse(rfm.EXAMPLE_FIXED_CUTS)),
    rfm.RfmParams(bins=3, segment_map=_full_grid(3)),
]


@pytest.mark.parametrize("params", PARAMS, ids=lambda p: f"{p.preset}-{p.scoring}-{p.bins}-{p.segments.name}")
@pytest.mark.parametrize(
    "window", [Window(), Window(date(2010, 6, 1), date(2011, 5, 31), ("France", "Belgium"))]
)
def test_rfm_contracts(sample: duckdb.DuckDBPyConnection, params: rfm.RfmParams, window: Window) -> None:
    result = rfm.rfm(sample, window, params)
    customers = result.customers
    assert customers.columns == list(rfm.CUSTOMER_COLUMNS)
    assert customers.height > 0
    assert customers["customer_id"].is_unique().all() and customers["customer_id"].is_sorted()
    assert customers.null_count().row(0) == (0,) * customers.width
    assert set(customers["segment"].unique()) <= set(params.segments.segments)
    for letter in ("r", "f", "m", "fm"):
        assert customers[letter].is_between(1, params.bins_of("recency")).all()
    assert (customers["frequency"] >= 1).all() and (customers["recency_days"] >= 0).all()
    assert (customers["first_purchase"] <= customers["last_purchase"]).all()
    assert customers.select((pl.col("rfm") == pl.concat_str("r", "f", "m")).all()).item()
    if window.countries:
        assert set(customers["country"].unique()) <= set(window.countries)

    summary = result.summary()
    assert summary["segment"].to_list() == list(params.segments.segments)
    assert summary["customers"].sum() == customers.height  # Σ segment customers = RFM customers
    assert sum(summary["revenue"].to_list(), Decimal(0)) == sum(customers["monetary"].to_list(), Decimal(0))
    assert summary["customer_share"].sum() == pytest.approx(1.0)
    assert summary["revenue_share"].sum() == pytest.approx(1.0)

    grid = result.grid()
    assert grid.height == params.bins_of("recency") * params.bins_of("frequency")
    assert grid["customers"].sum() == customers.height
    by_segment = grid.group_by("segment").agg(pl.col("customers").sum())
    assert dict(by_segment.iter_rows()) == dict(summary.select("segment", "customers").iter_rows())

    for customer_id in customers["customer_id"].head(3):
        lines = result.explain(customer_id)
        assert lines[-1].endswith(customers.filter(pl.col("customer_id") == customer_id)["segment"][0])


def test_reference_dates(sample: duckdb.DuckDBPyConnection) -> None:
    assert rfm.rfm(sample, Window(), rfm.RfmParams(preset="classic")).reference_date == date(2012, 1, 1)
    # standard: the day after the last line in the window's dates (the sample ends 2011-12-09)
    assert rfm.rfm(sample, Window()).reference_date == date(2011, 12, 10)
    # ... of any country: a one-country window is measured from the same day as the others
    assert rfm.rfm(sample, Window(None, date(2011, 6, 30), ("Lebanon",))).reference_date == date(2011, 7, 1)


def test_explain_names_the_cut_points(sample: duckdb.DuckDBPyConnection) -> None:
    result = rfm.rfm(sample, Window(), rfm.RfmParams(preset="classic"))
    lines = result.explain(12349)
    assert lines[1].startswith("R=4: recency 40 days; quintile cut points 39, 67.6, 156, 386.2 days")
    assert "rank 148 of 260" in lines[2]
    assert lines[-1] == "segment: cell 43 of classic10 → Potential Loyalists"
    with pytest.raises(LgsError, match="no purchase in this window"):
        result.explain(99999)


# --- edge cases on tiny stores ------------------------------------------------------------------------------------


def test_empty_window(tmp_path: Path) -> None:
    con = make_store(tmp_path / "s.duckdb", [("1", "22111", 1, "2011-01-05 10:00", "2.00", 1, "France")])
    for params in (rfm.RfmParams(), rfm.RfmParams(preset="classic", segment_map="rfm11")):
        result = rfm.rfm(con, Window(date(2015, 1, 1), None), params)
        assert result.customers.is_empty() and result.customers.columns == list(rfm.CUSTOMER_COLUMNS)
        summary = result.summary()
        assert summary["customers"].sum() == 0 and summary["customer_share"].null_count() == summary.height
        assert result.grid()["customers"].sum() == 0
        assert result.cut_points.recency.cuts == ()


def test_single_customer(tmp_path: Path) -> None:
    con = make_store(
        tmp_path / "s.duckdb",
        [
            ("1", "22111", 2, "2011-12-08 10:00", "2.00", 42, "France"),
            ("2", "22112", 1, "2011-12-09 11:00", "3.00", 42, "France"),
        ],
    )
    for preset in ("classic", "standard"):
        row = rfm.rfm_customers(con, Window(), rfm.RfmParams(preset=preset)).row(0, named=True)
        assert (row["frequency"], row["monetary"]) == (2, Decimal(7))
        assert (row["r"], row["f"], row["m"], row["segment"]) == (5, 1, 1, "New Customers")
    assert rfm.rfm_customers(con, Window())["recency_days"][0] == 1  # standard: 2011-12-09 → 2011-12-10
    assert rfm.rfm_customers(con, Window(), rfm.RfmParams(preset="classic"))["recency_days"][0] == 22


def test_all_customers_with_the_same_frequency(tmp_path: Path) -> None:
    lines: list[Line] = [
        (str(100 + c), "22111", 1, f"2011-0{1 + c % 9}-05 10:00", f"{c}.00", c, "France")
        for c in range(1, 21)
    ]
    con = make_store(tmp_path / "s.duckdb", lines)
    standard = rfm.rfm_customers(con, Window())
    assert set(standard["f"]) == {1}  # ties kept together: one score for one frequency
    assert rfm.rfm_summary(con, Window())["customers"].sum() == 20
    classic = rfm.rfm_customers(con, Window(), rfm.RfmParams(preset="classic"))
    assert classic["f"].to_list() == [1] * 4 + [2] * 4 + [3] * 4 + [4] * 4 + [5] * 4  # rank "first": by id


def test_a_customer_with_only_cancellations_is_not_scored(tmp_path: Path) -> None:
    con = make_store(
        tmp_path / "s.duckdb",
        [
            ("1", "22111", 2, "2011-03-08 10:00", "2.00", 1, "France"),
            ("C2", "22111", -2, "2011-03-09 10:00", "2.00", 2, "France"),
            ("C3", "22112", -1, "2011-03-10 10:00", "5.00", 2, "France"),
        ],
    )
    for preset in ("classic", "standard"):
        result = rfm.rfm(con, Window(), rfm.RfmParams(preset=preset))
        assert result.customers["customer_id"].to_list() == [1]
        assert result.summary()["customers"].sum() == 1


def test_standard_differs_from_classic_as_documented(tmp_path: Path) -> None:
    con = make_store(
        tmp_path / "s.duckdb",
        [
            ("1", "22111", 10, "2011-03-08 10:00", "2.00", 1, "France"),
            ("1", "POST", 1, "2011-03-08 10:00", "18.00", 1, "France"),  # postage: classic only
            ("C2", "22111", -5, "2011-03-20 10:00", "2.00", 1, "France"),  # cancellation: nets standard
            ("3", "22112", 1, "2011-03-25 23:59", "0.00", 1, "France"),  # free line: a standard purchase
        ],
    )
    classic = rfm.rfm_customers(con, Window(), rfm.RfmParams(preset="classic")).row(0, named=True)
    standard = rfm.rfm_customers(con, Window()).row(0, named=True)
    assert (classic["frequency"], classic["monetary"]) == (1, Decimal(38))
    assert (standard["frequency"], standard["monetary"]) == (2, Decimal(10))
    assert classic["last_purchase"] == datetime(2011, 3, 8, 10, 0)
    assert standard["last_purchase"] == datetime(2011, 3, 25, 23, 59)
    assert standard["recency_days"] == 1  # reference 2011-03-26 (day after the last line)
    same_reference = rfm.RfmParams(preset="classic", reference_date=date(2011, 3, 26))
    assert rfm.rfm_customers(con, Window(), same_reference)["recency_days"][0] == 17  # floor(17 d 14 h)


def test_country_is_the_most_frequent_then_alphabetical(tmp_path: Path) -> None:
    con = make_store(
        tmp_path / "s.duckdb",
        [
            ("1", "22111", 1, "2011-03-08 10:00", "2.00", 1, "Spain"),
            ("1", "22112", 1, "2011-03-08 10:00", "2.00", 1, "Spain"),
            ("2", "22111", 1, "2011-03-09 10:00", "2.00", 1, "France"),
            ("3", "22111", 1, "2011-03-10 10:00", "2.00", 2, "Spain"),
            ("4", "22111", 1, "2011-03-11 10:00", "2.00", 2, "France"),
            ("5", "22111", 1, "2011-03-12 10:00", "2.00", 2, "France"),
        ],
    )
    countries = rfm.rfm_customers(con, Window()).select("customer_id", "country").rows()
    assert countries == [(1, "France"), (2, "France")]  # 1: one invoice each (tie → France); 2: France 2–1


def test_reference_before_the_last_purchase_is_a_user_error(tmp_path: Path) -> None:
    con = make_store(tmp_path / "s.duckdb", [("1", "22111", 1, "2011-03-08 10:00", "2.00", 1, "Spain")])
    with pytest.raises(LgsError, match="before the last purchase"):
        rfm.rfm(con, Window(), rfm.RfmParams(reference_date=date(2011, 3, 1)))


def test_rfm11_scores_r_against_fm(sample: duckdb.DuckDBPyConnection) -> None:
    result = rfm.rfm(sample, Window(), rfm.RfmParams(segment_map="rfm11"))
    customers = result.customers
    cuts = result.cut_points.fm
    for f, m, fm in customers.select("f", "m", "fm").iter_rows():
        assert fm == cuts.score(Fraction(f + m, 2))
    lookup = rfm.RFM11.lookup()
    assert all(lookup[f"{r}{fm}"] == seg for r, fm, seg in customers.select("r", "fm", "segment").iter_rows())
    assert "fm" in result.grid().columns


def test_definitions_cover_every_rfm_column(sample: duckdb.DuckDBPyConnection) -> None:
    from lgs_core.glossary import definition

    result = rfm.rfm(sample, Window(), rfm.RfmParams(segment_map="rfm11"))
    columns = set(result.customers.columns) | set(result.summary().columns) | set(result.grid().columns)
    columns |= {
        "reference_date",
        "classic10",
        "rfm11",
        "score_rule",
        "quantile_cuts",
        "collapsed_bins",
        "fixed_cuts",
    }
    assert sorted(c for c in columns if not definition(c)) == []
    for key in ("reference_date", "recency_days", "monetary", "quantile_cuts", "purchase"):
        assert definition(key, "classic") != definition(key, "standard"), key


# --- thresholds and rules in a marketer's words (issue #15) ---------------------------------------------------


@pytest.mark.parametrize(
    ("orders", "cut_point_score", "threshold_score"),
    [(1, 1, 1), (2, 1, 2), (3, 2, 3), (9, 4, 4), (10, 4, 5), (11, 5, 5)],
)
def test_at_least_10_orders_includes_10(orders: int, cut_point_score: int, threshold_score: int) -> None:
    numbers = ("2", "3", "5", "10")
    cut_points = rfm.FixedCuts(("30", "90", "180", "365"), numbers, ("100", "500", "1000", "5000"))
    thresholds = rfm.FixedCuts(cut_points.recency, numbers, cut_points.monetary, at_least=True)
    # The analyst's cut points keep the pandas rule (10 is not above the cut 10); thresholds include it.
    assert cut_points.dimension("frequency").score(orders) == cut_point_score
    assert thresholds.dimension("frequency").score(orders) == threshold_score
    # "within 30 days" includes day 30 under both readings
    assert thresholds.dimension("recency").score(30) == cut_points.dimension("recency").score(30) == 5


def _purchase_invoices(con: duckdb.DuckDBPyConnection) -> dict[int, int]:
    """Distinct orders per customer counted from the lines (DEFINITIONS.md `purchase`), not by lgs_core."""
    rows = con.sql(
        """
        select customer_id, count(distinct invoice)
        from lines
        where customer_id is not null and is_product and quantity > 0
            and not is_cancellation and not is_adjustment
        group by customer_id
        """
    ).fetchall()
    return {int(c): int(n) for c, n in rows}


def test_at_least_10_orders_scores_exactly_the_customers_with_10_or_more(
    sample: duckdb.DuckDBPyConnection,
) -> None:
    orders = _purchase_invoices(sample)
    ten_or_more = sorted(c for c, n in orders.items() if n >= 10)
    assert ten_or_more and any(n == 10 for n in orders.values()), "the sample has customers with exactly 10"
    thresholds = rfm.FixedCuts(
        ("30", "90", "180", "365"), ("2", "3", "5", "10"), ("100", "500", "1000", "5000"), at_least=True
    )
    params = rfm.RfmParams(scoring="fixed", cuts=thresholds)
    result = rfm.rfm(sample, Window(), params)
    assert sorted(result.customers.filter(pl.col("f") == 5)["customer_id"].to_list()) == ten_or_more
    # ... and explain() says so in the same words
    ten = next(c for c, n in orders.items() if n == 10)
    assert "thresholds 2, 3, 5, 10 invoices; 4 reached → F = 1 + 4" in "\n".join(result.explain(ten))
    assert params.to_json()["cuts_include_equal"] is True


def test_a_rule_lists_exactly_the_customers_it_names(sample: duckdb.DuckDBPyConnection) -> None:
    orders = _purchase_invoices(sample)
    result = rfm.rfm(sample, Window(), rfm.RfmParams())
    customers = result.customers
    assert result.reference_date is not None
    rule = rfm.CustomerRule(min_orders=10)
    assert sorted(rule.matches(customers)["customer_id"].to_list()) == sorted(
        c for c, n in orders.items() if n >= 10
    )
    # Last order within 30 days of the reference date, day 30 included, and at least £1,000 spent.
    rule = rfm.CustomerRule(within_days=30, min_orders=2, min_spend=Decimal("1000"))
    picked = rule.matches(customers)
    expected = customers.filter(
        (pl.col("recency_days") <= 30) & (pl.col("frequency") >= 2) & (pl.col("monetary") >= Decimal("1000"))
    )
    assert picked["customer_id"].to_list() == expected["customer_id"].to_list() and picked.height > 0
    edge = customers.row(0, named=True)  # a limit equal to a customer's own value includes them
    exact = rfm.CustomerRule(edge["recency_days"], edge["frequency"], edge["monetary"])
    assert edge["customer_id"] in exact.matches(customers)["customer_id"].to_list()
    since = result.reference_date.toordinal() - 30
    assert rule.describe(result.reference_date) == (
        f"last order within 30 days (on or after {date.fromordinal(since):%d %b %Y}), at least 2 orders, "
        "spent at least £1,000.00"
    )
    assert rfm.CustomerRule().matches(customers).height == customers.height


def test_thresholds_that_do_not_grow_say_so_in_words() -> None:
    with pytest.raises(LgsError, match="orders thresholds 2, 2, 5, 10 are not increasing"):
        rfm.FixedCuts(("30", "90", "180", "365"), ("2", "2", "5", "10"), ("1", "2", "3", "4"), at_least=True)
    with pytest.raises(LgsError, match="at least 0 orders"):
        rfm.CustomerRule(min_orders=0)
