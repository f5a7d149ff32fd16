"""A file that cannot be written is one line: what, where, the system's reason, what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from lgs_core.errors import LgsError, file_errors


def test_an_unwritable_file_is_one_line_with_the_reason(tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "out.png"
    with (
        pytest.raises(LgsError) as caught,
        file_errors("cannot write", where=str(target), todo="choose a path"),
    ):
        target.write_bytes(b"x")
    message = str(caught.value)
    assert message == f"{target}: cannot write (No such file or directory) — choose a path"
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no traceback chain shown


def test_other_failures_pass_through() -> None:
    with pytest.raises(ZeroDivisionError), file_errors("cannot write", where="x", todo="y"):
        _ = 1 / 0
