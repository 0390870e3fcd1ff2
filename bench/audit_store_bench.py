"""The app's audit store: append throughput (1 and 4 writers, one transaction per append as
in a request; the 4 writers on one chain, then each on a council's chain of its own) and the
cost of auditing a request, beside the same request without audit.

    .venv/bin/python bench/audit_store_bench.py [--appends 2000] [--requests 2000]

Uses SQLite in a temp dir, or PostgreSQL (a fresh schema) when CCOP_DATABASE_URL says so.
Prints figures; asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from pathlib import Path

from flask import Flask
from harness import drop_schema, fresh_database
from sqlalchemy import text

from ccop_cases import create_app
from ccop_cases.access.permissions import permission
from ccop_cases.auditing import auditor
from ccop_cases.encryption import init_key_dir
from ccop_cases.migrate import upgrade
from ccop_cases.settings import Settings
from ccop_cases.web import runtime as rt


def appends_per_second(app: Flask, total: int, writers: int, *, chains: bool = False) -> float:
    """``total`` appends from ``writers`` threads, all on the platform chain, or (``chains``)
    each writer on a chain of its own, as units acting in different councils."""
    runtime = app.extensions["ccop"]
    councils = [uuid.uuid4() if chains else None for _ in range(writers)]

    def work(n: int) -> None:
        for i in range(total // writers):
            session = runtime.database.session()
            auditor(session, runtime.clock, f"bench-{n}", "system", council=councils[n]).record(
                "audit.viewed", "audit_log", str(i))
            session.commit()
            session.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return total / (time.perf_counter() - started)


def appends_on_fresh_database(appends: int, writers: int) -> float:
    """Append throughput of the app's store on a fresh database (for bench/audit_bench.py)."""
    with tempfile.TemporaryDirectory() as tmp:
        url, schema = fresh_database(Path(tmp))
        init_key_dir(Path(tmp) / "keys")
        upgrade(url)
        app = create_app(Settings(env="test", instance_dir=Path(tmp), database_url=url,
                                  key_dir=Path(tmp) / "keys", log_format="json"))
        rate = appends_per_second(app, appends, writers)
        app.extensions["ccop"].database.dispose()
        drop_schema(schema)
    return rate


def add_bench_routes(app: Flask) -> None:
    """Two routes doing the same read and commit; one also appends an audit entry."""

    @app.route("/bench/plain")
    @permission("public")
    def plain() -> str:
        rt.db().execute(text("SELECT count(*) FROM person"))
        return "ok"  # the request's unit of work commits

    @app.route("/bench/audited")
    @permission("public")
    def audited() -> str:
        rt.db().execute(text("SELECT count(*) FROM person"))
        rt.audit().record("audit.viewed", "audit_log", "bench")
        return "ok"


def latencies(app: Flask, path: str, count: int) -> list[float]:
    client = app.test_client()
    out = []
    for _ in range(count):
        started = time.perf_counter()
        client.get(path)
        out.append((time.perf_counter() - started) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--appends", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url, schema = fresh_database(Path(tmp))
        init_key_dir(Path(tmp) / "keys")
        upgrade(url)
        settings = Settings(env="test", instance_dir=Path(tmp), database_url=url, key_dir=Path(tmp) / "keys",
                            log_format="json")
        app = create_app(replace(settings))
        import structlog
        structlog.configure(logger_factory=lambda *_: structlog.PrintLogger(open(os.devnull, "w")))  # noqa: SIM115
        add_bench_routes(app)
        backend = url.split(":", 1)[0]
        one = appends_per_second(app, args.appends, 1)
        four = appends_per_second(app, args.appends, 4)
        four_chains = appends_per_second(app, args.appends, 4, chains=True)
        latencies(app, "/bench/plain", 100)  # warm up
        plain = latencies(app, "/bench/plain", args.requests)
        audited = latencies(app, "/bench/audited", args.requests)
        app.extensions["ccop"].database.dispose()
        drop_schema(schema)
    p50 = statistics.median
    print(f"backend: {backend}", file=sys.stderr)
    print(f"{'append, 1 writer (commit each)':<44}{one:>10,.0f} entries/s")
    print(f"{'append, 4 concurrent writers, one chain':<44}{four:>10,.0f} entries/s")
    print(f"{'append, 4 writers, a chain each (councils)':<44}{four_chains:>10,.0f} entries/s")
    print(f"{'request without audit, median':<44}{p50(plain):>10.2f} ms")
    print(f"{'same request with one audit entry, median':<44}{p50(audited):>10.2f} ms")
    print(f"{'cost of auditing a request (target <= 2 ms)':<44}{p50(audited) - p50(plain):>10.2f} ms")


if __name__ == "__main__":
    main()
