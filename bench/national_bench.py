"""A national platform on one server: 100 councils, 200 groups, 50 000 cases and 2 000
members under mixed traffic, once with every audit event on one chain and once with one
chain per council, in the same run, on the same seeded database.

PostgreSQL only (CCOP_DATABASE_URL=postgresql+psycopg://…; a fresh schema dropped at the
end); on anything else it says so and exits 0, so that ``make bench`` runs it harmlessly.

Seeding (once, through the app's services: ``harness.Seeder``): each council has a president
and ``--groups`` / ``--councils`` constituted groups; each group a coordonnateur and members up
to ``--members`` in all, who signed the group's texts; ``--cases`` situations spread over the
groups by random weights of 50 to 300, each proposed by one of its group's members (named on
it). Sixteen of those people (``--threads``) get a known password and TOTP secret: a
coordonnateur and a member in turn, each in a group of a different council.

Each run: gunicorn with ``--workers`` sync workers; one client thread per person, each on
the cases it reaches (the coordonnateur: its group's; a member: those it proposed), drawing
70 % case pages, 15 % lists, 10 % searches and 5 % writes (an action, a decision — the
coordonnateur only — or a proposal), after 10 requests of warm-up, for ``--seconds``. Prints
requests/s and p50/p95/p99 per kind, and the audited-append rate: the rows of ``audit_entry``
counted in the database before and after, per second, and how many chains they went to.
``--rounds N`` alternates the two modes N times (the drift of a shared machine's speed then
falls on both). The single-chain run serves ``bench/single_chain_app.py`` (every event on the
platform chain, in the bench's server only); the per-council run serves the app as it is.
The sessions opened in the first run are used again in the others: they live in the
database. Before the runs, PostgreSQL's round trip and commit latency on this machine.
Asserts nothing about time.

    .venv/bin/python bench/national_bench.py [--councils 100] [--groups 200] [--cases 50000]
        [--members 2000] [--threads 16] [--workers 4] [--seconds 60] [--seed 17] [--rounds 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from harness import (
    Account,
    Client,
    Followed,
    Seeder,
    instance,
    is_postgresql,
    login,
    percentile,
    serving,
    token,
)
from sqlalchemy import create_engine, text

INSTITUTIONS = ["police_nationale", "education_nationale", "departement_ase", "pjj", "mission_locale",
                "bailleur", "prevention_specialisee", "police_municipale", "association"]
MIX = {"case page": 70, "list": 15, "search": 10, "write": 5}
SINGLE, CHAINS = "single chain (every event on the platform chain)", "per-council chains (the app as it is)"
HERE = Path(__file__).parent


@dataclass
class Member:
    """A client thread's person and what it reaches."""

    account: Account
    coordinator: bool
    group_id: uuid.UUID
    cases: list[uuid.UUID]  # the situations it reaches
    people: list[Followed]  # its group's situations, for searches
    cookie: str = ""
    csrf: str = ""


@dataclass
class Seeded:
    members: list[Member]
    councils: int
    groups: int
    cases: int
    designations: int


def group_sizes(cases: int, groups: int, rng: random.Random) -> list[int]:
    """``cases`` over ``groups`` in proportion to random weights of 50 to 300."""
    weights = [rng.uniform(50, 300) for _ in range(groups)]
    sizes = [int(cases * w / sum(weights)) for w in weights]
    sizes[-1] += cases - sum(sizes)
    return sizes


def seed(env: dict[str, str], args: argparse.Namespace, rng: random.Random) -> Seeded:
    seeder = Seeder(env, rng)
    per_council, per_group = args.groups // args.councils, args.members // args.groups
    clients = {(t * args.councils // args.threads) * per_council: t for t in range(args.threads)}
    members: list[Member] = []
    started = time.perf_counter()
    for number, size in enumerate(group_sizes(args.cases, args.groups, rng)):
        if number % per_council == 0:
            council = seeder.council(number // per_council + 1, f"bench.p{number // per_council + 1}")
        group = seeder.group(council, number + 1)
        names = [f"bench.g{number + 1}.{'c' if k == 0 else f'm{k}'}" for k in range(per_group)]
        memberships = [seeder.designate(group, name, "coordonnateur" if k == 0 else "member",
                                        "mairie" if k == 0 else INSTITUTIONS[k % len(INSTITUTIONS)])
                       for k, name in enumerate(names)]
        proposers = [rng.randrange(per_group) for _ in range(size)]
        followed = [seeder.propose(group, memberships[k], sees_all=k == 0) for k in proposers]
        if number in clients:  # coordonnateur and member in turn, each in a council of its own
            # The member: the one of the group who proposed the most (named on the most situations).
            k = 0 if clients[number] % 2 == 0 else max(range(1, per_group), key=proposers.count)
            mine = [f.case_id for f, p in zip(followed, proposers, strict=True) if k == 0 or p == k]
            assert mine, f"group {number + 1}: no situation for its client thread (more --cases)"
            members.append(Member(seeder.account(names[k]), k == 0, group.id, mine, followed))
        if number % 20 == 19:
            print(f"  {number + 1} groups, {seeder.proposed} situations, {time.perf_counter() - started:.0f} s",
                  file=sys.stderr)
    seeder.close()
    return Seeded(members, args.councils, args.groups, args.cases, per_group * args.groups)


def write(client: Client, member: Member, rng: random.Random) -> tuple[str, int]:
    """One write of the member's: an action, a decision (coordonnateur) or a proposal."""
    kinds = ["action", "decision", "proposal"] if member.coordinator else ["action", "proposal"]
    kind, case_id, today = rng.choice(kinds), rng.choice(member.cases), date.today().isoformat()
    if kind == "action":
        form = {"act-action_type": "educational_worksite", "act-start_date": today, "act-outcome": "ongoing"}
        path = f"/situations/{case_id}/actions"
    elif kind == "decision":
        form, path = {"dec-decision": "review"}, f"/situations/{case_id}/decisions"
    else:
        n = uuid.uuid4().hex[:10]
        form = {"last_name": f"Nouveau-{n}", "given_names": "Sacha", "sex": "X", "birth_date": "2009-05-17",
                "school_situation": "schooled", "purpose": "first_offence_prevention", "referral_origin": "school",
                "exposure_factors": "absenteeism", "rep1_last_name": f"Nouveau-{n}", "rep1_given_names": "Parent",
                "inside_perimeter": "y", "submission_id": str(uuid.uuid4())}
        path = f"/groupes/{member.group_id}/situations/nouvelle"
    return f"write: {kind}", client.request("POST", path, {**form, "csrf_token": member.csrf})[0]


def one_request(client: Client, member: Member, rng: random.Random) -> tuple[str, int, int]:
    """Draw a request from the mix, send it; return (kind, status, expected status)."""
    kind = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    if kind == "case page":
        return kind, client.request("GET", f"/situations/{rng.choice(member.cases)}")[0], 200
    if kind == "list":
        return kind, client.request("GET", f"/groupes/{member.group_id}/situations")[0], 200
    if kind == "search":
        one = rng.choice(member.people)
        return kind, client.request("POST", f"/groupes/{member.group_id}/recherche", {
            "last_name": one.last_name, "given_names": one.given_names, "birth_date": one.birth_date.isoformat(),
            "csrf_token": member.csrf})[0], 200
    return (*write(client, member, rng), 302)


@dataclass
class Run:
    seconds: float = 0.0
    appended: int = 0
    chains: int = 0  # the chains the entries went to
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    unexpected: list[tuple[str, int]] = field(default_factory=list)


def audit_entries(url: str) -> dict[str, int]:
    """The trail's entries per chain."""
    with create_engine(url).connect() as conn:
        return {str(chain): count for chain, count in conn.execute(
            text("SELECT chain, count(*) FROM audit_entry GROUP BY chain"))}


def sizes(url: str) -> str:
    """What the database holds: the schema's size, the trail's entries and their bytes each
    (indexes included), the situations."""
    with create_engine(url).connect() as conn:
        total = conn.scalar(text("SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                                 "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'"))
        trail = conn.scalar(text("SELECT pg_total_relation_size('audit_entry')"))
        entries = conn.scalar(text("SELECT count(*) FROM audit_entry"))
        cases = conn.scalar(text('SELECT count(*) FROM "case"'))
    return (f"database {total / 2**20:.0f} MiB: {cases} situations, {entries} audit entries "
            f"({trail / 2**20:.0f} MiB, {trail / entries:.0f} bytes each with their indexes)")


def traffic(port: int, url: str, members: list[Member], seconds: float, seed: int) -> Run:
    """Every member's thread for ``seconds`` after a warm-up; the audit entries counted around."""
    run, lock = Run(), threading.Lock()
    start = threading.Barrier(len(members) + 1)

    def thread(member: Member, rng: random.Random) -> None:
        try:
            client = Client(port, member.cookie)
            for _ in range(10):
                one_request(client, member, rng)
            start.wait()
            deadline = time.perf_counter() + seconds
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                kind, status, expected = one_request(client, member, rng)
                elapsed = (time.perf_counter() - began) * 1000
                with lock:
                    run.latencies[kind].append(elapsed)
                    if status != expected:
                        run.unexpected.append((kind, status))
        except BaseException:
            start.abort()  # the others stop waiting; the run fails
            raise

    threads = [threading.Thread(target=thread, args=(m, random.Random(seed + i))) for i, m in enumerate(members)]
    for t in threads:
        t.start()
    start.wait()
    before, began = audit_entries(url), time.perf_counter()
    for t in threads:
        t.join()
    if len(run.latencies) == 0 or start.broken:
        raise RuntimeError("a client thread failed (its traceback is above)")
    run.seconds = time.perf_counter() - began
    after = audit_entries(url)
    grown = {chain: count - before.get(chain, 0) for chain, count in after.items()}
    run.appended, run.chains = sum(grown.values()), sum(1 for n in grown.values() if n)
    return run


def commit_latency(url: str, count: int = 500) -> dict[str, float]:
    """Median ms of a round trip (SELECT 1) and of a one-row insert's commit, durable and with
    ``synchronous_commit`` off (the difference is the wait for the WAL's flush)."""
    engine = create_engine(url)
    figures: dict[str, float] = {}
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE bench_commit (id serial PRIMARY KEY, v int)"))
        conn.commit()
        for name, setting in (("round trip (SELECT 1)", None), ("commit of a one-row insert", "on"),
                              ("same, synchronous_commit off", "off")):
            spent = []
            for i in range(count):
                began = time.perf_counter()
                if setting is None:
                    conn.execute(text("SELECT 1"))
                else:
                    conn.execute(text(f"SET LOCAL synchronous_commit = {setting}"))
                    conn.execute(text("INSERT INTO bench_commit (v) VALUES (:v)"), {"v": i})
                    conn.commit()
                spent.append((time.perf_counter() - began) * 1000)
            conn.rollback()
            figures[name] = statistics.median(spent)
        conn.execute(text("DROP TABLE bench_commit"))
        conn.commit()
    engine.dispose()
    return figures


def report(title: str, run: Run) -> None:
    total = sum(len(lat) for lat in run.latencies.values())
    print(f"\n{title}: {total} requests in {run.seconds:.1f} s = {total / run.seconds:.0f} req/s")
    print(f"{'kind':<20}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for kind in ["case page", "list", "search", *sorted(k for k in run.latencies if k.startswith("write"))]:
        lat = run.latencies.get(kind, [])
        if len(lat) >= 2:
            print(f"{kind:<20}{len(lat):>9}{len(lat) / run.seconds:>8.1f}{statistics.median(lat):>9.1f}"
                  f"{percentile(lat, 95):>9.1f}{percentile(lat, 99):>9.1f}")
    print(f"audited appends: {run.appended} entries on {run.chains} chain(s), "
          f"{run.appended / run.seconds:.0f} entries/s")
    if run.unexpected:
        print(f"UNEXPECTED ANSWERS: {len(run.unexpected)}, first {run.unexpected[:5]}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--councils", type=int, default=100)
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--cases", type=int, default=50_000)
    parser.add_argument("--members", type=int, default=2000, help="designations, coordonnateurs included")
    parser.add_argument("--threads", type=int, default=16, help="client threads, one person each")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--rounds", type=int, default=1, help="runs of both modes, alternated")
    args = parser.parse_args()
    if not is_postgresql():
        print("national_bench.py needs PostgreSQL: set CCOP_DATABASE_URL=postgresql+psycopg://… (skipped)")
        return
    rng = random.Random(args.seed)
    with instance() as (url, env):
        began = time.perf_counter()
        seeded = seed(env, args, rng)
        print(f"seeded in {time.perf_counter() - began:.0f} s", file=sys.stderr)
        latency = commit_latency(url)
        runs: dict[str, list[Run]] = {SINGLE: [], CHAINS: []}
        for round_ in range(args.rounds):
            for mode, app in ((SINGLE, "single_chain_app:create_app()"), (CHAINS, "ccop_cases:create_app()")):
                print(f"round {round_ + 1}: {mode}", file=sys.stderr)
                with serving(env, workers=args.workers, app=app, pythonpath=HERE) as port:
                    for member in seeded.members:
                        if not member.cookie:
                            client = login(port, member.account)
                            member.csrf = token(client.request("GET", f"/groupes/{member.group_id}/recherche")[1])
                            member.cookie = client.cookie  # the session cookie now holds the CSRF token's secret
                    runs[mode].append(traffic(port, url, seeded.members, args.seconds, args.seed + round_))
        held = sizes(url)
    coordinators = sum(m.coordinator for m in seeded.members)
    print(f"PostgreSQL, {seeded.councils} councils, {seeded.groups} groups, {seeded.cases} cases, "
          f"{seeded.designations} designations; gunicorn {args.workers} sync workers; {len(seeded.members)} client "
          f"threads ({coordinators} coordonnateurs, {len(seeded.members) - coordinators} members), "
          f"{args.seconds:.0f} s each run, {args.rounds} round(s) of both")
    print(f"after the runs, {held}")
    print("PostgreSQL on this machine, median: " + ", ".join(f"{k} {v:.3f} ms" for k, v in latency.items()))
    for round_ in range(args.rounds):
        for mode, mode_runs in runs.items():
            report(f"round {round_ + 1}, {mode}", mode_runs[round_])
    rate = {mode: sum(r.appended for r in rs) / sum(r.seconds for r in rs) for mode, rs in runs.items()}
    print(f"\naudited-append rate over the rounds: {rate[SINGLE]:.0f} entries/s with a single chain, "
          f"{rate[CHAINS]:.0f} with per-council chains: {rate[CHAINS] / rate[SINGLE]:.2f}× (target >= 2)")
    print("target: p95 of the case page <= 50 ms")


if __name__ == "__main__":
    main()
