"""Sign-in and roles in the app (issue #16), through AppTest: what a signed-out visitor, a stranger, a viewer
and an editor each see on every page; a viewer gets no control that changes data, and a value a viewer's
request sets on a locked control changes nothing. (The real sign-in, with a real OpenID Connect provider
and Chromium, is tests/e2e/test_sign_in.py; lgs_core's refusals are tests/unit/test_access.py and test_history.py.)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from lgs_core.present import display
from lgs_core.sources.demo import load_demo
from lgs_core.store import access

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "streamlit_app.py")
PAGES = [
    "pages/overview.py",
    "pages/orders.py",
    "pages/segments.py",
    "pages/deeper_segments.py",
    "pages/reports.py",
    "pages/data.py",
]
TIMEOUT = 120
AUTH = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "a-long-random-cookie-secret-for-tests-only",
    "client_id": "lgs-explorer",
    "client_secret": "lgs-secret",
    "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
}
ACCESS = {"editors": ["anna@lgs.example"], "viewers": ["@lgs.example"]}
EDITOR = {"is_logged_in": True, "email": "anna@lgs.example", "email_verified": True, "sub": "anna"}
VIEWER = {"is_logged_in": True, "email": "victor@lgs.example", "sub": "victor"}
STRANGER = {"is_logged_in": True, "email": "eve@elsewhere.example", "sub": "eve"}
SIGNED_OUT = {"is_logged_in": False}
CHANGES = ("Load", "Regenerate demo data", "Sync PostgreSQL", "Refresh from PostgreSQL", "Restore")


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("roles") / "store.duckdb"
    load_demo(path, rows=20_000, seed=3)
    load_demo(path, rows=15_000, seed=4)  # the first set is kept: the Data page lists it
    return path


def app_as(
    user: dict[str, Any] | None, db: Path, monkeypatch: pytest.MonkeyPatch, page: str | None = None
) -> AppTest:
    monkeypatch.setenv("LGS_DB", str(db))
    monkeypatch.chdir(REPO)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if user is not None:
        at.secrets["auth"] = AUTH
        at.secrets["access"] = ACCESS
        at.user = dict(user)
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def shown(at: AppTest) -> str:
    """Every text the page shows (main area and sidebar), one string."""
    texts: list[str] = []
    for kind in ("title", "subheader", "markdown", "caption", "text", "info", "warning", "error", "success"):
        texts += [str(e.value) for e in getattr(at, kind)]
    texts += [f"{m.label} {m.value}" for m in at.metric]
    texts += [b.label for b in at.button]
    return "\n".join(texts)


@pytest.mark.parametrize("page", PAGES)
def test_a_signed_out_visitor_sees_no_figure_and_no_customer(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = app_as(SIGNED_OUT, demo_store, monkeypatch)  # the app: its only page is the sign-in
    assert [b.label for b in at.button] == ["Sign in"] and not at.metric
    # A link straight to the page (the page's script runs alone on a new server's first request).
    at = AppTest.from_file(str(REPO / page), default_timeout=TIMEOUT)
    at.secrets["auth"], at.secrets["access"], at.user = AUTH, ACCESS, dict(SIGNED_OUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe and not at.sidebar.date_input and not at.sidebar.multiselect
    assert "Sign in to see London Gift Shop" in shown(at)


def test_someone_on_neither_list_is_told_so_and_sees_nothing(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    straight = AppTest.from_file(str(REPO / "pages/segments.py"), default_timeout=TIMEOUT)
    straight.secrets["auth"], straight.secrets["access"], straight.user = AUTH, ACCESS, dict(STRANGER)
    for at in (app_as(STRANGER, demo_store, monkeypatch), straight.run()):
        assert not at.exception and not at.metric and not at.dataframe
        (refusal,) = at.error
        assert "eve@elsewhere.example" in display.shown(refusal.value)
        assert "not on this app's list" in refusal.value
        assert [b.label for b in at.button] == ["Sign out"]


def test_an_unverified_address_is_not_let_in(demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = app_as({**EDITOR, "email_verified": False}, demo_store, monkeypatch)
    assert not at.metric and "not on this app's list" in at.error[0].value


@pytest.mark.parametrize("page", PAGES)
def test_a_viewer_explores_every_page_but_gets_no_control_that_changes_data(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = app_as(VIEWER, demo_store, monkeypatch, page)
    assert not at.error, [e.value for e in at.error]
    labels = [b.label for b in at.button] + [b.label for b in at.sidebar.button]
    assert not [label for label in labels if label in CHANGES], labels
    assert "Signed in as victor@lgs.example (viewer)" in [t.value for t in at.sidebar.text]
    assert "Sign out" in [b.label for b in at.sidebar.button]
    if page == "pages/data.py":
        assert not at.get("file_uploader") and not at.number_input and not at.selectbox
        text = shown(at)
        assert "a viewer: you can explore the figures and download customer lists" in text
        assert "Kept data sets" in text  # they may see that nothing is lost, not restore
        assert "Load log" not in text and "Export log" not in text


def test_an_editor_gets_the_data_controls_and_the_logs(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_as(EDITOR, demo_store, monkeypatch, "pages/data.py")
    assert not at.error, [e.value for e in at.error]
    labels = [b.label for b in at.button]
    assert "Regenerate demo data" in labels and "Restore" in labels
    assert at.get("file_uploader")
    text = shown(at)
    assert "an editor: you can load, sync, regenerate and restore data" in text
    assert "Load log" in text and "Export log" in text
    (restore,) = [s for s in at.selectbox if s.label == "Kept data set to restore"]
    assert restore.options == [
        "1: the 20,000 lines of demo data loaded " + restore.options[0].split(" loaded ")[1]
    ]


def test_without_auth_the_data_page_says_it_serves_one_person(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = app_as(None, demo_store, monkeypatch, "pages/data.py")
    (note,) = [i.value for i in at.info if i.value.startswith("No sign-in is configured")]
    assert note.startswith("No sign-in is configured: this app serves one person on this machine")
    assert access.os_user() in display.shown(note)
    assert "Regenerate demo data" in [b.label for b in at.button]
    assert not at.sidebar.text  # nobody is "signed in"


def _report_texts(at: AppTest) -> list[str]:
    return [
        str(e.value)
        for kind in ("error", "success", "warning", "markdown", "caption")
        for e in getattr(at, kind)
    ]


def test_a_viewers_report_settings_are_locked_even_against_a_crafted_value(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = app_as(VIEWER, demo_store, monkeypatch, "pages/reports.py")
    z = next(s for s in viewer.slider if s.label == "How unusual a week must be")
    assert z.disabled
    default = _report_texts(viewer)
    # A request that sets the locked slider anyway: the browser would not send it, a crafted one can (AppTest
    # refuses to touch a disabled widget, so its copy of the widget is made to look enabled).
    z.proto.disabled = False
    z.set_value(2.0).run()
    assert (
        next(s for s in viewer.slider if s.label == "How unusual a week must be").value == 3.0
    )  # the forged value is dropped
    assert _report_texts(viewer) == default
    editor = app_as(EDITOR, demo_store, monkeypatch, "pages/reports.py")
    z = next(s for s in editor.slider if s.label == "How unusual a week must be")
    assert not z.disabled
    z.set_value(2.0).run()
    assert _report_texts(editor) != default  # the same value from an editor does change the report


def test_several_providers_each_get_a_sign_in_button(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LGS_DB", str(demo_store))
    provider = {k: AUTH[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.secrets["auth"] = {
        "redirect_uri": AUTH["redirect_uri"],
        "cookie_secret": AUTH["cookie_secret"],
        "google": provider,
        "microsoft": provider,
    }
    at.secrets["access"] = ACCESS
    at.user = dict(SIGNED_OUT)
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Sign in with Google", "Sign in with Microsoft"]


def test_a_viewer_cannot_save_or_delete_a_saved_segment(
    demo_store: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    viewer = app_as(VIEWER, demo_store, monkeypatch, "pages/saved_segments.py")
    (save,) = [b for b in viewer.button if b.label == "Save segment"]
    assert save.disabled  # a viewer's button is drawn disabled (Streamlit drops a forged click on it)
    assert "Saving, renaming or deleting a segment changes it for everyone: that needs an editor." in shown(
        viewer
    )
    with pytest.raises(access.AccessDenied, match="save, rename or delete a saved segment"):
        access.require(
            access.Principal("victor@lgs.example", access.Role.VIEWER, signed_in=True),
            access.Action.SAVE_SEGMENTS,
        )
    editor = app_as(EDITOR, demo_store, monkeypatch, "pages/saved_segments.py")
    (save,) = [b for b in editor.button if b.label == "Save segment"]
    assert not save.disabled
