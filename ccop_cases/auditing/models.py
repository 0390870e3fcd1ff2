"""Storage of the audit trail (the ``audit/`` library's chains) in the application database.

One hash chain per council (its controller), keyed by the council's id, and the platform
chain (``PLATFORM_KEY``) for events of no council: each has its own entries, head and
checkpoints, so appends of different councils lock different head rows.

Append-only: migration triggers refuse DELETE, and every UPDATE except the retention
pruning that sets ``body`` to NULL and leaves the linkage untouched (and only once the
entry is older than ``audit_retention``); an entry must extend its chain's head, the head
moves only to the entry just appended (0007, 0013), and a new head starts at the genesis.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccop_cases.db import Base

#: The platform chain's key: events that belong to no council (accounts, operators), and the
#: history of the single chain that came before per-council chains (audit/FORMAT.md).
PLATFORM_KEY = uuid.UUID(int=0)


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (UniqueConstraint("chain", "prev"),)

    chain: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[str] = mapped_column(String(27), index=True)
    prev: Mapped[bytes] = mapped_column(LargeBinary(32))
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)  # NULL once pruned
    # Filter columns for the oversight console, copied from the entry when appended.
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[str] = mapped_column(String(64), index=True)


class AuditHead(Base):
    """One row per chain: its last appended entry. Locked by every append to the chain (seq
    is never a sequence). ``write_seq`` is the seq of the chain's last entry that is not a
    read (``READ_ACTIONS``): every change a decision depends on appends such an entry to its
    council's chain, so a read decided while ``write_seq`` was W still stands while it is W."""

    __tablename__ = "audit_head"

    chain: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    ts: Mapped[str] = mapped_column(String(27))
    write_seq: Mapped[int] = mapped_column(BigInteger)


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoint"

    chain: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    head: Mapped[bytes] = mapped_column(LargeBinary(32))
    ts: Mapped[str] = mapped_column(String(27))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))
    version: Mapped[str] = mapped_column(String(1))  # "1": signed before chains (names none)


class AuditRetention(Base):
    """One row written by the schema's owner (``ccop db upgrade``): how many days an entry
    keeps its content at least. A database trigger refuses to blank a younger one (R13), and
    the service's restricted role may only read this row."""

    __tablename__ = "audit_retention"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    days: Mapped[int]
