"""Audit-trail benchmark: append throughput, export and verification speed.

    .venv/bin/python bench/audit_bench.py [--entries N] [--writers W] [--keep DIR]

Default 1 000 000 entries (about 25 s here). Prints figures, asserts nothing about time.
Appends go to the in-memory store. To measure another AuditStore (the app's PostgreSQL
store: one writer, then 4 concurrent writers), register a factory in STORES and pass
--store NAME --writers W: each writer thread gets its own AuditLog over the store the
factory returns, so a store that needs one session per thread can provide it.
"""

import argparse
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import AuditLog, AuditStore, Event, MemoryStore, verify_bundle, write_bundle

T = TypeVar("T")
STORES: dict[str, Callable[[], AuditStore]] = {"memory": MemoryStore}
HEARTBEAT = timedelta(hours=1)


class StepClock:
    """A clock that moves `step` per reading: realistic spacing between entries."""

    def __init__(self, step: timedelta) -> None:
        self.now, self.step = datetime(2026, 1, 5, 8, 0, tzinfo=UTC), step
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            self.now += self.step
            return self.now


def sample_events(count: int) -> list[Event]:
    """A few distinct realistic events (uuid ids, a request id, two details), reused."""
    actions = ("case.read", "case.update", "search.run", "session.login")
    return [Event(action=actions[i % 4], actor_id=str(uuid.uuid4()), actor_role="member",
                  target_type="case", target_id=str(uuid.uuid4()),
                  request=uuid.uuid4().hex[:16], details={"case_ref": f"S-2026-{i:04d}",
                                                          "count": str(i)})
            for i in range(count)]


def bench_append(store: AuditStore, entries: int, writers: int, clock: StepClock) -> float:
    """Append `entries` events with `writers` threads; return entries per second."""
    events = sample_events(64)
    share = entries // writers

    def work() -> None:
        log = AuditLog(store, clock=clock)
        for i in range(share):
            log.append(events[i % 64])

    threads = [threading.Thread(target=work) for _ in range(writers)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return share * writers / (time.perf_counter() - start)


def timed(label: str, count: int, action: Callable[[], T]) -> T:
    start = time.perf_counter()
    result = action()
    elapsed = time.perf_counter() - start
    print(f"{label:<34} {elapsed:8.2f} s  {count / elapsed:>12,.0f} entries/s")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=1)
    parser.add_argument("--store", choices=sorted(STORES), default="memory")
    parser.add_argument("--keep", type=Path, help="write the bundle here and keep it")
    args = parser.parse_args()
    store, key = STORES[args.store](), Ed25519PrivateKey.generate()
    clock = StepClock(timedelta(seconds=7))  # entries 7 s apart, heartbeat interval 1 h
    start = time.perf_counter()
    rate = bench_append(store, args.entries, args.writers, clock)
    label = f"append ({args.store}, {args.writers} writer(s))"
    print(f"{label:<34} {time.perf_counter() - start:8.2f} s  {rate:>12,.0f} entries/s")
    checkpoint = AuditLog(store, clock=clock).checkpoint(key)
    with tempfile.TemporaryDirectory() as scratch:
        bundle = args.keep or Path(scratch) / "bundle"
        size = checkpoint.size
        timed("write_bundle", size, lambda: write_bundle(
            bundle, store.records(), store.checkpoints(), key, heartbeat_interval=HEARTBEAT))
        public = key.public_key().public_bytes_raw()
        megabytes = (bundle / "entries.jsonl").stat().st_size / 1e6
        report = timed("verify_bundle", size, lambda: verify_bundle(
            bundle, public, pin=(checkpoint.size, checkpoint.head)))
        print(f"entries.jsonl {megabytes:,.0f} MB; {report.summary()}")
    if os.environ.get("CCOP_DATABASE_URL", "").startswith("postgresql"):
        app_store_appends()


def app_store_appends(appends: int = 2000) -> None:
    """The app's SQL store on PostgreSQL, one transaction per append as in a request: 1 and 4
    writers (bench/audit_store_bench.py has the same figures and the cost per request)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import audit_store_bench as app_bench

    for writers in (1, 4):
        rate = app_bench.appends_on_fresh_database(appends, writers)
        print(f"{f'append (PostgreSQL app store, {writers} writer(s))':<34} {rate:>23,.0f} entries/s")


if __name__ == "__main__":
    main()
