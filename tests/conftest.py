"""Shared fixtures: real DuckDB files in tmp_path and the real sample in ../shared/data."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from fixtures.paths import SAMPLE_CSV, SAMPLE_XLSX, require_sample


@pytest.fixture
def sample_xlsx() -> Path:
    return require_sample(SAMPLE_XLSX)


@pytest.fixture
def sample_csv() -> Path:
    return require_sample(SAMPLE_CSV)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "store.duckdb"


# Property-based tests: 1,000 examples per property in CI, 100 on a developer's machine.
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("ci", max_examples=1000, deadline=None, print_blob=True)
_hypothesis_settings.register_profile("dev", max_examples=100, deadline=None)
_hypothesis_settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")


@pytest.fixture(scope="session")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The real sample loaded once through the real ingest, opened read-only (tests only read it)."""
    from lgs_core.sources.ingest import load_file
    from lgs_core.store import store

    db = tmp_path_factory.mktemp("sample") / "store.duckdb"
    load_file(require_sample(SAMPLE_CSV), db=db)
    con = store.connect(db, read_only=True)
    yield con
    con.close()
