"""Injection: every user-controlled value (countries, dates, segment names, the sync's table name) reaches SQL
as a parameter or a quoted identifier. Hostile values find nothing and break nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import psycopg
import pytest

from lgs_core.analyses import analytics, rfm
from lgs_core.errors import LgsError
from lgs_core.query.window import Window
from lgs_core.sources import ingest, postgres
from lgs_core.store import store

pytest_plugins = ["fixtures.pg_fixtures"]

BAD = Path(__file__).resolve().parents[1] / "data" / "bad"
HOSTILE = [
    "'; drop table lines; --",
    "France' or '1'='1",
    'France"); delete from lines; --',
    "Ünïcödé 🎁 ‮gnp.exe",
    "x" * 10_000,
    "%(start)s $start ? :start",
]


@pytest.fixture
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    db = tmp_path / "store.duckdb"
    ingest.load_file(BAD / "extra_column.csv", db)
    connection = store.connect(db)
    yield connection
    connection.close()


def line_count(con: duckdb.DuckDBPyConnection) -> int:
    return int(con.sql("select count(*) from lines").fetchall()[0][0])


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_a_hostile_country_selects_nothing_and_changes_nothing(
    con: duckdb.DuckDBPyConnection, value: str
) -> None:
    window = Window(countries=(value,))
    assert analytics.monthly(con, window, "standard")["invoices"].sum() == 0
    assert rfm.rfm(con, window, rfm.RfmParams()).customers.height == 0
    assert analytics.invoice_distribution(con, window, "classic").positive.count == 0
    assert line_count(con) == 3


def test_a_hostile_country_beside_a_real_one_still_finds_the_real_one(con: duckdb.DuckDBPyConnection) -> None:
    window = Window(countries=("United Kingdom", HOSTILE[0], HOSTILE[1]))
    assert analytics.monthly(con, window, "standard")["invoices"].sum() == 2
    assert line_count(con) == 3


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_segment_names_are_just_names(con: duckdb.DuckDBPyConnection, value: str) -> None:
    grid = {f"{r}{f}": (value if (r, f) == (5, 5) else "Others") for r in range(1, 6) for f in range(1, 6)}
    result = rfm.rfm(con, Window(), rfm.RfmParams(segment_map=grid))
    assert set(result.customers["segment"].to_list()) <= {value, "Others"}
    assert line_count(con) == 3


def test_dates_are_typed_before_they_reach_sql() -> None:
    with pytest.raises((TypeError, ValueError, LgsError)):
        Window(start="2011-01-01'; drop table lines; --")  # type: ignore[arg-type]
    with pytest.raises(LgsError):
        Window(start=date(2011, 2, 1), end=date(2011, 1, 1))


@pytest.mark.postgres
@pytest.mark.parametrize("table", ["retail; drop table retail; --", 'retail" cascade; --', "ünï.cödé"])
def test_a_hostile_sync_table_name_is_a_quoted_identifier(pg_db: str, tmp_path: Path, table: str) -> None:
    postgres.pg_load(BAD / "extra_column.csv", pg_db)  # the real `retail` table, 3 lines
    with pytest.raises(LgsError) as info:
        postgres.sync(pg_db, db=tmp_path / "store.duckdb", table=table)
    assert "\n" not in str(info.value)
    with psycopg.connect(pg_db) as pg:
        assert pg.execute("select count(*) from retail").fetchall() == [(3,)]
