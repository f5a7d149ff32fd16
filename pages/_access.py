"""Sign-in, roles, confirmations and the Data page's kept data sets and logs (issue #16). Layout only:
``lgs_core.store.access`` decides who may do what, ``lgs_core.store.history`` keeps and restores data sets.

With an ``[auth]`` section in the app's secrets nobody gets past ``let_in()`` without signing in (Streamlit's
``st.login``, OpenID Connect) and being on the ``[access]`` allow-list. Without it the app serves one person on
their machine, the OS user, as an editor. The pages draw a control that changes data only when
``can(action)``, and call ``allowed(action)`` again when it is used; the lgs_core function it calls checks a
third time (``by=principal()``), so a request a viewer crafts by hand changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from lgs_core.errors import LgsError
from lgs_core.present.display import literal
from lgs_core.store import access, history, store
from lgs_core.store.access import AccessDenied, AccessPolicy, Action, Principal
from pages import _common

SIGNED_OUT = Principal("a signed-out visitor", None, signed_in=False)
_CONFIRM = "_lgs_confirm_"


def _secret_section(name: str) -> dict[str, Any] | None:
    try:
        if name in st.secrets:
            return dict(st.secrets[name])
    except Exception:  # no secrets file at all: Streamlit raises rather than answering "no"
        return None
    return None


def auth_configured() -> bool:
    """Whether the app's secrets have an [auth] section (then sign-in is required)."""
    return _secret_section("auth") is not None


def principal() -> Principal:
    """Who is using this session: the local user without [auth]; else the signed-in person and their role."""
    if not auth_configured():
        return access.local_user()
    if not st.user.is_logged_in:
        return SIGNED_OUT
    return AccessPolicy.from_section(_secret_section("access")).principal(st.user.to_dict())


def let_in() -> bool:
    """Without [auth]: always. With it: only a signed-in person on the allow-list."""
    return not auth_configured() or principal().role is not None


def can(action: Action) -> bool:
    return principal().can(action)


def allowed(action: Action) -> bool:
    """At the moment of acting: may this session do ``action``? If not, say why in one line."""
    try:
        access.require(principal(), action)
    except AccessDenied as exc:
        _common.show_error(exc)
        return False
    return True


def _providers() -> list[str | None]:
    """The sign-in buttons: one default provider ([auth] holds client_id), or one per [auth.NAME]."""
    section = _secret_section("auth") or {}
    if "client_id" in section:
        return [None]
    named: list[str | None] = [k for k, v in section.items() if isinstance(v, dict) or hasattr(v, "keys")]
    return named or [None]


def sign_in_screen() -> None:
    """What a signed-out visitor sees (nothing of the data), or a signed-in person on neither list."""
    st.title("LGS Explorer")
    who = principal()
    if who is SIGNED_OUT:
        st.info(
            "Sign in to see London Gift Shop's sales and customers. The figures and the customer lists are "
            "shown to the people on this app's list only.",
            icon=":material/lock:",
        )
        for provider in _providers():
            st.button(
                f"Sign in with {provider.capitalize()}" if provider else "Sign in",
                type="primary",
                icon=":material/login:",
                on_click=st.login,
                args=(provider,) if provider else (),
                key=f"sign_in_{provider or 'default'}",
            )
        return
    st.error(
        f"You are signed in as {literal(who.who)}, which is not on this app's list of viewers or editors. "
        "Ask an editor to add you ([access] in the app's secrets), or sign in with another account.",
        icon=":material/block:",
    )
    st.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out_refused")


def sign_in_pages(folder: Path) -> list[Any]:
    """The sign-in screen under every page's address: a link to /segments opens it too, not "page not found"."""
    names = sorted(p.stem for p in folder.glob("*.py") if not p.stem.startswith("_"))
    return [st.Page(sign_in_screen, title="Sign in", icon=":material/login:", default=True)] + [
        st.Page(sign_in_screen, title="Sign in", url_path=name) for name in names
    ]


def sidebar_identity() -> None:
    """Who is signed in, with which role, and the Sign out button (only with [auth])."""
    if not auth_configured():
        return
    who = principal()
    if who.role is None:
        return
    st.sidebar.text(f"Signed in as {who.who} ({who.role})")
    st.sidebar.button("Sign out", icon=":material/logout:", on_click=st.logout, key="sign_out")


def who_note() -> None:
    """The Data page's first line: who may change the data here."""
    who = principal()
    if not auth_configured():
        extra = " Its [access] section has no effect without [auth]." if _secret_section("access") else ""
        st.info(
            f"No sign-in is configured: this app serves one person on this machine ({literal(who.who)}), who can "
            "change the data. Anyone who can reach its port can too: to share it, configure sign-in ([auth] "
            f"and [access] in the app's secrets; README, Sign-in and roles).{extra}",
            icon=":material/person:",
        )
    elif who.can_edit:
        st.caption(
            f"Signed in as {literal(who.who)}, an editor: you can load, sync, regenerate and restore data."
        )
    else:
        st.info(
            f"Signed in as {literal(who.who)}, a viewer: you can explore the figures and download customer lists. "
            "Loading, syncing, regenerating or restoring data needs an editor.",
            icon=":material/visibility:",
        )


# --- replacing the data set: ask first, naming what goes -------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _current(path: str, key: str) -> str | None:
    con = store.connect(path, read_only=True)
    try:
        return history.describe_current(con)
    finally:
        con.close()


def current_description() -> str | None:
    """'the 1,000,000 lines of demo data loaded 01 Dec 2026 09:12 by …' (None: the store holds nothing)."""
    path = _common.db_path()
    if not path.exists():
        return None
    try:
        return _current(str(path), _common.data_key())
    except LgsError:
        return None


def confirmed_button(label: str, *, key: str, action: Action, replaces: str | None, **button: Any) -> bool:
    """A button for ``action``. When it replaces the data set (``replaces`` names it), the first click asks,
    naming what will be replaced, and only **Replace it** acts. True: act now (the role was checked)."""
    pending = _CONFIRM + key
    if st.session_state.get(pending) and replaces is not None:
        st.warning(
            f"This replaces {literal(replaces)}. It will be kept: **Kept data sets** on this page restores it "
            "in one step.",
            icon=":material/warning:",
        )
        with st.container(horizontal=True):
            yes = st.button("Replace it", type="primary", key=f"{key}_yes", icon=":material/check:")
            no = st.button("Cancel", key=f"{key}_no")
        if yes:
            st.session_state.pop(pending, None)
            return allowed(action)
        if no:
            st.session_state.pop(pending, None)
            st.rerun()
        return False
    st.session_state.pop(pending, None)
    if not st.button(label, key=key, **button):
        return False
    if not allowed(action):
        return False
    if replaces is None:  # an append, or an empty store: nothing is replaced
        return True
    st.session_state[pending] = True
    st.rerun()
    return False  # not reached: st.rerun() raises


# --- kept data sets and the logs on the Data page -------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _history(path: str, key: str) -> tuple[history.History, pl.DataFrame]:
    con = store.connect(path, read_only=True)
    try:
        return history.kept_sets(con), history.load_log(con)
    finally:
        con.close()


def kept_data_sets() -> None:
    """The kept data sets with the disk they take, and (editors) the restore."""
    kept, _ = _history(str(_common.db_path()), _common.data_key())
    st.subheader("Kept data sets")
    st.caption(
        f"Every replaced data set is kept: {kept.summary()}, the store file is "
        f"{history.megabytes(history.store_file_bytes(_common.db_path()))} (set with LGS_KEEP and LGS_KEEP_MB; the "
        "newest replaced set is always kept). `lgs history` and `lgs restore N` do the same from a terminal."
    )
    if not kept.kept:
        st.info("Nothing replaced yet: a load, demo data or a full sync keeps the data set it replaces here.")
        return
    st.dataframe(
        history.rows_for(kept),
        hide_index=True,
        width="stretch",
        column_config={
            "kept_id": st.column_config.NumberColumn(
                "N", format="%d", help="Its number for `lgs restore N`."
            ),
            "description": "Data set",
            "kept_at": "Replaced at",
            "replaced_by": "Replaced by",
            "replaced_with": "Replaced with",
            "size": st.column_config.TextColumn("Size", help="Its share of the store file (about)."),
        },
    )
    if not can(Action.RESTORE):
        return
    names = {k.kept_id: k.description for k in kept.kept}
    chosen = st.selectbox(
        "Kept data set to restore",
        list(names),
        format_func=lambda n: f"{n}: {names[n]}",
        key="restore_choice",
        help="It becomes the current data set, exactly as it was; the current one is kept in its place.",
    )
    go = confirmed_button(
        "Restore",
        key="restore",
        action=Action.RESTORE,
        replaces=current_description(),
        icon=":material/restore:",
    )
    if go and chosen is not None:
        try:
            with st.spinner(f"Restoring data set {chosen}…"):
                result = history.restore(_common.db_path(), int(chosen), by=principal())
        except LgsError as exc:
            _common.show_error(exc)
            return
        _common.clear_caches()
        said = result.summary()
        st.toast(said[:1].upper() + said[1:] + ".")
        st.rerun()


def logs() -> None:
    """For editors: the load log (who loaded what, when, how many lines) and the export log."""
    if not principal().can_edit:
        return
    _, loads = _history(str(_common.db_path()), _common.data_key())
    st.subheader("Load log")
    st.caption(
        "Every load, sync, demo generation and restore, newest first: who, when, what, how many lines."
    )
    st.dataframe(
        loads,
        hide_index=True,
        width="stretch",
        placeholder="–",
        column_config={
            "load_id": st.column_config.NumberColumn("Load", format="%d"),
            "loaded_at": "When",
            "loaded_by": "Who",
            "kind": "Kind",
            "mode": "Mode",
            "source": "What",
            "rows_read": st.column_config.NumberColumn("Lines read", format="localized"),
            "rows_loaded": st.column_config.NumberColumn("Loaded", format="localized"),
            "rows_quarantined": st.column_config.NumberColumn("Quarantined", format="localized"),
        },
    )
    st.subheader("Export log")
    st.caption(
        "Customer lists that left the app (CSV, Excel) or the CLI, newest first: they are personal data. "
        f"The file: `{access.export_log_path(_common.db_path())}` (`lgs exports`)."
    )
    try:
        records = access.read_exports(_common.db_path(), limit=500)
    except LgsError as exc:
        _common.show_error(exc)
        return
    if not records:
        st.info("No customer list exported yet.")
        return
    st.dataframe(
        [r.to_json() for r in records],
        hide_index=True,
        width="stretch",
        column_config={
            "at": "When",
            "by": "Who",
            "what": "Which list",
            "customers": st.column_config.NumberColumn("Customers", format="localized"),
            "format": "Format",
            "file": "File",
            "via": "Via",
            "scope": "Filters",
        },
    )


# --- downloads that leave the app --------------------------------------------------------------------------


def logged_export(
    build: Callable[[], bytes], *, what: str, customers: int, fmt: str, file: str
) -> Callable[[], bytes]:
    """``build`` for a download button, recording the export (who, which list, how many customers) when the
    button is clicked and before the bytes leave. Who is read now: the click is served outside the page run."""
    who = principal()
    db = _common.db_path()

    def build_and_log() -> bytes:
        access.require(who, Action.DOWNLOAD)
        access.log_export(db, by=who.who, what=what, customers=customers, fmt=fmt, file=file, via="app")
        return build()

    return build_and_log
