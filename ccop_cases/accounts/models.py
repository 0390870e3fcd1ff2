"""Accounts: people who log in, their recovery codes, server-side sessions, login throttling."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ColumnElement, ForeignKey, LargeBinary, String, func
from sqlalchemy.orm import Mapped, mapped_column

from ccop_cases.db import Base, new_id


class Person(Base):
    """A login account of a professional (never a followed person). Its display name and
    function are shown wherever the person appears; audit entries keep only its id."""

    __tablename__ = "person"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    must_change_password: Mapped[bool] = mapped_column(default=True)
    # Encrypted TOTP secret (bound to this person's id); None until enrolment starts.
    totp_secret_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enrolled_at: Mapped[datetime | None]
    # Last accepted TOTP time step: a code whose step is not newer is refused (replay).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    is_active: Mapped[bool] = mapped_column(default=True)
    # Platform-wide duties, granted by an operator (CLI): never access to case content.
    is_charter_admin: Mapped[bool] = mapped_column(default=False)
    is_dpo: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime]
    # Staff identity (not a followed person's data): shown in clear, never in the trail.
    display_name: Mapped[str] = mapped_column(String(120), default="")
    function: Mapped[str] = mapped_column(String(160), default="")  # « Cheffe de service, Éducation nationale »
    email: Mapped[str | None] = mapped_column(String(254))  # for reminders only
    reminders: Mapped[bool] = mapped_column(default=False)  # the person's own choice to receive them

    @property
    def is_enrolled(self) -> bool:
        return self.totp_enrolled_at is not None

    @property
    def name(self) -> str:
        """The name the person is shown under: their display name, else their username."""
        return self.display_name.strip() or self.username

    @property
    def label(self) -> str:
        return staff_label(self.username, self.display_name, self.function)


def staff_label(username: str, display_name: str | None, function: str | None) -> str:
    """« Nom affiché (Fonction) », wherever a person is shown: the username stands for a
    missing display name, and no parentheses without a function. The one formatting of a
    staff member's name (pages only: audit entries keep ids)."""
    name = (display_name or "").strip() or username
    return f"{name} ({function.strip()})" if function and function.strip() else name


def by_name() -> ColumnElement[str]:
    """The order of people by the name they are shown under (display name, else username)."""
    return func.lower(func.coalesce(func.nullif(Person.display_name, ""), Person.username))


class RecoveryCode(Base):
    """A single-use recovery code, stored only as a hash."""

    __tablename__ = "recovery_code"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A server-side session. The cookie carries a random token; only its hash is stored."""

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # password: code step pending; setup: password change or 2FA enrolment pending; full.
    stage: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    # Last time the person re-entered a code for a sensitive act (signing, export, exclusion).
    reauth_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))


class LoginThrottle(Base):
    """Failed-login counter per username hash, shared by every worker through the database.

    Keyed by a hash of the typed username, so unknown usernames are throttled and locked
    exactly like real ones and the answers never reveal whether an account exists.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[datetime | None]
    locked_at: Mapped[datetime | None]


class ReminderSent(Base):
    """One reminder sent to a person on a day: a second run that day sends it no more."""

    __tablename__ = "reminder_sent"

    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), primary_key=True)
    sent_on: Mapped[date] = mapped_column(primary_key=True)
    sent_at: Mapped[datetime]
