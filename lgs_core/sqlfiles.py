"""Load the queries in sql/. SQL is data: every query lives in a file, parameterised, never formatted.

Files use DuckDB's `$name` parameters. `for_postgres` is the one place where the PostgreSQL dialect
differs: it rewrites `$name` to psycopg's `%(name)s`.

Where the files are: in a checkout, sql/ and docs/ beside lgs_core/ (where developers edit them); in an
installed copy (`pip install .`), inside the package as lgs_core/_sql/ and lgs_core/_docs/ (setup.py).
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

# The checkout's folder -> its name inside the installed package.
_SHIPPED = {"sql": "_sql", "docs": "_docs"}


def source_dir(name: str) -> Path:
    """The folder ``name`` ("sql" or "docs") of the checkout, or its copy inside the installed package."""
    packaged = resources.files("lgs_core").joinpath(_SHIPPED[name])
    if isinstance(packaged, Path) and packaged.is_dir():  # an installed copy (a wheel unpacked on disk)
        return packaged
    return Path(__file__).resolve().parent.parent / name


def definitions_path() -> Path:
    """docs/DEFINITIONS.md: the one-line definitions the app and the CLI quote (lgs_core.analytics)."""
    return source_dir("docs") / "DEFINITIONS.md"


SQL_DIR = source_dir("sql")

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


@cache
def read_sql(name: str) -> str:
    """The text of sql/<name> (e.g. ``"store/schema.sql"``)."""
    return (SQL_DIR / name).read_text(encoding="utf-8")


def for_postgres(sql: str) -> str:
    """Rewrite DuckDB `$name` parameters as psycopg `%(name)s`, escaping literal percent signs."""
    return _PARAM.sub(r"%(\1)s", sql.replace("%", "%%"))
