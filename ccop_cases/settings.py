"""Settings: one frozen object built from ``CCOP_*`` environment variables, validated at start."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class SettingsError(Exception):
    """The configuration is unusable; the message says which variable and why (in French)."""


ENVIRONMENTS = ("production", "development", "test")
KEY_PROVIDERS = ("file", "pkcs11")
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
ADDRESS = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")  # the reminders' sender (from=)

INSTANCE_DIR = "instance"  # the default, relative to the working directory
KEYS = "keys"  # the default key directory, inside the instance directory


@dataclass(frozen=True)
class Settings:
    """Validated configuration. Build it with :meth:`from_env`; never mutate it.

    Each field is read from ``CCOP_`` and its name in capitals; its default here is the
    variable's default in production (``from_env`` reads it from here, the README lists it).
    """

    env: str = "production"
    instance_dir: Path = field(default_factory=lambda: Path(INSTANCE_DIR).resolve())
    database_url: str = ""
    migration_database_url: str = ""  # the schema owner's URL; empty: database_url
    app_role: str = ""  # PostgreSQL: the service's restricted role, granted at ``ccop db upgrade``
    key_dir: Path = field(default_factory=lambda: Path(INSTANCE_DIR, KEYS).resolve())
    key_provider: str = "file"  # file (key_dir) | pkcs11 (a hardware token: the three below)
    pkcs11_module: str = ""  # path of the token's PKCS#11 library
    pkcs11_token: str = ""  # the token's label
    pkcs11_pin_file: str = ""  # a file (0600 or 0400) holding the user PIN, never the PIN itself
    log_format: str = "json"
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    totp_issuer: str = "CCOP"
    secure_cookies: bool = True
    blind_index_bits: int = 8
    audit_heartbeat_minutes: int = 60
    audit_retention_days: int = 365
    archive_after_days: int = 0
    proxy_hops: int = 0
    purge_after_days: int = 92  # about 3 months (CNIL 2020)
    smtp_url: str = field(default="", repr=False)  # the reminders' SMTP server; empty: no reminders
    base_url: str = ""  # where members open the service: the link in the reminders

    @property
    def smtp(self) -> SmtpServer | None:
        """The reminders' SMTP server, or None when reminders are off."""
        return smtp_server(self.smtp_url, self.base_url) if self.smtp_url else None

    @property
    def is_test(self) -> bool:
        return self.env == "test"

    @property
    def owner_database_url(self) -> str:
        """The URL ``ccop db upgrade`` connects with (the owner of the schema)."""
        return self.migration_database_url or self.database_url

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate ``CCOP_*`` variables; raise :class:`SettingsError` on any problem."""
        environ = os.environ if environ is None else environ
        unknown = sorted(k for k in environ if k.startswith("CCOP_") and k not in KNOWN_VARIABLES)
        if unknown:
            raise SettingsError(f"Variable(s) inconnue(s) : {', '.join(unknown)} (faute de frappe ?)")
        env = environ.get("CCOP_ENV", cls.env)
        if env not in ENVIRONMENTS:
            raise SettingsError(f"CCOP_ENV doit valoir {', '.join(ENVIRONMENTS)}.")
        instance_dir = Path(environ.get("CCOP_INSTANCE_DIR", INSTANCE_DIR)).resolve()
        database_url = environ.get(
            "CCOP_DATABASE_URL", f"sqlite:///{instance_dir / 'ccop.sqlite3'}"
        )
        migration_database_url = environ.get("CCOP_MIGRATION_DATABASE_URL", "")
        app_role = environ.get("CCOP_APP_ROLE", "")
        if app_role and not ROLE_NAME.fullmatch(app_role):
            raise SettingsError("CCOP_APP_ROLE doit être un nom de rôle PostgreSQL simple "
                                "(minuscules, chiffres et _, 63 caractères au plus).")
        if app_role and not (migration_database_url or database_url).startswith("postgresql"):
            raise SettingsError("CCOP_APP_ROLE ne s’applique qu’à PostgreSQL : retirez-la ou donnez "
                                "l’URL PostgreSQL du propriétaire dans CCOP_MIGRATION_DATABASE_URL.")
        base_url = environ.get("CCOP_BASE_URL", cls.base_url)
        if base_url:
            _check_base_url(base_url)
        smtp_url = environ.get("CCOP_SMTP_URL", cls.smtp_url)
        if smtp_url:
            smtp_server(smtp_url, base_url)  # refuses an unusable URL now, not at the first reminder
        key_provider = environ.get("CCOP_KEY_PROVIDER", cls.key_provider)
        pkcs11 = {name: environ.get(f"CCOP_{name.upper()}", "") for name in ("pkcs11_module", "pkcs11_token",
                                                                             "pkcs11_pin_file")}
        if key_provider not in KEY_PROVIDERS:
            raise SettingsError(f"CCOP_KEY_PROVIDER doit valoir {' ou '.join(KEY_PROVIDERS)}.")
        missing = [f"CCOP_{name.upper()}" for name, value in pkcs11.items() if not value]
        if key_provider == "pkcs11" and missing:
            raise SettingsError(f"CCOP_KEY_PROVIDER=pkcs11 demande aussi {', '.join(missing)}.")
        log_format = environ.get("CCOP_LOG_FORMAT", cls.log_format if env == "production" else "console")
        if log_format not in ("json", "console"):
            raise SettingsError("CCOP_LOG_FORMAT doit valoir json ou console.")
        return cls(
            env=env,
            instance_dir=instance_dir,
            database_url=database_url,
            migration_database_url=migration_database_url,
            app_role=app_role,
            key_dir=Path(environ.get("CCOP_KEY_DIR", str(instance_dir / KEYS))).resolve(),
            key_provider=key_provider,
            **pkcs11,
            log_format=log_format,
            session_idle_minutes=_positive_int(environ, "CCOP_SESSION_IDLE_MINUTES", cls.session_idle_minutes),
            session_max_hours=_positive_int(environ, "CCOP_SESSION_MAX_HOURS", cls.session_max_hours),
            totp_issuer=environ.get("CCOP_TOTP_ISSUER", cls.totp_issuer),
            secure_cookies=_flag(environ, "CCOP_SECURE_COOKIES", env != "development"),
            blind_index_bits=_bits(environ, cls.blind_index_bits),
            audit_heartbeat_minutes=_positive_int(environ, "CCOP_AUDIT_HEARTBEAT_MINUTES", cls.audit_heartbeat_minutes),
            audit_retention_days=_positive_int(environ, "CCOP_AUDIT_RETENTION_DAYS", cls.audit_retention_days),
            archive_after_days=_natural_int(environ, "CCOP_ARCHIVE_AFTER_DAYS", cls.archive_after_days),
            proxy_hops=_natural_int(environ, "CCOP_PROXY_HOPS", cls.proxy_hops),
            purge_after_days=_positive_int(environ, "CCOP_PURGE_AFTER_DAYS", cls.purge_after_days),
            smtp_url=smtp_url,
            base_url=base_url,
        )


# Every variable the service reads (the README documents each); any other CCOP_* is refused.
KNOWN_VARIABLES: dict[str, str] = {f"CCOP_{f.name.upper()}": f.name for f in fields(Settings)}


@dataclass(frozen=True)
class SmtpServer:
    """Where reminders are sent, read from ``CCOP_SMTP_URL``: ``smtps://`` speaks TLS from the
    first byte; ``smtp://`` switches to TLS (STARTTLS) whenever the server offers it, and
    never sends the password over a connection left in clear."""

    implicit_tls: bool
    host: str
    port: int
    username: str
    password: str = field(repr=False)
    sender: str


def smtp_server(url: str, base_url: str) -> SmtpServer:
    """Parse ``smtp[s]://[user:password@]host[:port][?from=address]``. Messages never quote
    the URL: it may hold a password."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps"):
        raise SettingsError("CCOP_SMTP_URL doit commencer par smtp:// ou smtps://.")
    try:
        port = parts.port
    except ValueError:
        port = -1
    if not parts.hostname or port == -1 or parts.path not in ("", "/") or parts.fragment:
        raise SettingsError("CCOP_SMTP_URL doit avoir la forme smtp://utilisateur:motdepasse@serveur:port "
                            "(utilisateur, mot de passe et port facultatifs).")
    query = parse_qs(parts.query, keep_blank_values=True)
    if set(query) - {"from"}:
        raise SettingsError("CCOP_SMTP_URL ne connaît qu’un paramètre : from=adresse de l’expéditeur.")
    if not base_url:
        raise SettingsError("CCOP_BASE_URL est requise quand CCOP_SMTP_URL est définie : "
                            "c’est le lien que portent les rappels.")
    sender = query["from"][-1] if "from" in query else f"ne-pas-repondre@{urlsplit(base_url).hostname}"
    if not ADDRESS.fullmatch(sender):
        raise SettingsError("CCOP_SMTP_URL : l’adresse de l’expéditeur (from=) n’est pas une adresse électronique.")
    username, password = unquote(parts.username or ""), unquote(parts.password or "")
    if bool(username) != bool(password):
        raise SettingsError("CCOP_SMTP_URL : donnez l’utilisateur et le mot de passe ensemble, ou aucun des deux.")
    if not (username + password).isascii():  # SMTP authentication (smtplib) carries ASCII only
        raise SettingsError("CCOP_SMTP_URL : l’utilisateur et le mot de passe SMTP ne peuvent contenir que des "
                            "caractères ASCII (sans accents).")
    default_port = 465 if parts.scheme == "smtps" else 25
    return SmtpServer(implicit_tls=parts.scheme == "smtps", host=parts.hostname, port=port or default_port,
                      username=username, password=password, sender=sender)


def _check_base_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.query \
            or parts.fragment:
        raise SettingsError("CCOP_BASE_URL doit être l’adresse du service, par exemple https://ccop.example.fr/.")


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) <= 0:
        raise SettingsError(f"{name} doit être un entier positif.")
    return int(raw)


def _natural_int(environ: Mapping[str, str], name: str, default: int) -> int:
    raw = environ.get(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise SettingsError(f"{name} doit être un entier positif ou nul.")
    return int(raw)


def _bits(environ: Mapping[str, str], default: int) -> int:
    bits = _positive_int(environ, "CCOP_BLIND_INDEX_BITS", default)
    if bits > 32:
        raise SettingsError("CCOP_BLIND_INDEX_BITS doit être compris entre 1 et 32.")
    return bits


def _flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    raw = environ.get(name)
    if raw is None:
        return default
    if raw not in ("0", "1"):
        raise SettingsError(f"{name} doit valoir 0 ou 1.")
    return raw == "1"
