"""Storage of the audit trail (the ``audit/`` library's chain) in the application database.

Append-only: migration triggers refuse DELETE, and every UPDATE except the retention
pruning that sets ``body`` to NULL and leaves the linkage untouched (and only once the
entry is older than ``audit_retention``); an entry must extend the head, and the head
moves only to the entry just appended (0007).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ccop_cases.db import Base


class AuditEntry(Base):
    __tablename__ = "audit_entry"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[str] = mapped_column(String(27), index=True)
    prev: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)  # NULL once pruned
    # Filter columns for the oversight console, copied from the entry when appended.
    action: Mapped[str] = mapped_column(String(64), index=True)
    actor_id: Mapped[str] = mapped_column(String(64), index=True)


class AuditHead(Base):
    """One row: the last appended entry. Locked by every append (seq is never a sequence)."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    ts: Mapped[str] = mapped_column(String(27))


class AuditCheckpoint(Base):
    __tablename__ = "audit_checkpoint"

    size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    head: Mapped[bytes] = mapped_column(LargeBinary(32))
    ts: Mapped[str] = mapped_column(String(27))
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[bytes] = mapped_column(LargeBinary(64))


class AuditRetention(Base):
    """One row written by the schema's owner (``ccop db upgrade``): how many days an entry
    keeps its content at least. A database trigger refuses to blank a younger one (R13), and
    the service's restricted role may only read this row."""

    __tablename__ = "audit_retention"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    days: Mapped[int]
