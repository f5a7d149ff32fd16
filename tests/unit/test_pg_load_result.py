"""``pg_load``'s result: a frozen dataclass whose JSON (`lgs pg-load --json`) is what the command printed when
the result was a dict: the same keys in the same order, the seconds rounded, the reasons sorted."""

from __future__ import annotations

import dataclasses
import json

import pytest

from lgs_core.sources.postgres import PgLoadResult


def test_pg_load_result_json_keeps_the_commands_output() -> None:
    result = PgLoadResult(
        source="a.csv",
        target="postgres@localhost/lgs, table retail",
        mode="append",
        rows_read=8,
        rows_loaded=6,
        rows_quarantined=2,
        quarantine_reasons={"non-numeric quantity": 1, "missing invoice": 1},
        seconds=1.23456,
        notes=["decimal comma"],
    )
    assert json.dumps(result.to_json()) == json.dumps(
        {
            "source": "a.csv",
            "target": "postgres@localhost/lgs, table retail",
            "mode": "append",
            "rows_read": 8,
            "rows_loaded": 6,
            "rows_quarantined": 2,
            "quarantine_reasons": {"missing invoice": 1, "non-numeric quantity": 1},
            "seconds": 1.235,
            "notes": ["decimal comma"],
        }
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.rows_loaded = 7  # type: ignore[misc]
