"""A small store whose saved-segment answers are known by hand (tests/test_segment_rules.py, test_saved_segments.py).

Reference date (standard): the day after the last line, 2011-12-10. The marketer's rule "country France, last
order within 60 days, spent over £1,000" holds for customers 1, 5 and 9 exactly:

| customer | country | purchases (date £) | spend | orders | last order, days before 2011-12-10 |
|---|---|---|---|---|---|
| 1 | France | 2011-10-01 600 (85123A), 2011-11-20 500 | 1,100 | 2 | 20 |
| 2 | France | 2011-11-30 1,000 | 1,000 (not over £1,000; at least) | 1 | 10 |
| 3 | France | 2011-09-01 5,000 | 5,000 | 1 | 100 |
| 4 | Germany | 2011-12-01 2,000 | 2,000 | 1 | 9 |
| 5 | France | 2011-10-11 1,500 | 1,500 | 1 | 60 (within 60) |
| 6 | France | 2011-10-10 1,500 | 1,500 | 1 | 61 |
| 7 | HOSTILE_COUNTRY | 2011-12-09 3,000 | 3,000 | 1 | 1 |
| 8 | France | 2011-12-05 2,000, cancelled 1,500 on 2011-12-06 | 500 (classic: 2,000) | 1 | 5 |
| 9 | France | 2010-03-01 40 (first order), 2011-11-01 1,200 and postage 30 | 1,240 (classic: 1,270) | 2 | 39 |
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl

from lgs_core.store import store

HOSTILE_COUNTRY = "'; drop table lines; --"
# invoice, stock code, description, quantity, date, price, customer, country
LINES: list[tuple[str, str, str, int, str, str, int | None, str]] = [
    ("500001", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 1, "2011-10-01 10:00", "600", 1, "France"),
    ("500002", "22423", "REGENCY CAKESTAND 3 TIER", 1, "2011-11-20 10:00", "500", 1, "France"),
    ("500003", "22423", "REGENCY CAKESTAND 3 TIER", 1, "2011-11-30 10:00", "1000", 2, "France"),
    ("500004", "21212", "PACK OF 72 RETRO SPOT CAKE CASES", 1, "2011-09-01 10:00", "5000", 3, "France"),
    ("500005", "22423", "REGENCY CAKESTAND 3 TIER", 1, "2011-12-01 10:00", "2000", 4, "Germany"),
    ("500006", "23084", "RABBIT NIGHT LIGHT", 1, "2011-10-11 10:00", "1500", 5, "France"),
    ("500007", "23084", "RABBIT NIGHT LIGHT", 1, "2011-10-10 10:00", "1500", 6, "France"),
    ("500008", "22086", "PAPER CHAIN KIT 50'S CHRISTMAS", 1, "2011-12-09 10:00", "3000", 7, HOSTILE_COUNTRY),
    ("500009", "22086", "PAPER CHAIN KIT 50'S CHRISTMAS", 1, "2011-12-05 10:00", "2000", 8, "France"),
    ("C500010", "22086", "PAPER CHAIN KIT 50'S CHRISTMAS", -1, "2011-12-06 10:00", "1500", 8, "France"),
    ("490001", "84879", "ASSORTED COLOUR BIRD ORNAMENT 100%_OFF", 1, "2010-03-01 10:00", "40", 9, "France"),
    ("500011", "85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 1, "2011-11-01 10:00", "1200", 9, "France"),
    ("500012", "POST", "POSTAGE", 1, "2011-11-01 10:00", "30", 9, "France"),
]
MARKETER_CUSTOMERS = [1, 5, 9]


def make_segment_store(path: Path) -> duckdb.DuckDBPyConnection:
    """A real store holding LINES (through the store's own insert and summaries)."""
    con = store.connect(path)
    staged = pl.DataFrame(
        {
            "source_row": list(range(1, len(LINES) + 1)),
            "invoice": [x[0] for x in LINES],
            "stock_code": [x[1] for x in LINES],
            "description": [x[2] for x in LINES],
            "quantity": [x[3] for x in LINES],
            "invoice_date": [datetime.fromisoformat(x[4]) for x in LINES],
            "unit_price": [Decimal(x[5]) for x in LINES],
            "customer_id": [x[6] for x in LINES],
            "country": [x[7] for x in LINES],
        },
        schema={
            "source_row": pl.Int64,
            "invoice": pl.String,
            "stock_code": pl.String,
            "description": pl.String,
            "quantity": pl.Int32,
            "invoice_date": pl.Datetime("us"),
            "unit_price": pl.Decimal(18, 3),
            "customer_id": pl.Int32,
            "country": pl.String,
        },
    )
    with store.transaction(con):
        con.register("staged_lines", staged)
        store.insert_staged_lines(con, 1)
        con.unregister("staged_lines")
        store.refresh_summaries(con)
    return con
