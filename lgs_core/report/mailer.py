"""Email the weekly report over SMTP: HTML (charts as attached PNGs) with the Markdown as the plain-text part.

Settings come from the environment, else from the ``[smtp]`` section of ``.streamlit/secrets.toml``
(the working directory's, then ``~/.streamlit/``'s; see .streamlit/secrets.toml.example), key by key:

=====================  ====================  =========================================================
environment            secrets.toml [smtp]   meaning
=====================  ====================  =========================================================
``LGS_SMTP_HOST``      ``host``              the server (required)
``LGS_SMTP_PORT``      ``port``              default 587 with STARTTLS, else 25
``LGS_SMTP_USER``      ``user``              login (none: send without logging in)
``LGS_SMTP_PASSWORD``  ``password``          never printed, logged or put in an error message
``LGS_SMTP_STARTTLS``  ``starttls``          true (default) / false: upgrade the connection to TLS first
``LGS_SMTP_FROM``      ``from``              the sender, e.g. ``LGS Explorer <reports@example.com>``
``LGS_SMTP_CAFILE``    ``cafile``            extra CA certificates (PEM) to trust, e.g. a company CA
=====================  ====================  =========================================================

A password is only ever sent over TLS, except to a server on this machine (127.0.0.1, ::1, localhost).
"""

from __future__ import annotations

import base64
import ipaddress
import os
import smtplib
import ssl
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lgs_core.errors import LgsError

if TYPE_CHECKING:
    from lgs_core.report.report import WeeklyReport

SECRETS_RELATIVE = Path(".streamlit") / "secrets.toml"
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = True
    sender: str = "LGS Explorer <lgs-explorer@localhost>"
    cafile: str | None = None
    timeout: float = 30.0
    source: str = "environment"  # where the settings came from, for messages (never the password)

    @property
    def where(self) -> str:
        return f"SMTP {self.host}:{self.port}"

    def to_json(self) -> dict[str, Any]:
        """What may be shown: everything but the password (only whether one is set)."""
        return {
            "host": self.host,
            "port": self.port,
            "user": self.user,
            "password_set": bool(self.password),
            "starttls": self.starttls,
            "from": self.sender,
            "cafile": self.cafile,
            "source": self.source,
        }


def _secrets_section(paths: Sequence[Path]) -> tuple[dict[str, Any], str]:
    for path in paths:
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            # The parser's message may quote a line of the file, i.e. possibly the password: name the file only.
            reason = "not valid TOML" if isinstance(exc, tomllib.TOMLDecodeError) else "unreadable"
            raise LgsError(
                f"the secrets file is {reason}",
                where=str(path),
                todo="fix it (see .streamlit/secrets.toml.example)",
            ) from None
        section = data.get("smtp")
        if isinstance(section, dict):
            return section, str(path)
    return {}, ""


def smtp_settings(
    env: Mapping[str, str] | None = None, secrets_paths: Sequence[Path] | None = None
) -> SmtpSettings:
    """SMTP settings from ``env`` (default: the environment), falling back key by key to ``[smtp]`` in
    the first secrets file found (default: ./.streamlit/secrets.toml, then ~/.streamlit/secrets.toml).
    """
    env = os.environ if env is None else env
    if secrets_paths is None:
        secrets_paths = [Path.cwd() / SECRETS_RELATIVE, Path.home() / SECRETS_RELATIVE]
    secrets, secrets_file = _secrets_section(secrets_paths)

    def pick(env_key: str, secret_key: str) -> tuple[Any, str]:
        value = env.get(env_key)
        if value not in (None, ""):
            return value, env_key
        value = secrets.get(secret_key)
        if value not in (None, ""):
            return value, f"{secrets_file} [smtp] {secret_key}"
        return None, env_key

    host, _ = pick("LGS_SMTP_HOST", "host")
    if not host:
        raise LgsError(
            "no SMTP server configured",
            where="--email-to",
            todo="set LGS_SMTP_HOST (and LGS_SMTP_PORT, LGS_SMTP_USER, LGS_SMTP_PASSWORD, LGS_SMTP_FROM) "
            "or an [smtp] section in .streamlit/secrets.toml",
        )
    starttls_value, starttls_where = pick("LGS_SMTP_STARTTLS", "starttls")
    starttls = _boolean(starttls_value, starttls_where, default=True)
    port_value, port_where = pick("LGS_SMTP_PORT", "port")
    port = _port(port_value, port_where, default=587 if starttls else 25)
    user, _ = pick("LGS_SMTP_USER", "user")
    password, _ = pick("LGS_SMTP_PASSWORD", "password")
    sender, sender_where = pick("LGS_SMTP_FROM", "from")
    cafile, cafile_where = pick("LGS_SMTP_CAFILE", "cafile")
    if cafile and not Path(str(cafile)).is_file():
        raise LgsError(
            "no such CA file", where=f"{cafile_where}: {cafile}", todo="give the path of a PEM file"
        )
    if sender:
        _check_addresses([str(sender)], sender_where)
    else:
        sender = f"LGS Explorer <{user}>" if user and "@" in str(user) else SmtpSettings.sender
    return SmtpSettings(
        host=str(host),
        port=port,
        user=str(user) if user else None,
        password=str(password) if password else None,
        starttls=starttls,
        sender=str(sender),
        cafile=str(cafile) if cafile else None,
        source="environment" if not secrets_file else f"environment and {secrets_file}",
    )


def _boolean(value: Any, where: str, *, default: bool) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise LgsError(f"{value!r} is not true or false", where=where, todo="write true or false")


def _port(value: Any, where: str, *, default: int) -> int:
    if value is None:
        return default
    try:
        port = int(str(value).strip())
    except ValueError:
        raise LgsError(f"{value!r} is not a port number", where=where, todo="write e.g. 587") from None
    if not 1 <= port <= 65535:
        raise LgsError(f"port {port} is out of range", where=where, todo="use 1 to 65535, e.g. 587")
    return port


def _check_addresses(addresses: Sequence[str], where: str) -> list[str]:
    """Addresses as given (``a@b.c`` or ``Name <a@b.c>``), refusing anything that could inject headers."""
    checked = []
    for text in addresses:
        if any(ch in text for ch in "\r\n\0"):
            raise LgsError(
                "an email address contains a line break", where=where, todo="give one address per value"
            )
        parsed = getaddresses([text])
        if len(parsed) != 1 or "@" not in parsed[0][1] or " " in parsed[0][1]:
            raise LgsError(
                f"{text!r} is not an email address", where=where, todo="write e.g. team@example.com"
            )
        checked.append(text.strip())
    return checked


def parse_recipients(values: Sequence[str]) -> list[str]:
    """``--email-to`` values: repeatable, each possibly a comma-separated list."""
    found = [part.strip() for value in values for part in value.split(",") if part.strip()]
    return _check_addresses(found, "--email-to")


def build_message(
    subject: str,
    *,
    to: Sequence[str],
    sender: str,
    text: str,
    html: str,
    images: Mapping[str, bytes] | None = None,
) -> EmailMessage:
    """multipart/alternative: ``text`` (plain) and ``html``; ``images`` (content id → PNG) are attached to
    the HTML as multipart/related parts it refers to as ``cid:<content id>``.
    """
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=_domain(sender))
    message.set_content(text, subtype="plain", charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    if images:
        html_part = message.get_payload()[1]  # type: ignore[index]
        assert isinstance(html_part, EmailMessage)
        for cid, png in images.items():
            html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>", filename=f"{cid}.png")
    return message


def _domain(sender: str) -> str:
    address = getaddresses([sender])[0][1]
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"


def _is_local(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _scrub(text: str, settings: SmtpSettings) -> str:
    """``text`` without the password in any form a server might echo (plain, base64, AUTH PLAIN blob)."""
    secret = settings.password
    if not secret:
        return text
    forms = {secret, base64.b64encode(secret.encode()).decode()}
    if settings.user:
        forms.add(base64.b64encode(f"\0{settings.user}\0{secret}".encode()).decode())
    for form in sorted(forms, key=len, reverse=True):
        text = text.replace(form, "***")
    return text


def _server_text(exc: smtplib.SMTPResponseException, settings: SmtpSettings) -> str:
    raw = (
        exc.smtp_error.decode("utf-8", "replace")
        if isinstance(exc.smtp_error, bytes)
        else str(exc.smtp_error)
    )
    return _scrub(f"{exc.smtp_code} {' '.join(raw.split())}", settings)


def check_settings(settings: SmtpSettings) -> None:
    """Refuse what must never happen before any work: a password sent in clear over the network."""
    if settings.password and not settings.starttls and not _is_local(settings.host):
        raise LgsError(
            "refusing to send the SMTP password over an unencrypted connection",
            where=settings.where,
            todo="set LGS_SMTP_STARTTLS=true (or starttls = true in [smtp])",
        )


def send(message: EmailMessage, settings: SmtpSettings, *, context: ssl.SSLContext | None = None) -> None:
    """Send ``message`` to its To addresses. Failures raise ``LgsError`` (what, where, what to do), and no
    message ever holds the password. ``context``: the TLS context (default: the system's CAs, plus
    ``settings.cafile``; certificates and host names are always verified).
    """
    check_settings(settings)
    recipients = [address for _, address in getaddresses(message.get_all("To", []))]
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                if not smtp.has_extn("starttls"):
                    raise LgsError(
                        "the server does not offer STARTTLS",
                        where=settings.where,
                        todo="use a server or port that does (usually 587); set LGS_SMTP_STARTTLS=false "
                        "only for a relay on a trusted network",
                    )
                tls = context or ssl.create_default_context(cafile=settings.cafile)
                smtp.starttls(context=tls)
                smtp.ehlo()
            if settings.user:
                smtp.login(settings.user, settings.password or "")
            refused = smtp.send_message(message, to_addrs=recipients)
    except LgsError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise LgsError(
            f"the server refused the login of {settings.user!r} ({_server_text(exc, settings)})",
            where=settings.where,
            todo="check LGS_SMTP_USER and LGS_SMTP_PASSWORD",
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise LgsError(
            "the server does not offer login (AUTH) on this connection",
            where=settings.where,
            todo="enable STARTTLS (most servers offer AUTH only after it) or leave LGS_SMTP_USER empty",
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise LgsError(
            f"the server refused every recipient ({', '.join(sorted(exc.recipients))})",
            where=settings.where,
            todo="check the --email-to addresses, and that the server relays to them",
        ) from None
    except smtplib.SMTPSenderRefused as exc:
        raise LgsError(
            f"the server refused the sender {settings.sender!r} ({_server_text(exc, settings)})",
            where=settings.where,
            todo="set LGS_SMTP_FROM to an address the server lets this user send as",
        ) from None
    except smtplib.SMTPResponseException as exc:
        raise LgsError(
            f"the server said {_server_text(exc, settings)}",
            where=settings.where,
            todo="check the SMTP settings",
        ) from None
    except ssl.SSLCertVerificationError as exc:
        raise LgsError(
            f"the server's TLS certificate is not trusted ({exc.verify_message})",
            where=settings.where,
            todo="set LGS_SMTP_CAFILE to the CA certificate that signed it, or fix the server's certificate",
        ) from None
    except ssl.SSLError as exc:
        raise LgsError(
            f"TLS failed ({exc.reason or type(exc).__name__})",
            where=settings.where,
            todo="check the port and TLS",
        ) from None
    except smtplib.SMTPServerDisconnected:
        raise LgsError(
            "the server closed the connection",
            where=settings.where,
            todo="check the port (587 for STARTTLS; implicit TLS on 465 is not supported)",
        ) from None
    except TimeoutError:
        raise LgsError(
            f"no answer within {settings.timeout:g} s",
            where=settings.where,
            todo="check LGS_SMTP_HOST and PORT",
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise LgsError(
            f"cannot reach the SMTP server ({reason})",
            where=settings.where,
            todo="check LGS_SMTP_HOST and LGS_SMTP_PORT, and that the server is up",
        ) from None
    except smtplib.SMTPException as exc:
        raise LgsError(
            f"sending failed ({_scrub(str(exc), settings)})",
            where=settings.where,
            todo="check the SMTP settings",
        ) from None
    if refused:
        raise LgsError(
            f"the server refused {len(refused)} of {len(recipients)} recipients ({', '.join(sorted(refused))})",
            where=settings.where,
            todo="the others received it; check the refused addresses",
        )


def report_message(report: WeeklyReport, to: Sequence[str], sender: str) -> EmailMessage:
    """The weekly report as an email: subject names the week and the flag count; HTML with the charts as
    PNG parts (most mail clients show no inline SVG), the Markdown as the plain-text alternative.
    """
    from lgs_core.report import report as reports

    cids = {metric: f"chart-{metric}-{report.label}@lgs-explorer" for metric in report.history}
    images = {cids[m]: reports.chart_png(reports.weekly_chart(report, m)) for m in cids}
    html = reports.to_html(report, images={m: f"cid:{cid}" for m, cid in cids.items()})
    return build_message(
        report.subject, to=to, sender=sender, text=reports.to_markdown(report), html=html, images=images
    )


def send_report(
    report: WeeklyReport,
    to: Sequence[str],
    settings: SmtpSettings | None = None,
    *,
    context: ssl.SSLContext | None = None,
) -> EmailMessage:
    """Email ``report`` to ``to`` (settings: from the environment or secrets.toml). Returns what was sent."""
    recipients = parse_recipients(to)
    if not recipients:
        raise LgsError("no recipient", where="--email-to", todo="give at least one address")
    settings = settings or smtp_settings()
    check_settings(settings)
    message = report_message(report, recipients, settings.sender)
    send(message, settings, context=context)
    return message
