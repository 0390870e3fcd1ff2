"""The trail's SQL store and the auditor services call to append events in the caller's transaction."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from audit import AuditLog, Checkpoint, Event, Record
from audit.log import BuildRecord
from ccop_cases.auditing.catalogue import ACTIONS
from ccop_cases.auditing.models import AuditCheckpoint, AuditEntry, AuditHead


class SqlAuditStore:
    """``audit.AuditStore`` on the caller's SQLAlchemy session (same transaction as the change).

    ``append_next`` locks the one-row head: ``SELECT … FOR UPDATE`` on PostgreSQL; on
    SQLite every transaction already began with ``BEGIN IMMEDIATE`` (see ``db.py``). The
    append runs on every audited request, so its three statements are built once and
    executed on the session's connection (no ORM unit of work).
    """

    _HEAD = select(AuditHead.seq, AuditHead.hash, AuditHead.ts).where(AuditHead.id == 1).with_for_update()
    _ENTRY = insert(AuditEntry)
    _ADVANCE = (update(AuditHead).where(AuditHead.id == 1)
                .values(seq=bindparam("new_seq"), hash=bindparam("new_hash"), ts=bindparam("new_ts")))

    def __init__(self, session: Session) -> None:
        self.session = session

    def append_next(self, build: BuildRecord) -> Record:
        connection = self.session.connection()
        head = connection.execute(self._HEAD).one()
        record = build(head.seq + 1, head.hash, head.ts)
        entry = json.loads(record.body or b"{}")
        connection.execute(self._ENTRY, {"seq": record.seq, "ts": record.ts, "prev": record.prev,
                                         "hash": record.hash, "body": record.body, "action": entry["action"],
                                         "actor_id": entry["actor"]["id"]})
        connection.execute(self._ADVANCE, {"new_seq": record.seq, "new_hash": record.hash, "new_ts": record.ts})
        return record

    def records(self, from_seq: int = 1) -> Iterator[Record]:
        # Keyset pages: no cursor stays open when a caller stops early (an export's end).
        while True:
            rows = self.session.execute(
                select(AuditEntry.seq, AuditEntry.ts, AuditEntry.prev, AuditEntry.hash, AuditEntry.body)
                .where(AuditEntry.seq >= from_seq).order_by(AuditEntry.seq).limit(2000)).all()
            yield from (Record(*row) for row in rows)
            if len(rows) < 2000:
                return
            from_seq = rows[-1].seq + 1

    def prune(self, before_ts: str) -> int:
        result = self.session.execute(
            update(AuditEntry).where(AuditEntry.ts < before_ts, AuditEntry.body.is_not(None))
            .values(body=None).execution_options(synchronize_session=False))
        return int(result.rowcount)  # type: ignore[attr-defined]

    def add_checkpoint(self, checkpoint: Checkpoint) -> None:
        self.session.add(AuditCheckpoint(size=checkpoint.size, head=checkpoint.head, ts=checkpoint.ts,
                                         key_id=checkpoint.key_id, signature=checkpoint.signature))
        self.session.flush()

    def checkpoints(self) -> Iterator[Checkpoint]:
        for row in self.session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.size)):
            yield Checkpoint(size=row.size, head=row.head, ts=row.ts, key_id=row.key_id,
                             signature=row.signature)


@dataclass
class Auditor:
    """Appends events for one actor (a person, a job, or anonymous) to the caller's transaction."""

    log: AuditLog
    actor_id: str
    actor_role: str
    request_id: str | None = None

    def record(self, action: str, target_type: str, target_id: object = "", *,
               outcome: str = "success", rule: str | None = None, **details: object) -> None:
        if action not in ACTIONS:
            raise ValueError(f"undeclared audit action {action!r}: add it to auditing.ACTIONS")
        self.log.append(Event(action=action, actor_id=self.actor_id, actor_role=self.actor_role,
                              target_type=target_type, target_id=str(target_id), outcome=outcome,
                              rule=rule, request=self.request_id,
                              details={k: str(v) for k, v in details.items()}))


def auditor(session: Session, clock: Callable[[], datetime], actor_id: str, actor_role: str,
            request_id: str | None = None) -> Auditor:
    return Auditor(AuditLog(SqlAuditStore(session), clock=clock), actor_id, actor_role, request_id)
