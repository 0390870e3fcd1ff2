"""Case page and search under load, beside a trivial authenticated page of the same app.

Seeds N cases (default 10 000, in one group; ``--groups`` spreads them) through the real
services, serves the app with gunicorn (2 sync workers: each request on a new connection),
logs in once, then sends requests from 4 client threads, the pages in turn. Prints
requests/s, p50 and p95 for each page and the ratio against the trivial page (the cost of
decrypting, deciding and auditing). Asserts nothing about time.

    .venv/bin/python bench/cases_bench.py [--cases 10000] [--groups 1] [--requests 1200] [--rounds 6]

SQLite in a temp dir, or PostgreSQL (a fresh schema) when CCOP_DATABASE_URL says so.
"""

from __future__ import annotations

import argparse
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
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyotp
from audit_store_bench import _database  # the same fresh SQLite file or PostgreSQL schema
from sqlalchemy import create_engine, text

BIN = Path(sys.executable).parent
FIRST = ["Lucas", "Léa", "Nour", "Yanis", "Chloé", "Adam", "Inès", "Sacha", "Louna", "Tom", "Jade", "Rayan"]
LAST = ["Exemple", "Fictif", "Démonstration", "Modèle", "Essai", "Prototype", "Maquette", "Brouillon"]


Person = tuple[uuid.UUID, str, str, date]  # group, last name, first name, birth date
Seed = tuple[str, str, list[uuid.UUID], list[Person]]  # password, TOTP secret, case ids, people


def seed(env: dict[str, str], count: int, groups: int) -> Seed:
    """Create a coordonnateur with a known password and TOTP secret, ``groups`` constituted
    groups where they signed the texts, and ``count`` cases spread evenly over them."""
    os.environ.update(env)
    from ccop_cases import create_app
    from ccop_cases.access.standing import pending_texts
    from ccop_cases.accounts import services as accounts
    from ccop_cases.accounts.services import seal_totp_secret
    from ccop_cases.cases import services as cases
    from ccop_cases.charter import services as charter
    from ccop_cases.identities.services import Identity
    from ccop_cases.work import Work

    app = create_app()
    rt = app.extensions["ccop"]
    db, now = rt.database.session(), datetime.now(UTC)
    work = Work(db, rt.keys, rt.settings, rt.clock, "bench-seed", "system", hasher=rt.hasher)
    person, _ = accounts.create_person(work, "bench.coordination")
    password, secret = "une phrase de passe pour le banc", pyotp.random_base32()
    person.password_hash, person.must_change_password = rt.hasher.hash(password), False
    person.totp_secret_enc, person.totp_enrolled_at = seal_totp_secret(rt.keys, person.id, secret), now
    council = charter.create_council(work, kind="CLSPD", name="Banc", communes="99001 Banc", president=person)
    designated = []
    for number in range(1, groups + 1):
        group = charter.create_group(work, council, name=f"CCOP banc {number}", legal_basis="L132-5",
                                     vocation="territorial", perimeter="Banc", theme="", is_ccop=True,
                                     territory_label="QPV")
        charter.record_act(work, group, act_date=date(2026, 1, 1), reference=f"BANC-{number}", document="acte")
        for kind in ("charter", "rules"):
            charter.adopt_text(work, group, kind=kind, text=kind, adopted_on=date(2026, 1, 1))
        charter.change_status(work, group, "constitute", reason="")
        membership, _ = charter.designate(work, group, charter.Designation(
            "bench.coordination", "mairie", "Coordonnateur", "coordonnateur", "BANC", date(2026, 1, 1), None))
        for version in pending_texts(db, membership):
            charter.sign(work, membership, version)
        designated.append((group, membership))
    db.commit()
    ids, people = [], []
    for i in range(count):
        group, membership = designated[i % groups]
        born = date(2004, 1, 1) + timedelta(days=i % 3650)
        last, first = f"{random.choice(LAST)}-{i}", random.choice(FIRST)
        young = Identity(last, first, born, "F", f"{i} rue du Banc", "06 00 00 00 00", f"banc{i}@example.org")
        rep = Identity(last, "Parent")
        case, _ = cases.propose(work, group, membership, cases.Proposal(
            young=young, representatives=[rep], school_situation="schooled", purpose="public_tranquillity",
            referral_origin="school", exposure_factors=["absenteeism"], submission_id=uuid.uuid4()), sees_all=False)
        ids.append(case.id)
        people.append((group.id, last, first, born))
        if i % 500 == 499:
            db.commit()
            print(f"  {i + 1} situations", file=sys.stderr)
    db.commit()
    db.close()
    rt.database.dispose()
    return password, secret, ids, people


@contextlib.contextmanager
def seeded(count: int, groups: int) -> Iterator[tuple[str, dict[str, str], Seed]]:
    """A fresh database (SQLite file in a temp dir, or a PostgreSQL schema dropped at the end)
    with keys, migrations and ``seed``; yields (url, environment of the app, what ``seed`` returns)."""
    with tempfile.TemporaryDirectory() as tmp:
        url, schema = _database(Path(tmp))
        env = {"CCOP_ENV": "development", "CCOP_INSTANCE_DIR": tmp, "CCOP_DATABASE_URL": url,
               "CCOP_LOG_FORMAT": "json"}
        for command in (["keys", "init"], ["db", "upgrade"]):
            subprocess.run([BIN / "ccop", *command], env={**os.environ, **env}, check=True, capture_output=True)  # noqa: S603 - our own venv executables
        started = time.perf_counter()
        seeded_data = seed(env, count, groups)
        print(f"seeded {count} cases in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        try:
            yield url, env, seeded_data
        finally:
            if schema:
                with create_engine(os.environ["CCOP_DATABASE_URL"]).begin() as conn:
                    conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


class Client:
    """One keep-alive connection carrying the session cookie."""

    def __init__(self, port: int, cookie: str = "") -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookie = cookie

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        headers = {"Cookie": self.cookie} if self.cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
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


def login(port: int, password: str, secret: str) -> Client:
    client = Client(port)
    _, page = client.request("GET", "/connexion")
    client.request("POST", "/connexion", {"username": "bench.coordination", "password": password,
                                          "csrf_token": token(page)})
    _, page = client.request("GET", "/connexion/code")
    status, _ = client.request("POST", "/connexion/code", {"code": pyotp.TOTP(secret).now(), "csrf_token": token(page)})
    assert status == 302, "login failed"
    return client


def load(port: int, cookie: str, requests: int, make: object) -> tuple[float, list[float]]:
    """``requests`` calls of ``make(client)`` from 4 threads; return (seconds, latencies ms)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(share: int) -> None:
        client = Client(port, cookie)
        for _ in range(share):
            started = time.perf_counter()
            status = make(client)  # type: ignore[operator]
            elapsed = (time.perf_counter() - started) * 1000
            assert status == 200, f"status {status}"
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=worker, args=(requests // 4,)) for _ in range(4)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies


def measure(port: int, cookie: str, pages: dict[str, object], requests: int,
            rounds: int) -> dict[str, tuple[float, list[float]]]:
    """Each page in turn, ``rounds`` times, after a warm-up round; return (requests/s, latencies).

    The speed of a shared machine drifts over a run: taking the pages in turn lets each one
    see the same drift, so the ratios hold better than the absolute figures.
    """
    for make in pages.values():
        load(port, cookie, 40, make)
    spent = dict.fromkeys(pages, 0.0)
    latencies: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(rounds):
        for name, make in pages.items():
            seconds, lat = load(port, cookie, requests // rounds, make)
            spent[name] += seconds
            latencies[name] += lat
    return {name: (len(latencies[name]) / spent[name], latencies[name]) for name in pages}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=1, help="groups the cases are spread over")
    parser.add_argument("--requests", type=int, default=1200, help="per page, over all rounds")
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with seeded(args.cases, args.groups) as (url, env, (password, secret, ids, people)):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen([BIN / "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",  # noqa: S603
                                   "ccop_cases:create_app()"], env={**os.environ, **env},
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(100):
                try:
                    Client(port).request("GET", "/connexion")
                    break
                except OSError:
                    time.sleep(0.2)
            client = login(port, password, secret)
            _, page = client.request("GET", f"/groupes/{people[0][0]}/recherche")
            csrf = token(page)

            def search(c: Client) -> int:
                group_id, last, first, born = random.choice(people)
                return c.request("POST", f"/groupes/{group_id}/recherche", {
                    "last_name": last, "given_names": first, "birth_date": born.isoformat(), "csrf_token": csrf})[0]

            pages = {
                "trivial authenticated page": lambda c: c.request("GET", "/compte/mot-de-passe")[0],
                "case page": lambda c: c.request("GET", f"/situations/{random.choice(ids)}")[0],
                "search by name + birth date": search,
            }
            results = measure(port, client.cookie, pages, args.requests, args.rounds)
        finally:
            server.terminate()
            server.wait()
    base = results["trivial authenticated page"][0]
    print(f"backend: {url.split(':', 1)[0]}, {args.cases} cases in {args.groups} group(s), 2 gunicorn workers, "
          f"4 client threads, {args.rounds} rounds of {args.requests // args.rounds} requests per page")
    print(f"{'page':<32}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'ratio':>8}")
    for name, (rate, lat) in results.items():
        p95 = statistics.quantiles(lat, n=20)[18]
        print(f"{name:<32}{rate:>9.0f}{statistics.median(lat):>9.1f}{p95:>9.1f}{rate / base:>8.2f}")
    print("target: ratio >= 0.6 for the case page and the search")


if __name__ == "__main__":
    main()
