"""The one exception type a user sees: one line that says what, where and what to do."""

from __future__ import annotations


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
