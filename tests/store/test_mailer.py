"""Emailing the weekly report through a REAL SMTP server (aiosmtpd) on 127.0.0.1: the message as received
(subject, From/To, HTML with the flags and its chart images, the Markdown as plain text), --skip-if-quiet,
STARTTLS with a self-signed certificate and a login, and failures that never show the password.
"""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from fixtures.report_data import SPIKE_WEEK, injected_store, lgs, quiet_sunday

from lgs_core.errors import LgsError
from lgs_core.report import mailer, report
from lgs_core.report.mailer import SmtpSettings
from lgs_core.store import store

PASSWORD = "s3cr3t-Pa55word!"
USER = "reports@lgs.example"
SENDER = "LGS Reports <reports@lgs.example>"


# --- a real SMTP server -----------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class Inbox:
    messages: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's hook
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), parsed, session.ssl is not None, login)
        )
        return "250 Message accepted for delivery"


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USER
        and auth_data.password.decode() == PASSWORD
    )
    return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def smtp_server(**smtp_options: Any) -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), **smtp_options)
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost (its own CA), made with `cryptography`."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lgs test smtp")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def _server_tls(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HOST", "PORT", "USER", "PASSWORD", "STARTTLS", "FROM", "CAFILE"):
        monkeypatch.delenv(f"LGS_SMTP_{name}", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def db() -> str:
    return str(injected_store())


@pytest.fixture(scope="module")
def spike_report(db: str) -> report.WeeklyReport:
    con = store.connect(db, read_only=True)
    try:
        return report.build_report(con, as_of=SPIKE_WEEK + dt.timedelta(days=6))
    finally:
        con.close()


def _plain_env(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    monkeypatch.setenv("LGS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("LGS_SMTP_PORT", str(port))
    monkeypatch.setenv("LGS_SMTP_STARTTLS", "false")
    monkeypatch.setenv("LGS_SMTP_FROM", SENDER)


# --- through the CLI ------------------------------------------------------------------------------------------


def test_the_report_arrives_with_html_text_and_charts(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server() as (inbox, port):
        _plain_env(monkeypatch, port)
        code, stdout, err = lgs(
            capsys,
            *("report", "--db", db, "--as-of", "2011-05-22", "--out", str(tmp_path / "out")),
            *("--email-to", "ops@lgs.example, boss@lgs.example", "--format", "json"),
        )
    assert code == 3, err
    assert "emailed to ops@lgs.example, boss@lgs.example" in stdout
    [got] = inbox.messages
    written = json.loads((tmp_path / "out" / "lgs-weekly-2011-W20.json").read_text(encoding="utf-8"))
    flags = written["flag_count"]
    message = got.message
    assert message["Subject"] == (
        f"LGS weekly report 2011-W20 (16 May – 22 May 2011): {flags} flag{'s' if flags > 1 else ''}"
    )
    assert message["From"] == SENDER and message["To"] == "ops@lgs.example, boss@lgs.example"
    assert got.mail_from == "reports@lgs.example"
    assert got.rcpt_tos == ["ops@lgs.example", "boss@lgs.example"]
    assert message.get_content_type() == "multipart/alternative"
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    assert text_part is not None and html_part is not None
    text, page = text_part.get_content(), html_part.get_content()
    explanations = [f["explanation"] for f in written["flags"]]
    assert text.startswith("# LGS weekly report: week 20 of 2011")
    assert all(e in text for e in explanations)
    assert all(e in page for e in explanations) and "Germany" in page
    # The charts travel as PNG parts of the HTML (multipart/related), referenced by Content-ID.
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    images = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert len(images) == 3
    for image in images:
        assert image.get_content().startswith(b"\x89PNG")
        assert f'src="cid:{image["Content-ID"].strip("<>")}"' in page
    assert "<svg" not in page and "<script" not in page


def test_skip_if_quiet_sends_nothing_on_a_quiet_week(
    db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with smtp_server() as (inbox, port):
        _plain_env(monkeypatch, port)
        args = (
            "report",
            "--db",
            db,
            "--out",
            str(tmp_path),
            "--email-to",
            "ops@lgs.example",
            "--skip-if-quiet",
        )
        code, stdout, _ = lgs(capsys, *args, "--as-of", quiet_sunday())
        assert code == 0 and inbox.messages == []
        assert "not emailed: nothing flagged (--skip-if-quiet)" in stdout
        assert (tmp_path / f"lgs-weekly-{_iso(quiet_sunday())}.json").exists()  # files are written anyway
        # A flagged week is sent all the same, and a quiet one without the option too.
        code, _, _ = lgs(capsys, *args, "--as-of", "2011-05-22")
        assert code == 3 and len(inbox.messages) == 1
        code, _, _ = lgs(capsys, *args[:-1], "--as-of", quiet_sunday())
        assert code == 0 and len(inbox.messages) == 2
    assert inbox.messages[1].message["Subject"].endswith(": nothing unusual")


def _iso(day: str) -> str:
    year, week, _ = dt.date.fromisoformat(day).isocalendar()
    return f"{year}-W{week:02d}"


def test_starttls_with_login(
    db: str,
    tmp_path: Path,
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with smtp_server(
        tls_context=_server_tls(certificate),
        require_starttls=True,
        authenticator=_authenticator,
        auth_required=True,
    ) as (inbox, port):
        monkeypatch.setenv("LGS_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("LGS_SMTP_PORT", str(port))
        monkeypatch.setenv("LGS_SMTP_STARTTLS", "true")
        monkeypatch.setenv("LGS_SMTP_USER", USER)
        monkeypatch.setenv("LGS_SMTP_PASSWORD", PASSWORD)
        monkeypatch.setenv("LGS_SMTP_CAFILE", str(certificate[0]))
        code, stdout, err = lgs(
            capsys,
            *("report", "--db", db, "--as-of", "2011-05-22", "--out", str(tmp_path)),
            *("--email-to", "ops@lgs.example", "--json", "--format", "json"),
        )
        assert code == 3, err
        [got] = inbox.messages
        assert got.tls and got.login == USER
        assert got.message["From"] == f"LGS Explorer <{USER}>"  # no LGS_SMTP_FROM: the login's address
        assert json.loads(stdout)["email"]["sent"] is True
        assert PASSWORD not in stdout + err

        # A wrong password: exit 2, one line, no password anywhere; the files are written all the same.
        monkeypatch.setenv("LGS_SMTP_PASSWORD", "wrong-" + PASSWORD)
        out = tmp_path / "second"
        code, stdout, err = lgs(
            capsys,
            *(
                "report",
                "--db",
                db,
                "--as-of",
                "2011-05-22",
                "--out",
                str(out),
                "--email-to",
                "ops@lgs.example",
            ),
        )
        assert code == 2 and err.startswith("error: SMTP 127.0.0.1:") and "refused the login" in err
        assert PASSWORD not in stdout + err and len(inbox.messages) == 1
        assert (out / "lgs-weekly-2011-W20.json").exists()


def test_an_untrusted_certificate_is_refused(
    spike_report: report.WeeklyReport, certificate: tuple[Path, Path]
) -> None:
    with smtp_server(tls_context=_server_tls(certificate), require_starttls=True) as (inbox, port):
        settings = SmtpSettings(host="127.0.0.1", port=port, starttls=True, sender=SENDER)
        with pytest.raises(LgsError, match="TLS certificate is not trusted.*LGS_SMTP_CAFILE"):
            mailer.send_report(spike_report, ["ops@lgs.example"], settings)
        assert inbox.messages == []


def test_starttls_required_but_not_offered(spike_report: report.WeeklyReport) -> None:
    with smtp_server() as (inbox, port):
        settings = SmtpSettings(host="127.0.0.1", port=port, starttls=True, user=USER, password=PASSWORD)
        with pytest.raises(LgsError, match="does not offer STARTTLS") as caught:
            mailer.send_report(spike_report, ["ops@lgs.example"], settings)
        assert PASSWORD not in str(caught.value) and inbox.messages == []


# --- settings and failures, no server needed ---------------------------------------------------------------


def test_no_password_in_clear_over_the_network(spike_report: report.WeeklyReport) -> None:
    settings = SmtpSettings(host="smtp.example.com", port=25, starttls=False, user=USER, password=PASSWORD)
    with pytest.raises(LgsError, match="unencrypted") as caught:
        mailer.send_report(spike_report, ["ops@lgs.example"], settings)
    assert PASSWORD not in str(caught.value)


def test_an_unreachable_server(spike_report: report.WeeklyReport) -> None:
    settings = SmtpSettings(host="127.0.0.1", port=_free_port(), starttls=False, timeout=5)
    with pytest.raises(LgsError, match=r"SMTP 127\.0\.0\.1:\d+: cannot reach the SMTP server"):
        mailer.send_report(spike_report, ["ops@lgs.example"], settings)


def test_settings_from_secrets_toml_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / ".streamlit" / "secrets.toml"
    secrets.parent.mkdir()
    secrets.write_text(
        f'[postgres]\nhost = "db"\n\n[smtp]\nhost = "smtp.lgs.example"\nport = 2525\nuser = "{USER}"\n'
        f'password = "{PASSWORD}"\nstarttls = false\nfrom = "{SENDER}"\n',
        encoding="utf-8",
    )
    settings = mailer.smtp_settings()
    assert (settings.host, settings.port, settings.user, settings.password) == (
        "smtp.lgs.example",
        2525,
        USER,
        PASSWORD,
    )
    assert (settings.starttls, settings.sender) == (False, SENDER)
    assert PASSWORD not in repr(settings) and PASSWORD not in json.dumps(settings.to_json())
    assert settings.to_json()["password_set"] is True
    monkeypatch.setenv("LGS_SMTP_PORT", "587")
    monkeypatch.setenv("LGS_SMTP_STARTTLS", "yes")
    overridden = mailer.smtp_settings()
    assert (overridden.port, overridden.starttls, overridden.host) == (587, True, "smtp.lgs.example")
    monkeypatch.setenv("LGS_SMTP_PORT", "smtp")
    with pytest.raises(LgsError, match="LGS_SMTP_PORT: 'smtp' is not a port number"):
        mailer.smtp_settings()
    monkeypatch.delenv("LGS_SMTP_PORT")
    monkeypatch.setenv("LGS_SMTP_STARTTLS", "maybe")
    with pytest.raises(LgsError, match="LGS_SMTP_STARTTLS: 'maybe' is not true or false"):
        mailer.smtp_settings()
    # A broken secrets file is named, never quoted (the line at fault could be the password).
    secrets.write_text(f'[smtp]\npassword = "{PASSWORD}\n', encoding="utf-8")
    with pytest.raises(LgsError, match="secrets file is not valid TOML") as caught:
        mailer.smtp_settings()
    assert str(secrets) in str(caught.value) and PASSWORD not in str(caught.value)


def test_defaults_and_addresses() -> None:
    settings = mailer.smtp_settings({"LGS_SMTP_HOST": "mail"}, secrets_paths=[])
    assert (settings.port, settings.starttls, settings.user) == (587, True, None)
    assert mailer.smtp_settings({"LGS_SMTP_HOST": "mail", "LGS_SMTP_STARTTLS": "0"}, []).port == 25
    with pytest.raises(LgsError, match="no SMTP server configured"):
        mailer.smtp_settings({}, secrets_paths=[])
    assert mailer.parse_recipients(["a@x.example, b@x.example", "Boss <c@x.example>"]) == [
        "a@x.example",
        "b@x.example",
        "Boss <c@x.example>",
    ]
    for bad in (["nobody"], ["a@x.example\nBcc: evil@x.example"]):
        with pytest.raises(LgsError, match="--email-to"):
            mailer.parse_recipients(bad)
