"""What the benchmarks share: a fresh database, seeding through the app's services, a
gunicorn server, clients that log in (over HTTP or Flask's test client) and percentiles.

Not a benchmark itself: the scripts beside it import it (``make bench`` runs it as a script,
which does nothing).
"""

from __future__ import annotations

import contextlib
import http.client
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import pyotp
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

BIN = Path(sys.executable).parent
FIRST = ["Lucas", "Léa", "Nour", "Yanis", "Chloé", "Adam", "Inès", "Sacha", "Louna", "Tom", "Jade", "Rayan"]
LAST = ["Exemple", "Fictif", "Démonstration", "Modèle", "Essai", "Prototype", "Maquette", "Brouillon"]
PASSWORD = "une phrase de passe pour le banc"  # noqa: S105 - the fictional accounts of a throwaway database
# The one-time passwords of the accounts nobody logs in with: hashed cheaply, the seeding's
# time goes to what the benchmarks read (the accounts that log in get the app's own hasher).
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


def is_postgresql() -> bool:
    return os.environ.get("CCOP_DATABASE_URL", "").startswith("postgresql")


def fresh_database(tmp: Path) -> tuple[str, str | None]:
    """A SQLite file in ``tmp``, or a fresh schema of the PostgreSQL database CCOP_DATABASE_URL
    names; return (the app's URL, the schema to drop at the end or None)."""
    url = os.environ.get("CCOP_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        return f"sqlite:///{tmp / 'bench.sqlite3'}", None
    schema = f"ccop_bench_{uuid.uuid4().hex[:8]}"
    with create_engine(url).begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str | None) -> None:
    if schema:
        with create_engine(os.environ["CCOP_DATABASE_URL"]).begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


@contextlib.contextmanager
def instance(extra: Mapping[str, str] | None = None) -> Iterator[tuple[str, dict[str, str]]]:
    """A fresh database with keys and migrations (SQLite in a temp dir, or a PostgreSQL schema
    dropped at the end); yields (url, environment of the app).

    ``extra``: more variables of the app and its commands, e.g. another key provider's
    (``CCOP_KEY_PROVIDER=pkcs11``, its token, and ``SOFTHSM2_CONF`` for SoftHSMv2), whose
    keys ``ccop keys init`` then creates; by default the key directory of the temp dir."""
    with tempfile.TemporaryDirectory() as tmp:
        url, schema = fresh_database(Path(tmp))
        env = {"CCOP_ENV": "development", "CCOP_INSTANCE_DIR": tmp, "CCOP_DATABASE_URL": url,
               "CCOP_LOG_FORMAT": "json", **(extra or {})}
        try:
            for command in (["keys", "init"], ["db", "upgrade"]):
                subprocess.run([BIN / "ccop", *command], env={**os.environ, **env}, check=True,  # noqa: S603 - our own venv executables
                               capture_output=True)
            yield url, env
        finally:
            drop_schema(schema)


def backend(url: str) -> str:
    return url.split(":", 1)[0]


# --- seeding ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Account:
    """Who a client logs in as."""

    username: str
    password: str
    secret: str  # TOTP


class Followed(NamedTuple):
    """A seeded situation and what a search needs to find it."""

    case_id: uuid.UUID
    group_id: uuid.UUID
    last_name: str
    given_names: str
    birth_date: date


def realistic_sizes(total: int, rng: random.Random) -> list[int]:
    """Cases per group as in the field: 50 to 300, most groups near the bottom (50 + 250·u³,
    mean about 110), until ``total`` (the last groups adjusted so that each holds 50 to 300
    whenever ``total`` is at least 50)."""
    sizes: list[int] = []
    while (rest := total - sum(sizes)) > 0:
        size = 50 + int(250 * rng.random() ** 3)
        if rest - size < 50:  # too little left for another group
            size = rest if rest <= 300 else rest - 50
        sizes.append(size)
    return sizes


class Seeder:
    """Councils, groups, designations and cases through the app's services, in one session,
    committed in batches. Every situation goes through ``cases.propose`` (its data key, sealed
    identity, blind-index token, history line and audit entry as the app writes them)."""

    def __init__(self, env: dict[str, str], rng: random.Random) -> None:
        os.environ.update(env)
        from ccop_cases import create_app
        from ccop_cases.work import Work

        self.app = create_app()
        self.rt = self.app.extensions["ccop"]
        self.db = self.rt.database.session()
        self.work = Work(self.db, self.rt.keys, self.rt.settings, self.rt.clock, "bench-seed", "system",
                         hasher=CHEAP_HASHER)
        self.rng = rng
        self.proposed = 0

    def account(self, username: str) -> Account:
        """Give the account (created when new) a known password and TOTP secret, as if its
        owner had logged in once."""
        from ccop_cases.accounts import services as accounts
        from ccop_cases.accounts.models import Person

        person = self.db.query(Person).filter_by(username=username).one_or_none()
        if person is None:
            person, _ = accounts.create_person(self.work, username)
        secret = pyotp.random_base32()
        person.password_hash, person.must_change_password = self.rt.hasher.hash(PASSWORD), False
        person.totp_secret_enc = accounts.seal_totp_secret(self.rt.keys, person.id, secret)
        person.totp_enrolled_at = datetime.now(UTC)
        self.db.flush()
        return Account(username, PASSWORD, secret)

    def council(self, number: int, president: str) -> Any:
        from ccop_cases.accounts import services as accounts
        from ccop_cases.accounts.models import Person
        from ccop_cases.charter import services as charter

        person = self.db.query(Person).filter_by(username=president).one_or_none()
        if person is None:
            person, _ = accounts.create_person(self.work, president)
        return charter.create_council(self.work, kind="CLSPD", name=f"Banc {number}", communes=f"99{number:03d} Banc",
                                      president=person)

    def group(self, council: Any, number: int) -> Any:
        """A constituted CCOP with its act, charter and rules."""
        from ccop_cases.charter import services as charter

        group = charter.create_group(self.work, council, name=f"CCOP banc {number}", legal_basis="L132-5",
                                     vocation="territorial", perimeter="Banc", theme="", is_ccop=True,
                                     territory_label="QPV")
        charter.record_act(self.work, group, act_date=date(2026, 1, 1), reference=f"BANC-{number}", document="acte")
        for kind in ("charter", "rules"):
            charter.adopt_text(self.work, group, kind=kind, text=kind, adopted_on=date(2026, 1, 1))
        charter.change_status(self.work, group, "constitute", reason="")
        return group

    def designate(self, group: Any, username: str, role: str, institution: str = "mairie") -> Any:
        """Designate the person (the account created when new) and sign the group's texts."""
        from ccop_cases.access.standing import pending_texts
        from ccop_cases.charter import services as charter

        membership, _ = charter.designate(self.work, group, charter.Designation(
            username, institution, "Membre", role, "BANC", date(2026, 1, 1), None))
        for version in pending_texts(self.db, membership):
            charter.sign(self.work, membership, version)
        return membership

    def propose(self, group: Any, membership: Any, *, sees_all: bool) -> Followed:
        """One situation proposed by ``membership`` (named on it as its proposer)."""
        from ccop_cases.cases import services as cases
        from ccop_cases.identities.services import Identity

        i = self.proposed
        born = date(2004, 1, 1) + timedelta(days=i % 3650)
        last, first = f"{self.rng.choice(LAST)}-{i}", self.rng.choice(FIRST)
        young = Identity(last, first, born, "F", f"{i} rue du Banc", "06 00 00 00 00", f"banc{i}@example.org")
        case, _ = cases.propose(self.work, group, membership, cases.Proposal(
            young=young, representatives=[Identity(last, "Parent")], school_situation="schooled",
            purpose="public_tranquillity", referral_origin="school", exposure_factors=["absenteeism"],
            submission_id=uuid.uuid4()), sees_all=sees_all)
        self.proposed += 1
        if self.proposed % 1000 == 0:
            self.db.commit()
            print(f"  {self.proposed} situations", file=sys.stderr)
        return Followed(case.id, group.id, last, first, born)

    def close(self) -> None:
        self.db.commit()
        self.db.close()
        self.rt.database.dispose()


# --- clients ---------------------------------------------------------------------------------

class Client:
    """One connection carrying the session cookie (gunicorn's sync workers close it after each
    response; ``http.client`` opens it again)."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = cookie

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        page = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            self.cookie = header.split(";", 1)[0]
        return response.status, page


def token(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, "no CSRF token"
    return match.group(1)


def login(port: int, account: Account) -> Client:
    """A client of the server on ``port`` through both login steps."""
    client = Client(port)
    _, page = client.request("GET", "/connexion")
    client.request("POST", "/connexion", {"username": account.username, "password": account.password,
                                          "csrf_token": token(page)})
    _, page = client.request("GET", "/connexion/code")
    status, _ = client.request("POST", "/connexion/code", {"code": pyotp.TOTP(account.secret).now(),
                                                           "csrf_token": token(page)})
    assert status == 302, f"login of {account.username} failed"
    return client


def in_process(app: Any, account: Account) -> Any:
    """Flask's test client of ``app`` through both login steps."""
    web = app.test_client()
    page = web.get("/connexion").text
    web.post("/connexion", data={"username": account.username, "password": account.password,
                                 "csrf_token": token(page)})
    page = web.get("/connexion/code").text
    response = web.post("/connexion/code", data={"code": pyotp.TOTP(account.secret).now(),
                                                 "csrf_token": token(page)})
    assert response.status_code == 302, f"login of {account.username} failed"
    return web


@contextlib.contextmanager
def serving(env: dict[str, str], *, workers: int, app: str = "ccop_cases:create_app()",
            pythonpath: Path | None = None) -> Iterator[int]:
    """gunicorn with ``workers`` sync workers on a free local port, until the block ends; yields the port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    extra = ["--pythonpath", str(pythonpath)] if pythonpath else []
    server = subprocess.Popen([BIN / "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",  # noqa: S603 - our own venv executable
                               *extra, app], env={**os.environ, **env},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(150):
            try:
                Client(port).request("GET", "/connexion")
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer")
        yield port
    finally:
        server.terminate()
        server.wait()


def percentile(values: Sequence[float], pct: int) -> float:
    """The ``pct``-th percentile (1–99) of ``values``."""
    return statistics.quantiles(values, n=100)[pct - 1]


if __name__ == "__main__":
    print("shared helpers of the benchmarks: nothing to run")
