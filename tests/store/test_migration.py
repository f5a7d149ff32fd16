"""Segment migration: a hand-computed matrix with fixed cut points (every score checkable by hand), the New and
Lapsed states, reconciliation with RFM on the real sample, the customers behind a cell, errors, the flow
chart's spec and the CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import duckdb
import polars as pl
import pytest
from fixtures.helpers import Line, make_store

from lgs_core import cli
from lgs_core.analyses import migration, rfm
from lgs_core.errors import LgsError
from lgs_core.present import segment_charts
from lgs_core.query.window import Window
from lgs_core.store import store

UK = "United Kingdom"
FROM, TO = date(2010, 7, 1), date(2011, 1, 1)
WINDOW = Window(start=date(2010, 1, 1))
# Fixed cuts: recency 30/90/180/365 days, frequency 1/2/5/10 invoices (classic10 reads R and F only).
PARAMS = rfm.RfmParams(
    scoring="fixed", cuts=rfm.FixedCuts.parse("r=30,90,180,365;f=1,2,5,10;m=100,500,1000,5000")
)


def _invoices(customer: int, day: str, count: int, first_number: int) -> list[Line]:
    return [(str(first_number + i), "10001", 1, f"{day} 10:00", "10.00", customer, UK) for i in range(count)]


# At 1 Jul 2010 (recency to it; F from invoices) → at 1 Jan 2011:
# A: 6 invoices 20 Jun → R5 F4 Champions; nothing after → Lapsed (its score: R2 F4 At Risk).
# B: 6 invoices 25 Jun, 1 on 1 Aug → Champions → R3 (153 days) F4 Loyal Customers.
# C: 1 invoice 10 Sep → New → R3 (113 days) F1 About to Sleep.
# D: 1 invoice 1 Feb → R3 (150 days) F1 About to Sleep → Lapsed (R2, 334 days: Hibernating).
# E: 12 invoices 20 Dec → New → R5 F5 Champions.
# F: 1 invoice 1 Mar, 1 on 1 Dec → About to Sleep (122 days) → R4 (31 days) F2 Potential Loyalists.
LINES: list[Line] = [
    *_invoices(1, "2010-06-20", 6, 500100),
    *_invoices(2, "2010-06-25", 6, 500200),
    *_invoices(2, "2010-08-01", 1, 500210),
    *_invoices(3, "2010-09-10", 1, 500300),
    *_invoices(4, "2010-02-01", 1, 500400),
    *_invoices(5, "2010-12-20", 12, 500500),
    *_invoices(6, "2010-03-01", 1, 500600),
    *_invoices(6, "2010-12-01", 1, 500610),
]


@pytest.fixture
def tiny(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = make_store(tmp_path / "tiny.duckdb", LINES)
    yield con
    con.close()


def _nonzero(result: migration.Migration) -> dict[tuple[str, str], int]:
    flows = result.flows().filter(pl.col("customers") > 0)
    return {(r["from_state"], r["to_state"]): r["customers"] for r in flows.iter_rows(named=True)}


def test_matrix_by_hand(tiny: duckdb.DuckDBPyConnection) -> None:
    result = migration.migration(tiny, WINDOW, FROM, TO, PARAMS)
    assert _nonzero(result) == {
        ("New", "About to Sleep"): 1,
        ("New", "Champions"): 1,
        ("About to Sleep", "Potential Loyalists"): 1,
        ("About to Sleep", "Lapsed"): 1,
        ("Champions", "Loyal Customers"): 1,
        ("Champions", "Lapsed"): 1,
    }
    assert (result.from_customers, result.to_customers) == (4, 6)
    assert (result.new_customers, result.lapsed_customers) == (2, 2)
    assert result.from_states == ("New", *rfm.CLASSIC10.segments)
    assert result.to_states == (*rfm.CLASSIC10.segments, "Lapsed")
    a = result.customers.filter(pl.col("customer_id") == 1).row(0, named=True)
    assert (a["from_rfm"][:2], a["to_rfm"][:2], a["to_segment"], a["lapsed"]) == ("54", "24", "At Risk", True)
    assert (a["from_recency_days"], a["to_recency_days"]) == (11, 195)
    matrix = result.matrix()
    assert matrix.columns == ["from_state", *result.to_states, "total"]
    assert matrix["total"].to_list() == [2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 2]
    shares = result.flows().filter(pl.col("from_state") == "Champions", pl.col("customers") > 0)
    assert shares["share_of_from"].to_list() == [0.5, 0.5]


def test_lapsed_off_keeps_the_second_segment(tiny: duckdb.DuckDBPyConnection) -> None:
    result = migration.migration(tiny, WINDOW, FROM, TO, PARAMS, lapsed_as_state=False)
    cells = _nonzero(result)
    assert cells[("Champions", "At Risk")] == 1  # "who slipped from Champions to At Risk": customer 1
    assert cells[("About to Sleep", "Hibernating")] == 1
    assert "Lapsed" not in result.to_states
    assert result.cell("Champions", "At Risk")["customer_id"].to_list() == [1]
    assert result.lapsed_customers == 2  # still flagged


def test_cell_names_are_forgiving_and_checked(tiny: duckdb.DuckDBPyConnection) -> None:
    result = migration.migration(tiny, WINDOW, FROM, TO, PARAMS)
    assert result.cell(" champions ", "lapsed")["customer_id"].to_list() == [1]
    assert result.cell("Can't Lose", "Champions").is_empty()
    with pytest.raises(LgsError, match="no to state named 'Gone'.*Lapsed"):
        result.cell("Champions", "Gone")


@pytest.mark.parametrize(
    ("window", "first", "second", "message"),
    [
        (WINDOW, TO, FROM, "not before the second"),
        (WINDOW, FROM, FROM, "not before the second"),
        (WINDOW, date(2010, 1, 1), TO, "not after the date range's start"),
        (Window(date(2010, 1, 1), date(2010, 12, 30)), FROM, TO, "after the day after the date range's end"),
    ],
)
def test_bad_dates(
    tiny: duckdb.DuckDBPyConnection, window: Window, first: date, second: date, message: str
) -> None:
    with pytest.raises(LgsError, match=message):
        migration.migration(tiny, window, first, second, PARAMS)


def test_window_end_may_be_the_day_before_the_second_date(tiny: duckdb.DuckDBPyConnection) -> None:
    window = Window(date(2010, 1, 1), TO - timedelta(days=1))
    assert migration.migration(tiny, window, FROM, TO, PARAMS).to_customers == 6


def test_default_reference_dates(tiny: duckdb.DuckDBPyConnection) -> None:
    # A year before the day after the end, unless that is not after the start: then halfway.
    assert migration.default_reference_dates(tiny, Window()) == (date(2010, 7, 12), date(2010, 12, 21))
    assert migration.default_reference_dates(tiny, Window(date(2010, 6, 1), date(2010, 12, 31))) == (
        date(2010, 9, 16),
        date(2011, 1, 1),
    )


# --- the real sample: reconciliation ---------------------------------------------------------------------


@pytest.mark.parametrize("segment_map", ["classic10", "rfm11"])
@pytest.mark.parametrize("preset", ["standard", "classic"])
def test_sample_reconciles_with_rfm(sample: duckdb.DuckDBPyConnection, segment_map: str, preset: str) -> None:
    first, second = date(2011, 1, 1), date(2011, 12, 10)
    params = rfm.RfmParams(preset=preset, segment_map=segment_map)
    result = migration.migration(sample, Window(), first, second, params, lapsed_as_state=False)
    before = rfm.rfm(
        sample, Window(end=first - timedelta(days=1)), rfm.RfmParams(preset, first, segment_map=segment_map)
    )
    after = rfm.rfm(
        sample, Window(end=second - timedelta(days=1)), rfm.RfmParams(preset, second, segment_map=segment_map)
    )
    matrix = result.matrix()
    # Rows: the first date's segments (and New); columns: the second date's segments; the total: everyone.
    rows = dict(zip(matrix["from_state"], matrix["total"], strict=True))
    first_sizes = dict(before.summary().select("segment", "customers").iter_rows())
    # rfm11 has a segment called New: the row of customers new since the first date is named apart.
    assert result.new_state == ("Not yet a customer" if segment_map == "rfm11" else "New")
    assert rows == {result.new_state: after.customers.height - before.customers.height, **first_sizes}
    second_sizes = dict(after.summary().select("segment", "customers").iter_rows())
    assert {s: matrix[s].sum() for s in result.to_states} == second_sizes
    assert result.customers["customer_id"].is_unique().all()
    assert result.customers.height == after.customers.height == result.to_customers
    # Lapsed: scored at the first date, no purchase since.
    lapsed = result.customers.filter(pl.col("lapsed"))
    assert lapsed["from_segment"].is_not_null().all()
    assert (lapsed["last_purchase"].dt.date() < first).all()
    assert (lapsed["from_frequency"] == lapsed["to_frequency"]).all()
    # With Lapsed as a state, its column holds exactly them and every other column loses them.
    with_lapsed = migration.migration(sample, Window(), first, second, params)
    assert with_lapsed.matrix()["Lapsed"].sum() == lapsed.height
    assert with_lapsed.matrix()["total"].to_list() == matrix["total"].to_list()


def test_sample_flow_chart(sample: duckdb.DuckDBPyConnection) -> None:
    result = migration.migration(sample, Window(), date(2011, 1, 1), date(2011, 12, 10))
    spec = segment_charts.flow_chart(result).to_dict()
    bands, nodes = spec["layer"][0], spec["layer"][1]
    assert bands["mark"]["type"] == "area" and nodes["mark"]["type"] == "rect"
    tips = {t["field"] for t in bands["encoding"]["tooltip"]}
    assert tips == {"from_state", "to_state", "customers", "share_of_from"}
    band_customers = {(v["from_state"], v["to_state"]): v["customers"] for v in bands["data"]["values"]}
    assert band_customers == _nonzero(result)
    node_values = nodes["data"]["values"]
    assert sum(v["customers"] for v in node_values if v["side"] == "from") == result.to_customers
    assert sum(v["customers"] for v in node_values if v["side"] == "to") == result.to_customers
    assert all(0 <= v["y"] <= v["y2"] <= 1 for v in node_values)


def test_manifest(sample: duckdb.DuckDBPyConnection) -> None:
    result = migration.migration(sample, Window(), date(2011, 1, 1), date(2011, 12, 10))
    table = result.cell("Champions", "Lapsed")
    manifest = result.manifest(table, "who lapsed", {"from_state": ["Champions"]})
    assert manifest["rows"] == table.height
    assert manifest["parameters"]["from_date"] == "2011-01-01"
    assert manifest["parameters"]["segment_map"] == "classic10"
    assert manifest["data_version"] == store.data_version(sample)


# --- the CLI ---------------------------------------------------------------------------------------------


def lgs(*argv: str) -> int:
    """``lgs ARGV`` through cli.main."""
    return cli.main(list(argv))


def test_cli_migration(
    tiny: duckdb.DuckDBPyConnection, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tiny.close()
    base = ["migration", "--db", str(tmp_path / "tiny.duckdb"), "--start", "2010-01-01"]
    base += [
        "--from-date",
        "2010-07-01",
        "--to-date",
        "2011-01-01",
        "--cuts",
        "r=30,90,180,365;f=1,2,5,10;m=1,2,3,4",
    ]
    assert lgs(*base) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split()[:2] == ["from_state", "Hibernating"] and "Lapsed" in out
    assert lgs(*base, "--json", "--flows") == 0
    body = json.loads(capsys.readouterr().out)
    assert body["from_date"] == "2010-07-01" and body["to_customers"] == 6
    assert sum(f["customers"] for f in body["flows"]) == 6
    out_file = tmp_path / "slipped.csv"
    assert lgs(*base, "--no-lapsed", "--cell", "champions", "at risk", "--out", str(out_file)) == 0
    assert out_file.read_text().splitlines()[1].startswith("1,United Kingdom,Champions,At Risk,")
    manifest = json.loads(out_file.with_suffix(".manifest.json").read_text())
    assert (
        manifest["filters"] == {"from_state": ["Champions"], "to_state": ["At Risk"]}
        and manifest["rows"] == 1
    )
    assert manifest["parameters"]["lapsed_as_state"] is False
    assert lgs(*base, "--cell", "Champions", "Gone") == 2
    assert "no to state named 'Gone'" in capsys.readouterr().err
    assert lgs(*base[:5], "--from-date", "2011-01-01", "--to-date", "2010-07-01") == 2
    assert lgs(*base[:5], "--from-date", "July", "--to-date", "2011-01-01") == 2
    assert "write dates as YYYY-MM-DD" in capsys.readouterr().err
