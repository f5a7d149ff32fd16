"""Who may see and change the data (issue #16): roles from an allow-list, the refusal, and the export log.

With an ``[auth]`` section in the app's secrets, people sign in (OpenID Connect, Streamlit's ``st.login``)
and an ``[access]`` section says who they are here::

    [access]
    editors = ["anna@londongiftshop.co.uk"]          # load files, sync, demo data, rebuild, restore, report settings
    viewers = ["@londongiftshop.co.uk", "ops@agency.example"]   # explore and download lists

An entry is an e-mail address (exact, any case), ``@domain`` (every address at exactly that domain, not its
subdomains), or ``*`` (anyone the provider signs in: only for a provider that admits nobody but your staff).
An editor is a viewer too. Nobody is let in by default: a signed-in person on neither list sees a page saying
so. Without ``[auth]`` the app serves one person on their machine, the OS user, as an editor; so does ``lgs``.

The check that matters is ``require(principal, action)``: every function that changes the data calls it
(``ingest.load_file``, ``demo.load_demo``, ``postgres.sync``, ``history.restore``) before touching the store,
and the pages call it before acting, so a request a viewer crafts by hand is refused even though no control
for it was drawn.

Exports that leave the app or the CLI (a customer list as CSV or Excel) are personal data: ``log_export``
appends who, when, which list and how many customers to ``FILE.exports.jsonl`` beside the store (outside
the DuckDB file, so a download neither waits for a load nor makes every cached figure stale).
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from lgs_core.errors import LgsError, file_errors


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"


class Action(StrEnum):
    """What a person can do; the value is how a refusal names it."""

    EXPLORE = "explore the figures"
    DOWNLOAD = "download customer lists"
    LOAD = "load a file"
    SYNC = "sync PostgreSQL"
    DEMO = "regenerate demo data"
    REBUILD = "rebuild the store"
    RESTORE = "restore a kept data set"
    REPORT_SETTINGS = "change the report settings"
    SAVE_SEGMENTS = "save, rename or delete a saved segment"


VIEWER_ACTIONS = frozenset({Action.EXPLORE, Action.DOWNLOAD})
EDITOR_ACTIONS = frozenset(Action)


class AccessDenied(LgsError):
    """The signed-in person's role does not allow the action."""


@dataclass(frozen=True)
class Principal:
    """Who is acting: a signed-in e-mail (``signed_in``), or the OS user on their own machine (the CLI, the app
    without ``[auth]``). ``role`` None: signed in, but on neither list."""

    who: str
    role: Role | None
    signed_in: bool = False

    def can(self, action: Action) -> bool:
        if self.role is Role.EDITOR:
            return action in EDITOR_ACTIONS
        if self.role is Role.VIEWER:
            return action in VIEWER_ACTIONS
        return False

    @property
    def can_edit(self) -> bool:
        return self.can(Action.LOAD)

    @property
    def label(self) -> str:
        """ "anna@lgs.example (editor)"."""
        return f"{self.who} ({self.role or 'not allowed'})"


def os_user() -> str:
    """The OS user running this process (the load log's "who" for the CLI and the app without sign-in)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return f"uid {os.getuid()}"


def local_user() -> Principal:
    """The person at this machine: the OS user, an editor (they can write the store's file anyway)."""
    return Principal(os_user(), Role.EDITOR, signed_in=False)


def require(principal: Principal, action: Action) -> None:
    """Raise ``AccessDenied`` (one line: what, who, what to do) unless ``principal`` may do ``action``."""
    if principal.can(action):
        return
    if principal.role is None:
        raise AccessDenied(
            f"{principal.who} is not on this app's list of viewers or editors",
            where="sign-in",
            todo="ask an editor to add you to [access] in the app's secrets",
        )
    raise AccessDenied(
        f"a {principal.role} cannot {action.value}",
        where=principal.who,
        todo="ask an editor to do it, or to list you under [access] editors in the app's secrets",
    )


def acting(by: Principal | None, action: Action) -> str:
    """Check ``by`` (default: the local user) may do ``action``; return the name the load log records."""
    principal = by if by is not None else local_user()
    require(principal, action)
    return principal.who


# --- the allow-list -----------------------------------------------------------------------------------------


def _entries(value: object, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        raise LgsError(
            f"[access] {key} must be a list of e-mail addresses or @domains",
            where="the app's secrets",
            todo=f'write e.g. {key} = ["anna@londongiftshop.co.uk", "@londongiftshop.co.uk"]',
        )
    out = []
    for item in value:
        text = str(item).strip().lower()
        if text and text != "*" and "@" not in text:
            text = "@" + text  # "londongiftshop.co.uk": the domain
        if text:
            out.append(text)
    return tuple(out)


@dataclass(frozen=True)
class AccessPolicy:
    """The ``[access]`` section: who is an editor, who a viewer."""

    editors: tuple[str, ...] = ()
    viewers: tuple[str, ...] = ()

    @classmethod
    def from_section(cls, section: Mapping[str, Any] | None) -> AccessPolicy:
        section = section or {}
        return cls(_entries(section.get("editors"), "editors"), _entries(section.get("viewers"), "viewers"))

    @property
    def empty(self) -> bool:
        return not self.editors and not self.viewers

    def role_of(self, email: str | None, *, verified: bool | None = None) -> Role | None:
        """The role of a signed-in e-mail: editor, viewer, or None (not let in). A provider that says the
        address is not verified (``email_verified`` false) gets None: anyone can type an address."""
        if not email or verified is False:
            return None
        address = email.strip().lower()
        if _matches(address, self.editors):
            return Role.EDITOR
        if _matches(address, self.viewers):
            return Role.VIEWER
        return None

    def principal(self, claims: Mapping[str, Any]) -> Principal:
        """Who a signed-in person is here, from their identity claims (``st.user``)."""
        email = claims.get("email")
        verified = claims.get("email_verified")
        role = self.role_of(
            str(email) if email else None, verified=verified if isinstance(verified, bool) else None
        )
        who = str(email or claims.get("sub") or "unknown")
        return Principal(who, role, signed_in=True)


def _matches(address: str, entries: tuple[str, ...]) -> bool:
    if "@" not in address:
        return False
    domain = "@" + address.rsplit("@", 1)[1]
    return any(entry in ("*", address, domain) for entry in entries)


# --- the export log -------------------------------------------------------------------------------------------


def export_log_path(db: str | os.PathLike[str]) -> Path:
    """``FILE.exports.jsonl`` beside the store ``FILE``."""
    path = Path(db)
    return path.with_name(path.name + ".exports.jsonl")


@dataclass(frozen=True)
class ExportRecord:
    """One list that left the app or the CLI."""

    at: str
    by: str
    what: str
    customers: int
    format: str
    file: str
    via: str
    scope: str = ""

    def to_json(self) -> dict[str, object]:
        return {
            "at": self.at,
            "by": self.by,
            "what": self.what,
            "customers": self.customers,
            "format": self.format,
            "file": self.file,
            "via": self.via,
            "scope": self.scope,
        }


def log_export(
    db: str | os.PathLike[str],
    *,
    by: str,
    what: str,
    customers: int,
    fmt: str,
    file: str,
    via: str,
    scope: str = "",
) -> ExportRecord:
    """Append one export to the log before the list is handed out. A log that cannot be written refuses the
    export (``LgsError``): a list of customers does not leave unrecorded."""
    record = ExportRecord(
        at=datetime.now().replace(microsecond=0).isoformat(sep=" "),
        by=by,
        what=what,
        customers=int(customers),
        format=fmt,
        file=file,
        via=via,
        scope=scope,
    )
    path = export_log_path(db)
    line = json.dumps(record.to_json(), ensure_ascii=False) + "\n"
    with file_errors(
        "cannot record the export in the export log",
        then=", so the list was not written",
        where=str(path),
        todo="make the store's folder writable (or choose another store with --db / LGS_DB), then export again",
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)  # one line per export, whole, with many sessions at once
            try:
                log.write(line)
                log.flush()
            finally:
                fcntl.flock(log, fcntl.LOCK_UN)
    return record


def read_exports(db: str | os.PathLike[str], limit: int | None = None) -> list[ExportRecord]:
    """The export log, newest first (``limit``: at most that many); empty when nothing was exported yet."""
    path = export_log_path(db)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise LgsError(
            f"cannot read the export log ({exc.strerror})",
            where=str(path),
            todo="check the file's permissions",
        ) from None
    records = []
    for line in reversed(text.splitlines()):
        with contextlib.suppress(ValueError, TypeError):
            records.append(ExportRecord(**json.loads(line)))
        if limit is not None and len(records) >= limit:
            break
    return records
