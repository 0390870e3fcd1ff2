"""Fixtures for the audit library tests (the library only: no application import)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import AuditLog, Checkpoint, Event, MemoryStore

HEARTBEAT = timedelta(hours=1)


class Clock:
    """A controllable clock: fixed until moved."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 26, 10, 15, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Export:
    """A bundle on disk and what a test needs to verify or tamper with it."""

    path: Path
    key: Ed25519PrivateKey
    checkpoints: list[Checkpoint]

    @property
    def public_key(self) -> bytes:
        return self.key.public_key().public_bytes_raw()

    @property
    def entries(self) -> Path:
        return self.path / "entries.jsonl"

    def lines(self, name: str = "entries.jsonl") -> list[bytes]:
        return (self.path / name).read_bytes().splitlines(keepends=True)

    def write_lines(self, lines: list[bytes], name: str = "entries.jsonl") -> None:
        (self.path / name).write_bytes(b"".join(lines))


def case_read(number: int, **fields: object) -> Event:
    """A typical event: a member reads a case (ids and codes only)."""
    values = {"action": "case.read", "actor_id": f"person-{number % 3}", "actor_role": "member",
              "target_type": "case", "target_id": f"case-{number}", "request": f"req-{number}",
              "details": {"case_ref": f"S-2026-{number:04d}"}}
    return Event(**{**values, **fields})


@pytest.fixture(name="case_read")
def case_read_fixture() -> Callable[..., Event]:
    return case_read


@pytest.fixture(name="fill")
def fill_fixture(log: AuditLog, clock: Clock) -> Callable[[int, int], None]:
    return lambda first, last: fill(log, clock, first, last)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def log(store: MemoryStore, clock: Clock) -> AuditLog:
    return AuditLog(store, clock=clock)


def fill(log: AuditLog, clock: Clock, first: int, last: int) -> None:
    """Append case_read events numbered first..last, one minute apart."""
    for number in range(first, last + 1):
        clock.advance(minutes=1)
        log.append(case_read(number))


@pytest.fixture
def make_export(tmp_path: Path, log: AuditLog, clock: Clock,
                key: Ed25519PrivateKey) -> Callable[..., Export]:
    """Export the log after `events` appends; seq n holds event n (checkpoint at size 5)."""

    def make(events: int = 8, *, name: str = "bundle", from_seq: int = 1) -> Export:
        fill(log, clock, 1, 4)
        first = log.checkpoint(key)  # seq 5: a heartbeat, then the signed checkpoint
        fill(log, clock, 6, events)
        last = log.export(tmp_path / name, key, heartbeat_interval=HEARTBEAT, from_seq=from_seq)
        return Export(tmp_path / name, key, [first, last])

    return make


@pytest.fixture
def export(make_export: Callable[..., Export]) -> Export:
    """seq 1-4 case reads, 5 heartbeat + checkpoint, 6-8 case reads, 9 heartbeat + checkpoint."""
    return make_export()
