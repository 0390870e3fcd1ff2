"""Oversight services: checkpoints, exports for overseers, audit retention, the console's list.

Each council's trail is a chain of its own, the platform's another (``auditing.chains``):
checkpoints sign each chain, an export holds one chain, the console lists them all.

Flask-free; callers pass the session and commit. Exports write the library's bundle
format (``audit/FORMAT.md``), verifiable offline with ``audit/verify_audit_export.py``.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, cast, false, func, or_, select
from sqlalchemy.orm import Session

from ccop_cases.auditing import (
    PLATFORM,
    ChainRefused,
    Checkpoint,
    SqlAuditStore,
    format_ts,
    name_of,
    signing_key,
    verified_chain,
    write_bundle,
)
from ccop_cases.auditing.models import AuditCheckpoint, AuditEntry, AuditHead
from ccop_cases.charter.models import Council
from ccop_cases.work import DomainError, Work

PAGE_SIZE = 50


class ExportError(DomainError):
    """An export cannot be made as asked (message in French)."""


def chains(db: Session) -> list[uuid.UUID]:
    """The chains that hold entries: the platform's first, then each council's (by id)."""
    return sorted(db.scalars(select(AuditHead.chain)), key=_platform_first)


def _platform_first(chain: uuid.UUID) -> tuple[bool, str]:
    return chain != PLATFORM, str(chain)


@dataclass(frozen=True)
class ChainHead:
    chain: uuid.UUID
    size: int
    name: str  # the council's name, « Plateforme » for the platform's chain


def chain_heads(db: Session) -> list[ChainHead]:
    """Each chain's size and whose it is, the platform's first."""
    names: dict[uuid.UUID, str] = {row.id: row.name for row in db.execute(select(Council.id, Council.name))}
    heads = sorted(db.execute(select(AuditHead.chain, AuditHead.seq)), key=lambda head: _platform_first(head.chain))
    return [ChainHead(head.chain, head.seq,
                      "Plateforme" if head.chain == PLATFORM else names.get(head.chain, "Conseil inconnu"))
            for head in heads]


def checkpoint(work: Work) -> tuple[list[Checkpoint], list[ChainRefused]]:
    """For a timer at half the heartbeat interval: on each chain, append a heartbeat and sign
    (size, head, time), only over a chain that verifies since its last checkpoint. Each chain
    in a transaction of its own (no run holds two councils' heads at once); a chain that does
    not verify is left as it was (nothing appended or signed on it, ChainRefused returned)
    and the others are still signed, so one council's broken chain stops no other's."""
    signed, refused = [], []
    for chain in work.durable(chains(work.session)):
        try:
            with work.savepoint(), verified_chain(work.session, chain):
                signed.append(work.audit.log(chain).checkpoint(signing_key(work.keys)))
        except ChainRefused as exc:
            refused.append(exc)
    return signed, refused


def export(work: Work, directory: Path, chain: uuid.UUID, *, start: datetime | None,
           end: datetime | None) -> dict[str, object]:
    """Write a signed bundle of one chain's entries from ``start``; up to now, or up to its last
    checkpoint at or before ``end`` (a bundle always ends on a signed checkpoint)."""
    db, heartbeat = work.session, timedelta(minutes=work.settings.audit_heartbeat_minutes)
    if chain not in chains(db):
        raise ExportError("Ce journal n’a encore aucune entrée : rien à exporter.")
    in_chain = AuditEntry.chain == chain
    from_seq = 1
    if start is not None:
        first = db.scalar(select(func.min(AuditEntry.seq)).where(in_chain, AuditEntry.ts >= format_ts(start)))
        if first is None:
            raise ExportError("Aucune entrée de ce journal à partir de cette date.")
        from_seq = first
    # The export's own entry, on the chain exported (a council's export is its controller's event).
    target = ("council", chain) if chain != PLATFORM else ("audit_log", "")
    work.audit.record("audit.exported", *target, chain=name_of(chain), from_seq=from_seq,
                      to=format_ts(end) if end else "now")
    log, store, key = work.audit.log(chain), SqlAuditStore(db, chain), signing_key(work.keys)
    if end is None:
        try:
            with verified_chain(db, chain):
                log.export(directory, key, heartbeat_interval=heartbeat, from_seq=from_seq)
        except ChainRefused as exc:
            raise ExportError(str(exc)) from exc
    else:
        last = db.scalar(select(AuditCheckpoint).where(AuditCheckpoint.chain == chain,
                                                       AuditCheckpoint.ts <= format_ts(end),
                                                       AuditCheckpoint.size >= from_seq)
                         .order_by(AuditCheckpoint.size.desc()).limit(1))
        if last is None:
            raise ExportError("Aucun point de contrôle signé de ce journal dans cette période : "
                              "exportez jusqu’à maintenant ou choisissez une autre fin.")
        records = takewhile(lambda r: r.seq <= last.size, store.records(from_seq))
        write_bundle(directory, records, store.checkpoints(), key, heartbeat_interval=heartbeat,
                     head_size=db.scalar(select(func.max(AuditEntry.seq)).where(in_chain)), chain=name_of(chain))
    manifest: dict[str, object] = json.loads((directory / "manifest.json").read_bytes())
    return manifest


def prune(work: Work, before: datetime) -> int:
    """Drop the content of entries older than ``before``, on every chain; their hashes keep
    each chain whole."""
    pruned = sum(work.audit.log(chain).prune(before) for chain in chains(work.session))
    work.audit.record("audit.pruned", "audit_log", "", before=format_ts(before), count=pruned)
    return pruned


@dataclass(frozen=True)
class Filters:
    start: datetime | None = None
    end: datetime | None = None
    actor: str = ""
    action: str = ""
    rule: str = ""  # R1…R23: the entries refused under it
    cases: tuple[uuid.UUID, ...] | None = None  # entries whose target is one of these cases; None: any target
    chain: uuid.UUID | None = None  # one council's chain (or the platform's); None: every chain


@dataclass(frozen=True)
class Row:
    chain: str  # its name: ``platform`` or the council's id
    seq: int
    ts: str
    entry: dict[str, Any] | None  # None once pruned


def people_in(rows: list[Row]) -> set[str]:
    """The ids of the people the entries name (their actors, the accounts they target), whose
    names the console shows beside them."""
    ids = set()
    for row in rows:
        if row.entry is not None:
            ids.add(row.entry["actor"]["id"])
            if row.entry["target"]["type"] == "person":
                ids.add(row.entry["target"]["id"])
    return ids


def _filtered(filters: Filters, dialect: str) -> Select[AuditEntry]:
    query = select(AuditEntry)
    if filters.chain is not None:
        query = query.where(AuditEntry.chain == filters.chain)
    if filters.start:
        query = query.where(AuditEntry.ts >= format_ts(filters.start))
    if filters.end:
        query = query.where(AuditEntry.ts < format_ts(filters.end))
    if filters.actor:
        query = query.where(AuditEntry.actor_id == filters.actor)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    # The rule and the target are inside the entry, whose canonical encoding (audit/FORMAT.md:
    # keys sorted, no whitespace) writes each of them one way only; a detail's value cannot
    # hold a quote, so no other part of an entry can mimic these fragments.
    if filters.rule:
        if not re.fullmatch(r"R\d{1,2}", filters.rule):
            raise ValueError("a rule id is R followed by its number")
        query = query.where(_holds(dialect, b'"rule":"' + filters.rule.encode() + b'"'))
    if filters.cases is not None:
        targets = (b'"target":{"id":"' + str(case_id).encode() + b'","type":"case"}' for case_id in filters.cases)
        query = query.where(or_(false(), *(_holds(dialect, target) for target in targets)))
    return query


def _holds(dialect: str, fragment: bytes) -> ColumnElement[bool]:
    """The entry's body holds these bytes. The fragments come from closed lists and ids: no
    LIKE wildcard to escape."""
    if dialect == "sqlite":  # SQLite's LIKE reads a BLOB only once cast to text
        return cast(AuditEntry.body, Text).like("%" + fragment.decode() + "%")
    return AuditEntry.body.op("LIKE")(b"%" + fragment + b"%")  # PostgreSQL: bytea LIKE bytea


def page(db: Session, filters: Filters, number: int) -> tuple[list[Row], int]:
    """One page of entries, newest first across the chains (by time, then chain and seq), and
    the number of pages."""
    query = _filtered(filters, db.get_bind().dialect.name)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.scalars(query.order_by(AuditEntry.ts.desc(), AuditEntry.chain.desc(), AuditEntry.seq.desc())
                      .offset((number - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return [_row(r) for r in rows], max(1, -(-total // PAGE_SIZE))


def _row(entry: AuditEntry) -> Row:
    return Row(name_of(entry.chain), entry.seq, entry.ts, json.loads(entry.body) if entry.body else None)


# --- the DPO's home ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LastCheckpoint:
    size: int  # the entries of the platform's chain it covers
    at: datetime
    chains: int  # the chains signed that late or later, of how many
    of: int


def last_checkpoint(db: Session) -> LastCheckpoint | None:
    """The platform chain's last checkpoint, and how many chains have one at least as recent
    (a timer signs every chain in one run)."""
    row = db.execute(select(AuditCheckpoint.size, AuditCheckpoint.ts).where(AuditCheckpoint.chain == PLATFORM)
                     .order_by(AuditCheckpoint.size.desc()).limit(1)).first()
    if row is None:
        return None
    latest = (select(AuditCheckpoint.chain, func.max(AuditCheckpoint.ts).label("ts"))
              .group_by(AuditCheckpoint.chain).subquery())
    signed = db.scalar(select(func.count()).select_from(latest).where(latest.c.ts >= row.ts)) or 0
    return LastCheckpoint(row.size, parse_ts(row.ts), signed, len(chains(db)))


def exports(db: Session, limit: int = 5) -> tuple[int, list[Row]]:
    """How many exports of the trail were made, and the latest ones (their own entries)."""
    query = select(AuditEntry).where(AuditEntry.action == "audit.exported")
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    return total, [_row(e) for e in db.scalars(query.order_by(AuditEntry.ts.desc()).limit(limit))]


def denials_by_rule(db: Session, since: datetime) -> dict[str, int]:
    """How many accesses were refused since ``since``, by rule (most frequent first)."""
    counts: dict[str, int] = {}
    for body in db.scalars(select(AuditEntry.body).where(AuditEntry.action == "access.denied",
                                                         AuditEntry.ts >= format_ts(since))):
        rule = str(json.loads(body).get("rule") or "—") if body else "—"
        counts[rule] = counts.get(rule, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))


def parse_ts(ts: str) -> datetime:
    """An entry's or checkpoint's time (``format_ts``) as an aware UTC datetime."""
    return datetime.fromisoformat(ts.removesuffix("Z")).replace(tzinfo=UTC)
