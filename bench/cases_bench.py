"""Case page and search under load, beside a trivial authenticated page of the same app.

Seeds N cases (default 10 000) through the real services, spread as in the field by
default: councils of 2 groups, 50 to 300 cases per group, most groups near 50
(``harness.realistic_sizes``, random but seeded: ``--seed``): 81 groups in 41 councils for 10 000.
``--groups N`` spreads them evenly over N groups instead; ``--groups 1`` is the former
stress case, every case in one group. One coordonnateur coordinates every group. Serves the
app with gunicorn (2 sync workers), logs in once, then sends requests from 4 client threads,
the pages in turn. Prints requests/s, p50 and p95 for each page and the ratio against the
trivial page (the cost of decrypting, deciding and auditing).

Then, in this process and with no server running, the audit step of a read: the time the
case page spends in ``Work.end_read``, from the read transaction's commit to the entry's
durable commit (on PostgreSQL one statement appends it if what the decision read is
unchanged; otherwise, and on SQLite, a write transaction appends it and decides again),
median and p95 over ``--audit-reads`` pages. Asserts nothing about time.

    .venv/bin/python bench/cases_bench.py [--cases 10000] [--groups N] [--seed 17] [--requests 1200] [--rounds 6]

SQLite in a temp dir, or PostgreSQL (a fresh schema) when CCOP_DATABASE_URL says so.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from harness import (
    Account,
    Client,
    Followed,
    Seeder,
    backend,
    instance,
    login,
    percentile,
    realistic_sizes,
    serving,
    token,
)

GROUPS_PER_COUNCIL = 2
TRIVIAL, CASE, SEARCH = "trivial authenticated page", "case page", "search by name + birth date"


def seed(env: dict[str, str], sizes: list[int], rng: random.Random) -> tuple[Account, list[Followed]]:
    """One coordonnateur (presiding every council too) with a known password and TOTP secret,
    councils of ``GROUPS_PER_COUNCIL`` constituted groups, ``sizes[i]`` cases in group i."""
    seeder = Seeder(env, rng)
    account = seeder.account("bench.coordination")
    followed: list[Followed] = []
    council = None
    for number, size in enumerate(sizes):
        if number % GROUPS_PER_COUNCIL == 0:
            council = seeder.council(number // GROUPS_PER_COUNCIL + 1, account.username)
        group = seeder.group(council, number + 1)
        membership = seeder.designate(group, account.username, "coordonnateur")
        followed += [seeder.propose(group, membership, sees_all=False) for _ in range(size)]
    seeder.close()
    return account, followed


def sizes_of(cases: int, groups: int | None, rng: random.Random) -> list[int]:
    """Cases per group: the realistic spread, or ``cases`` evenly over ``groups``."""
    if groups is None:
        return realistic_sizes(cases, rng)
    return [cases // groups + (1 if i < cases % groups else 0) for i in range(groups)]


@contextlib.contextmanager
def seeded(cases: int, groups: int | None, rng: random.Random) -> Iterator[tuple[str, dict[str, str], Account,
                                                                                 list[Followed], list[int]]]:
    """A fresh database with ``seed``; yields (url, environment of the app, the coordonnateur,
    the situations, the cases per group)."""
    with instance() as (url, env):
        sizes = sizes_of(cases, groups, rng)
        started = time.perf_counter()
        account, followed = seed(env, sizes, rng)
        print(f"seeded {cases} cases in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        yield url, env, account, followed, sizes


def spread(sizes: list[int]) -> str:
    councils = -(-len(sizes) // GROUPS_PER_COUNCIL)
    if len(sizes) == 1:
        return f"{sum(sizes)} cases in 1 group"
    return (f"{sum(sizes)} cases in {len(sizes)} groups of {min(sizes)}–{max(sizes)} "
            f"({councils} council{'s' if councils > 1 else ''})")


def load(port: int, cookie: str, requests: int, make: Callable[[Client], int]) -> tuple[float, list[float]]:
    """``requests`` calls of ``make(client)`` from 4 threads; return (seconds, latencies ms)."""
    latencies: list[float] = []
    lock = threading.Lock()

    def worker(share: int) -> None:
        client = Client(port, cookie)
        for _ in range(share):
            started = time.perf_counter()
            status = make(client)
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


def measure(port: int, cookie: str, pages: dict[str, Callable[[Client], int]], requests: int,
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



def audit_step(env: dict[str, str], cookie: str, followed: list[Followed], reads: int) -> list[float]:
    """Milliseconds each case page spends in ``Work.end_read``, in this process (Flask's test
    client on the session of ``cookie``, one request at a time), after 50 pages of warm-up."""
    os.environ.update(env)
    from ccop_cases import create_app
    from ccop_cases.work import Work

    app = create_app()
    web = app.test_client()
    web.set_cookie(*cookie.split("=", 1))  # the session lives in the database: no second login (TOTP replay)
    spent: list[float] = []
    end_read = Work.end_read

    def timed(self: Work, *args: Any) -> None:
        started = time.perf_counter()
        end_read(self, *args)
        spent.append((time.perf_counter() - started) * 1000)

    Work.end_read = timed  # type: ignore[method-assign] # the bench's own stopwatch, this process only
    try:
        with open(os.devnull, "w") as sink, contextlib.redirect_stderr(sink):  # the request log, still written
            for _ in range(50 + reads):
                assert web.get(f"/situations/{random.choice(followed).case_id}").status_code == 200
    finally:
        Work.end_read = end_read  # type: ignore[method-assign]
        app.extensions["ccop"].database.dispose()
    return spent[50:]


def pages_of(client: Client, followed: list[Followed]) -> dict[str, Callable[[Client], int]]:
    """The three pages the benchmarks load, for ``measure``: the trivial one, the case page, the search."""
    _, page = client.request("GET", f"/groupes/{followed[0].group_id}/recherche")
    csrf = token(page)

    def search(c: Client) -> int:
        one = random.choice(followed)
        return c.request("POST", f"/groupes/{one.group_id}/recherche", {
            "last_name": one.last_name, "given_names": one.given_names,
            "birth_date": one.birth_date.isoformat(), "csrf_token": csrf})[0]

    return {
        TRIVIAL: lambda c: c.request("GET", "/compte/mot-de-passe")[0],
        CASE: lambda c: c.request("GET", f"/situations/{random.choice(followed).case_id}")[0],
        SEARCH: search,
    }



def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=None,
                        help="spread the cases evenly over N groups (1: the stress case); default: as in the field")
    parser.add_argument("--seed", type=int, default=17, help="of the random spread and names")
    parser.add_argument("--requests", type=int, default=1200, help="per page, over all rounds")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--audit-reads", type=int, default=1000, help="case pages timed in process")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with seeded(args.cases, args.groups, rng) as (url, env, account, followed, sizes):
        with serving(env, workers=2) as port:
            client = login(port, account)
            pages = pages_of(client, followed)  # before reading the cookie: the search page may set it
            results = measure(port, client.cookie, pages, args.requests, args.rounds)
        step = audit_step(env, client.cookie, followed, args.audit_reads)
    base = results[TRIVIAL][0]
    print(f"backend: {backend(url)}, {spread(sizes)}, 2 gunicorn workers, "
          f"4 client threads, {args.rounds} rounds of {args.requests // args.rounds} requests per page")
    print(f"{'page':<32}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'ratio':>8}")
    for name, (rate, lat) in results.items():
        print(f"{name:<32}{rate:>9.0f}{statistics.median(lat):>9.1f}{percentile(lat, 95):>9.1f}{rate / base:>8.2f}")
    print("target: ratio >= 0.6 for the case page and the search")
    print(f"audit step of a read (Work.end_read of the case page, in process, {len(step)} reads): "
          f"median {statistics.median(step):.2f} ms, p95 {percentile(step, 95):.2f} ms (target <= 0.6 ms)")


if __name__ == "__main__":
    main()
