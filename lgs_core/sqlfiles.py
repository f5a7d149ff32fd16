"""Load the queries in sql/. SQL is data: every query lives in a file, parameterised, never formatted.

Files use DuckDB's `$name` parameters. `for_postgres` is the one place where the PostgreSQL dialect
differs: it rewrites `$name` to psycopg's `%(name)s`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def read_sql(name: str) -> str:
    """The text of sql/<name> (e.g. ``"store/schema.sql"``)."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def for_postgres(sql: str) -> str:
    """Rewrite DuckDB `$name` parameters as psycopg `%(name)s`, escaping literal percent signs."""
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
