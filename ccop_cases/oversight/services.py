"""Oversight services: checkpoints, exports for overseers, audit retention, the console's list.

Flask-free; callers pass the session and commit. Exports write the library's bundle
format (``audit/FORMAT.md``), verifiable offline with ``audit/verify_audit_export.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import takewhile
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ccop_cases.auditing import (
    ChainRefused,
    Checkpoint,
    SqlAuditStore,
    format_ts,
    signing_key,
    verified_chain,
    write_bundle,
)
from ccop_cases.auditing.models import AuditCheckpoint, AuditEntry
from ccop_cases.work import DomainError, Work

PAGE_SIZE = 50


class ExportError(DomainError):
    """An export cannot be made as asked (message in French)."""


def checkpoint(work: Work) -> Checkpoint:
    """Append a heartbeat and sign (size, head, time), for a timer at half the heartbeat
    interval; only over a chain that verifies since the last checkpoint (else ChainRefused)."""
    with verified_chain(work.session):
        return work.audit.log.checkpoint(signing_key(work.keys))


def export(work: Work, directory: Path, *, start: datetime | None, end: datetime | None) -> dict[str, object]:
    """Write a signed bundle of the entries from ``start``; up to now, or up to the last
    checkpoint at or before ``end`` (a bundle always ends on a signed checkpoint)."""
    db, audit, heartbeat = work.session, work.audit, timedelta(minutes=work.settings.audit_heartbeat_minutes)
    from_seq = 1
    if start is not None:
        first = db.scalar(select(func.min(AuditEntry.seq)).where(AuditEntry.ts >= format_ts(start)))
        if first is None:
            raise ExportError("Aucune entrée du journal à partir de cette date.")
        from_seq = first
    audit.record("audit.exported", "audit_log", "", from_seq=from_seq,
                 to=format_ts(end) if end else "now")
    store, key = SqlAuditStore(db), signing_key(work.keys)
    if end is None:
        try:
            with verified_chain(db):
                audit.log.export(directory, key, heartbeat_interval=heartbeat, from_seq=from_seq)
        except ChainRefused as exc:
            raise ExportError(str(exc)) from exc
    else:
        last = db.scalar(select(AuditCheckpoint).where(AuditCheckpoint.ts <= format_ts(end),
                                                       AuditCheckpoint.size >= from_seq)
                         .order_by(AuditCheckpoint.size.desc()).limit(1))
        if last is None:
            raise ExportError("Aucun point de contrôle signé dans cette période : "
                              "exportez jusqu’à maintenant ou choisissez une autre fin.")
        records = takewhile(lambda r: r.seq <= last.size, store.records(from_seq))
        write_bundle(directory, records, store.checkpoints(), key, heartbeat_interval=heartbeat,
                     head_size=db.scalar(select(func.max(AuditEntry.seq))))
    manifest: dict[str, object] = json.loads((directory / "manifest.json").read_bytes())
    return manifest


def prune(work: Work, before: datetime) -> int:
    """Drop the content of entries older than ``before``; their hashes keep the chain whole."""
    pruned = work.audit.log.prune(before)
    work.audit.record("audit.pruned", "audit_log", "", before=format_ts(before), count=pruned)
    return pruned


@dataclass(frozen=True)
class Filters:
    start: datetime | None = None
    end: datetime | None = None
    actor: str = ""
    action: str = ""


@dataclass(frozen=True)
class Row:
    seq: int
    ts: str
    entry: dict[str, object] | None  # None once pruned


def _filtered(filters: Filters) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if filters.start:
        query = query.where(AuditEntry.ts >= format_ts(filters.start))
    if filters.end:
        query = query.where(AuditEntry.ts < format_ts(filters.end))
    if filters.actor:
        query = query.where(AuditEntry.actor_id == filters.actor)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    return query


def page(db: Session, filters: Filters, number: int) -> tuple[list[Row], int]:
    """One page of entries (newest first) and the number of pages."""
    query = _filtered(filters)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(AuditEntry.seq.desc())
                      .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return [_row(r) for r in rows], max(1, -(-total // PAGE_SIZE))


def _row(entry: AuditEntry) -> Row:
    return Row(entry.seq, entry.ts, json.loads(entry.body) if entry.body else None)
