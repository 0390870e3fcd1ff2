"""Account services: login steps, throttling, TOTP enrolment, recovery codes, sessions.

Flask-free: views, the CLI and tests call these with an explicit SQLAlchemy session and
``now``. They may flush, never commit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ccop_cases.accounts.models import LoginThrottle, Person, RecoveryCode, WebSession, by_name, staff_label
from ccop_cases.auditing import Auditor
from ccop_cases.encryption import KeyProvider, open_text, seal_text
from ccop_cases.security import otp, passwords
from ccop_cases.work import DomainError, Work

SLOW_AFTER = 5
LOCK_AFTER = 20
MAX_DELAY_SECONDS = 900
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


class LoginRefused(Exception):
    """A login step failed. ``kind`` is invalid, slowed or locked; the message never says which factor.

    Raised after the failure was counted and audited: the caller commits, then answers.
    """

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class AccountError(DomainError):
    """An administration request that cannot be carried out (message in French)."""


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta


def seal_totp_secret(keys: KeyProvider, person_id: uuid.UUID, secret: str) -> bytes:
    """The person's TOTP secret, sealed under the key kept for that purpose alone."""
    return seal_text(keys.purpose_key("totp-secret"), secret, column=Person.totp_secret_enc, row_id=person_id)


def open_totp_secret(keys: KeyProvider, person_id: uuid.UUID, sealed: bytes) -> str:
    return open_text(keys.purpose_key("totp-secret"), sealed, column=Person.totp_secret_enc, row_id=person_id)


def throttle_key(username: str) -> str:
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()


# --- password step -------------------------------------------------------------------------

def check_password(work: Work, username: str, password: str) -> Person:
    """First login step. Raise LoginRefused (same kind for unknown user and wrong password)."""
    db, audit, hasher, now = work.session, work.audit, work.hasher, work.now()
    key = throttle_key(username)
    person = db.scalar(select(Person).where(Person.username == username.strip().lower()))
    target = person.id if person else ""
    _refuse_if_throttled(db, audit, key, target, "password", now)
    if person is None or not person.is_active:
        # Spend the same time as a real verification so timing does not reveal existence.
        passwords.verify(hasher, passwords.dummy_hash(hasher), password)
        _fail(db, audit, key, target, "password", now)
    if not passwords.verify(hasher, person.password_hash, password):
        _fail(db, audit, key, target, "password", now)
    if hasher.check_needs_rehash(person.password_hash):
        person.password_hash = hasher.hash(password)
    audit.record("login.password_accepted", "person", person.id)
    return person


def _refuse_if_throttled(db: Session, audit: Auditor, key: str, target: object, step: str,
                         now: datetime) -> None:
    row = db.get(LoginThrottle, key)
    if row is None:
        return
    kind = None
    if row.locked_at is not None:
        kind = "locked"
    elif row.failures >= SLOW_AFTER and row.last_failure_at is not None:
        delay = min(2 ** (row.failures - SLOW_AFTER), MAX_DELAY_SECONDS)
        if now - row.last_failure_at < timedelta(seconds=delay):
            kind = "slowed"
    if kind:
        audit.record("login.refused", "person", target, outcome="denied", rule="R21", step=step, kind=kind)
        raise LoginRefused(kind)


def _fail(db: Session, audit: Auditor, key: str, target: object, step: str, now: datetime) -> NoReturn:
    audit.record("login.refused", "person", target, outcome="denied", rule="R21", step=step, kind="invalid")
    if record_failure(db, key, now):
        audit.record("login.locked", "person", target, failures=LOCK_AFTER)
    raise LoginRefused("invalid")


def record_failure(db: Session, key: str, now: datetime) -> bool:
    """Count one failure atomically (safe across workers); lock at LOCK_AFTER.

    Return True when this failure locked the key.
    """
    if db.get(LoginThrottle, key) is None:
        db.add(LoginThrottle(key=key, failures=0))
        db.flush()
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key)
        .values(failures=LoginThrottle.failures + 1, last_failure_at=now)
    )
    locked = db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.key == key, LoginThrottle.failures >= LOCK_AFTER,
               LoginThrottle.locked_at.is_(None))
        .values(locked_at=now)
    )
    db.expire_all()
    return bool(locked.rowcount)  # type: ignore[attr-defined]


def clear_failures(db: Session, username: str) -> None:
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == throttle_key(username)))


def is_locked(db: Session, username: str) -> bool:
    row = db.get(LoginThrottle, throttle_key(username))
    return row is not None and row.locked_at is not None


# --- second factor -------------------------------------------------------------------------


def check_second_factor(work: Work, person: Person, code: str) -> str:
    """Second login step: a TOTP code or a recovery code. Return which one was used."""
    db, audit, keys, now = work.session, work.audit, work.keys, work.now()
    key = throttle_key(person.username)
    _refuse_if_throttled(db, audit, key, person.id, "code", now)
    if accept_totp(db, keys, person, code, now):
        used = "totp"
    elif use_recovery_code(db, person, code, now):
        used = "recovery"
        audit.record("account.recovery_code_used", "person", person.id)
    else:
        _fail(db, audit, key, person.id, "code", now)
    clear_failures(db, person.username)
    audit.record("login.succeeded", "person", person.id, factor=used)
    return used


def reauthenticate(work: Work, person: Person, record: WebSession, code: str) -> None:
    """Ask a signed-in person for a fresh code before a sensitive act (signing, export…).

    Throttled like the login code step; reaching the lock ends every session of the person.
    """
    db, audit, keys, now = work.session, work.audit, work.keys, work.now()
    key = throttle_key(person.username)
    try:
        _refuse_if_throttled(db, audit, key, person.id, "reauth", now)
        if not accept_totp(db, keys, person, code, now):
            _fail(db, audit, key, person.id, "reauth", now)
    except LoginRefused as exc:
        if exc.kind == "locked" or is_locked(db, person.username):
            end_all_sessions(work, person.id, "locked")
        raise
    record.reauth_at = now
    audit.record("account.reauthenticated", "person", person.id)


def is_fresh(record: WebSession, now: datetime, minutes: int = 10) -> bool:
    return record.reauth_at is not None and now - record.reauth_at <= timedelta(minutes=minutes)


def accept_totp(db: Session, keys: KeyProvider, person: Person, code: str, now: datetime) -> bool:
    """Accept a TOTP code once: its step must be newer than the last accepted one.

    The conditional UPDATE is atomic in the database, so two workers racing with the same
    code cannot both succeed.
    """
    if person.totp_secret_enc is None:
        return False
    secret = open_totp_secret(keys, person.id, person.totp_secret_enc)
    step = otp.matching_step(secret, code, now)
    if step is None:
        return False
    result = db.execute(
        update(Person)
        .where(Person.id == person.id)
        .where((Person.totp_last_step.is_(None)) | (Person.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    accepted: bool = result.rowcount == 1  # type: ignore[attr-defined]
    if accepted:
        person.totp_last_step = step
    return accepted


def _hash_recovery(person_id: uuid.UUID, code: str) -> bytes:
    normalised = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(person_id.bytes + normalised.encode()).digest()


def new_recovery_codes(db: Session, person: Person) -> list[str]:
    """Replace the person's recovery codes with 10 fresh ones; return them (shown once)."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(12))
        codes.append(f"{raw[:4]}-{raw[4:8]}-{raw[8:]}")
        db.add(RecoveryCode(person_id=person.id, code_hash=_hash_recovery(person.id, raw)))
    db.flush()
    return codes


def use_recovery_code(db: Session, person: Person, code: str, now: datetime) -> bool:
    wanted = _hash_recovery(person.id, code)
    for row in db.scalars(select(RecoveryCode).where(RecoveryCode.person_id == person.id,
                                                     RecoveryCode.used_at.is_(None))):
        if hmac.compare_digest(row.code_hash, wanted):
            result = db.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == row.id, RecoveryCode.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            return bool(result.rowcount == 1)  # type: ignore[attr-defined]
    return False


def remaining_recovery_codes(db: Session, person: Person) -> int:
    rows = db.scalars(select(RecoveryCode.id).where(RecoveryCode.person_id == person.id,
                                                    RecoveryCode.used_at.is_(None)))
    return len(rows.all())


# --- enrolment -----------------------------------------------------------------------------


def pending_totp_secret(work: Work, person: Person) -> str:
    """The secret being enrolled; created (encrypted) on first call, stable across reloads."""
    db, keys = work.session, work.keys
    if person.is_enrolled:
        raise AccountError("La double authentification est déjà activée.")
    if person.totp_secret_enc is None:
        person.totp_secret_enc = seal_totp_secret(keys, person.id, otp.new_secret())
        db.flush()
    return open_totp_secret(keys, person.id, person.totp_secret_enc)


def confirm_enrolment(work: Work, person: Person, code: str) -> list[str]:
    """Finish enrolment with a first valid code; return the recovery codes to show once."""
    db, audit, keys, now = work.session, work.audit, work.keys, work.now()
    pending_totp_secret(work, person)
    if not accept_totp(db, keys, person, code, now):
        raise LoginRefused("invalid")
    person.totp_enrolled_at = now
    audit.record("account.totp_enrolled", "person", person.id)
    return new_recovery_codes(db, person)


# --- passwords and administration ----------------------------------------------------------


def change_password(work: Work, person: Person, new_password: str) -> list[str]:
    """Set a new password; return the policy problems instead when it is refused."""
    audit, hasher = work.audit, work.hasher
    problems = passwords.problems(new_password, person.username)
    if problems:
        return problems
    person.password_hash = hasher.hash(new_password)
    person.must_change_password = False
    audit.record("account.password_changed", "person", person.id)
    return []


def create_person(work: Work, username: str) -> tuple[Person, str]:
    """Create an account with a one-time password that must be changed at first login."""
    db, audit, hasher, now = work.session, work.audit, work.hasher, work.now()
    username = username.strip().lower()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise AccountError("Identifiant invalide : lettres, chiffres, « . », « _ » ou « - », 64 au plus.")
    if db.scalar(select(Person.id).where(Person.username == username)) is not None:
        raise AccountError("Cet identifiant existe déjà.")
    one_time = secrets.token_urlsafe(12)
    person = Person(username=username, password_hash=hasher.hash(one_time),
                    must_change_password=True, created_at=now)
    db.add(person)
    db.flush()
    audit.record("account.created", "person", person.id)
    return person, one_time


# --- display name, function, e-mail address ----------------------------------------------------

PROFILE_FIELDS = ("display_name", "function", "email", "reminders")
PROFILE_LIMITS = {"display_name": 120, "function": 160, "email": 254}
# One address, no display part: a local part, "@", a domain of at least two labels.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                    r"[A-Za-z]{2,63}")


def _profile_value(name: str, value: str | bool | None) -> str | bool | None:
    """The value to store, or AccountError (French, naming the field) when it is refused."""
    if name == "reminders":
        return bool(value)
    text = " ".join(str(value or "").split())  # no stray spaces or line breaks
    if len(text) > PROFILE_LIMITS[name]:
        raise AccountError(f"{PROFILE_LIMITS[name]} caractères au plus.", name)
    if name == "email":
        if text and (len(text) > PROFILE_LIMITS["email"] or not _EMAIL.fullmatch(text)):
            raise AccountError("Adresse électronique invalide : elle s’écrit nom@domaine.fr, sans espace.", "email")
        return text or None
    return text


def update_profile(work: Work, person: Person, **changes: str | bool | None) -> list[str]:
    """Set the display name, function, e-mail address or choice of reminders given (the others
    are left as they are); return the names of the fields that changed. The audit entry names
    those fields, never their values (a name or an address is not an id)."""
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    values = {name: _profile_value(name, value) for name, value in changes.items()}
    email = values.get("email", person.email)
    if values.get("reminders", person.reminders) and not email:
        raise AccountError("Indiquez une adresse électronique pour recevoir les rappels.", "email")
    changed = [name for name in PROFILE_FIELDS if name in values and values[name] != getattr(person, name)]
    for name in changed:
        setattr(person, name, values[name])
    if changed:
        work.audit.record("account.profile_changed", "person", person.id, fields=".".join(changed))
    return changed


def complete_profile(work: Work, person: Person, *, display_name: str, function: str) -> list[str]:
    """Fill the display name and function an account does not have yet (at a designation):
    what the person or the administrator already set is kept."""
    given = {"display_name": display_name, "function": function}
    return update_profile(work, person, **{name: value for name, value in given.items()
                                           if value.strip() and not getattr(person, name).strip()})


def labels(db: Session, ids: set[str]) -> dict[str, str]:
    """« Nom affiché (Fonction) » of the people among these ids (as written in the trail), in
    one query; an id that is no person's (a job, an anonymous actor) is left out."""
    person_ids = set()
    for value in ids:
        try:
            person_ids.add(uuid.UUID(value))
        except (ValueError, TypeError):
            continue
    if not person_ids:
        return {}
    rows = db.execute(select(Person.id, Person.username, Person.display_name, Person.function)
                      .where(Person.id.in_(person_ids)))
    return {str(pid): staff_label(username, name, function) for pid, username, name, function in rows}


def people(db: Session) -> list[tuple[uuid.UUID, str]]:
    """Every account's id and label, in the order of their names (a list to choose from)."""
    rows = db.execute(select(Person.id, Person.username, Person.display_name, Person.function).order_by(by_name()))
    return [(pid, staff_label(username, name, function)) for pid, username, name, function in rows]


def find_person(db: Session, username: str) -> Person:
    person = db.scalar(select(Person).where(Person.username == username.strip().lower()))
    if person is None:
        raise AccountError("Aucun compte ne porte cet identifiant.")
    return person


def reset_second_factor(work: Work, person: Person) -> int:
    """Drop the TOTP secret and recovery codes; the person enrols again at next login."""
    db, audit = work.session, work.audit
    person.totp_secret_enc = None
    person.totp_enrolled_at = None
    person.totp_last_step = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.person_id == person.id))
    audit.record("account.second_factor_reset", "person", person.id)
    return end_all_sessions(work, person.id, "2fa_reset")


def unlock(work: Work, username: str) -> None:
    """Lift the throttle of a username (known or not) after too many failures."""
    db, audit = work.session, work.audit
    person = db.scalar(select(Person.id).where(Person.username == username.strip().lower()))
    clear_failures(db, username)
    audit.record("account.unlocked", "person", person or "")


# --- sessions ------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(db: Session, person: Person, stage: str, now: datetime,
                  started_at: datetime | None = None) -> str:
    """Create a session record and return the new random token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.add(WebSession(token_hash=_token_hash(token), person_id=person.id, stage=stage,
                      started_at=started_at or now, last_seen_at=now))
    db.flush()
    return token


def rotate_session(db: Session, record: WebSession, person: Person, stage: str, now: datetime) -> str:
    """End ``record`` and open a new one at ``stage`` (new id at each login step)."""
    record.ended_at, record.end_reason = now, "rotated"  # a new id, not the end of the session
    return start_session(db, person, stage, now, started_at=record.started_at)


def live_session(db: Session, token: str) -> tuple[WebSession, Person | None] | None:
    """The session record for ``token`` and its person, unless unknown or already ended."""
    record = db.get(WebSession, _token_hash(token))
    if record is None or record.ended_at is not None:
        return None
    return record, db.get(Person, record.person_id)


def session_change(record: WebSession, person: Person | None, limits: SessionLimits, now: datetime) -> str | None:
    """What must be recorded before the session is used: the reason it ends, ``seen`` (a
    last-seen time to refresh), or None."""
    if now - record.last_seen_at > limits.idle:
        return "idle_timeout"
    if now - record.started_at > limits.absolute:
        return "absolute_timeout"
    if person is None or not person.is_active:
        return "account_inactive"
    if now - record.last_seen_at > timedelta(seconds=30):  # spare a write on every request
        return "seen"
    return None


def load_session(work: Work, token: str, limits: SessionLimits) -> tuple[WebSession, Person] | None:
    """The live session for ``token`` and its person, after recording what ``session_change`` asks
    (a timeout or an inactive account ends the session)."""
    db, now = work.session, work.now()
    found = live_session(db, token)
    if found is None:
        return None
    record, person = found
    change = session_change(record, person, limits, now)
    if change == "seen":
        record.last_seen_at = now
    elif change is not None:
        end_session(work, record, change)
        return None
    assert person is not None  # noqa: S101 - session_change ends a session without an active person
    return record, person


def end_session(work: Work, record: WebSession, reason: str) -> None:
    audit, now = work.audit, work.now()
    record.ended_at = now
    record.end_reason = reason
    audit.record("session.ended", "person", record.person_id, reason=reason)


def end_all_sessions(work: Work, person_id: uuid.UUID, reason: str) -> int:
    """End every live session of a person (logout everywhere, exclusion, 2FA reset)."""
    db, audit, now = work.session, work.audit, work.now()
    result = db.execute(
        update(WebSession)
        .where(WebSession.person_id == person_id, WebSession.ended_at.is_(None))
        .values(ended_at=now, end_reason=reason)
        .execution_options(synchronize_session=False)
    )
    db.expire_all()
    ended = int(result.rowcount)  # type: ignore[attr-defined]
    audit.record("account.sessions_ended", "person", person_id, reason=reason, count=ended)
    return ended
