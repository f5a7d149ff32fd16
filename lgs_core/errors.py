"""The one exception type a user sees: one line that says what, where and what to do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class LgsError(Exception):
    """A failure a user can act on. Its message is one line: what went wrong, where, what to do.

    The CLI prints it without a traceback; the app shows it in an error box.
    """

    def __init__(self, what: str, *, where: str = "", todo: str = "") -> None:
        self.what = what
        self.where = where
        self.todo = todo
        parts = [what if not where else f"{where}: {what}"]
        if todo:
            parts.append(todo)
        super().__init__(" — ".join(parts))


class StoreBusyError(LgsError):
    """Another process holds the store file for writing."""


class AlreadyLoadedError(LgsError):
    """An append of a file the data set already holds (same contents): refused, nothing changed."""


@contextmanager
def file_errors(what: str, *, where: str, todo: str, then: str = "") -> Iterator[None]:
    """Turn an ``OSError`` of the block (a file or folder that cannot be written, read or moved) into the
    one-line ``LgsError``: "<where>: <what> (<the system's reason>)<then> — <todo>"."""
    try:
        yield
    except OSError as exc:
        raise LgsError(
            f"{what} ({exc.strerror or type(exc).__name__}){then}", where=where, todo=todo
        ) from None
