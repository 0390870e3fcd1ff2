"""The audit heads' ceiling in the database: read entries appended through
``audit_append_read`` (migration 0013, the one-statement read append) by pgbench's clients,
all on one chain, then spread over ``--chains`` chains (one per council). No Python in the
loop: what PostgreSQL itself sustains on this machine, head locks and durable commits
included (each append is a transaction of its own, as in the app).

The entries are the library's (``audit.events.entry_parts`` of a ``case.viewed`` event of
each chain), assembled and hashed under the head's lock by the database, as the app does.
PostgreSQL only (a fresh schema dropped at the end), with ``pgbench`` on the PATH;
otherwise it says so and exits 0. Prints entries/s for each; asserts nothing about time.

    .venv/bin/python bench/head_bench.py [--clients 8] [--seconds 15] [--chains 16]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from harness import instance, is_postgresql
from sqlalchemy import create_engine, make_url, text

from audit import Event
from audit.events import entry_parts

TS_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'  # audit/FORMAT.md's ts
GENESIS_HEAD = ("INSERT INTO audit_head (chain, seq, hash, ts, write_seq) "
                "VALUES (:chain, 0, decode(repeat('00', 32), 'hex'), '', 0)")


def literal(value: str) -> str:
    """``value`` as an SQL expression with no colon: pgbench reads ``:name`` as a variable."""
    return "(" + " || chr(58) || ".join("'" + piece.replace("'", "''") + "'" for piece in value.split(":")) + ")"


def script(chain: uuid.UUID) -> str:
    """One pgbench transaction: append a read entry to ``chain`` (its head's write_seq stays 0:
    reads do not move it, so the append always goes through)."""
    event = Event(action="case.viewed", actor_id=str(uuid.uuid4()), actor_role="member", target_type="case",
                  target_id=str(uuid.uuid4()), request=uuid.uuid4().hex)
    parts = ", ".join(literal(part.decode()) for part in entry_parts(event, chain=str(chain)))
    stamp = f"to_char(clock_timestamp() AT TIME ZONE 'UTC', {literal(TS_FORMAT)})"
    return (f"SELECT audit_append_read(CAST('{chain}' AS uuid), 0, {stamp}, {parts}, 'case.viewed', "
            f"'{event.actor_id}');\n")


def appends_per_second(url: str, chains: list[uuid.UUID], clients: int, seconds: int, tmp: Path) -> float:
    """pgbench's transactions per second, each one append to one of ``chains`` drawn at random."""
    files = []
    for n, chain in enumerate(chains):
        path = tmp / f"append-{n}.sql"
        path.write_text(script(chain))
        files += ["-f", f"{path}@1"]
    parts = make_url(url)
    env = {**os.environ, "PGHOST": parts.host or "", "PGPORT": str(parts.port or 5432),
           "PGUSER": parts.username or "", "PGDATABASE": parts.database or "",
           "PGOPTIONS": str(parts.query.get("options", "")).replace("%3D", "=")}
    done = subprocess.run(["pgbench", "-n", "-M", "prepared", "-c", str(clients), "-j", "2",  # noqa: S603, S607 - PostgreSQL's own client
                           "-T", str(seconds), *files], env=env, capture_output=True, text=True)
    found = re.search(r"tps = ([\d.]+)", done.stdout)
    assert done.returncode == 0 and found, done.stdout + done.stderr
    return float(found.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8, help="pgbench connections")
    parser.add_argument("--seconds", type=int, default=15, help="per measure")
    parser.add_argument("--chains", type=int, default=16)
    args = parser.parse_args()
    if not is_postgresql() or shutil.which("pgbench") is None:
        print("head_bench.py needs PostgreSQL (CCOP_DATABASE_URL=postgresql+psycopg://…) and pgbench (skipped)")
        return
    chains = [uuid.uuid4() for _ in range(args.chains)]
    with instance() as (url, _env), tempfile.TemporaryDirectory() as tmp:
        with create_engine(url).begin() as conn:
            for chain in chains:
                conn.execute(text(GENESIS_HEAD), {"chain": chain})
        one = appends_per_second(url, chains[:1], args.clients, args.seconds, Path(tmp))
        many = appends_per_second(url, chains, args.clients, args.seconds, Path(tmp))
    print(f"PostgreSQL, pgbench, {args.clients} clients, {args.seconds} s each, one durable transaction per append")
    print(f"{'read entries appended, one chain':<48}{one:>10,.0f} entries/s")
    print(f"{f'read entries appended, {args.chains} chains':<48}{many:>10,.0f} entries/s")
    print(f"{'ratio':<48}{many / one:>10.2f}")


if __name__ == "__main__":
    main()
