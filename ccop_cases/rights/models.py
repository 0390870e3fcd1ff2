"""The register of rights requests (R12).

A request belongs to one council (the controller that answers it). Who asks is an identity
sealed under the request's own data key (``identities``: the request id is its unit), so that
the end of the register's retention is crypto-shredding; every other column is a code, a
date or an id. The situations concerned are linked by id, with their group (which the
counts of the annual report keep once the request itself is purged).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccop_cases.db import Base, new_id


class RightsRequest(Base):
    __tablename__ = "rights_request"
    __table_args__ = (UniqueConstraint("council_id", "reference"), Index("ix_rights_request_due", "state", "due_on"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    council_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("council.id"), index=True)
    reference: Mapped[str] = mapped_column(String(16))  # DR-2026-0007: never personal
    submission_id: Mapped[uuid.UUID] = mapped_column(unique=True)  # a double submission lands once
    kind: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date]
    channel: Mapped[str] = mapped_column(String(16))
    requester: Mapped[str] = mapped_column(String(16))
    identity_check: Mapped[str | None] = mapped_column(String(16))
    identity_checked_on: Mapped[date | None]
    state: Mapped[str] = mapped_column(String(16), default="received")
    due_on: Mapped[date]  # received + 1 month; + 3 months once extended (art. 12(3))
    extension_reason: Mapped[str | None] = mapped_column(String(16))
    extended_on: Mapped[date | None]
    answered_on: Mapped[date | None]  # the answer's (or refusal's, or withdrawal's) date
    answer: Mapped[str | None] = mapped_column(String(24))
    refusal_reason: Mapped[str | None] = mapped_column(String(32))
    restriction_lifted_on: Mapped[date | None]
    record_downloaded_at: Mapped[datetime | None]  # the access file leaves the server once
    keep_until: Mapped[date | None]  # the register's retention: set when the request ends
    purged_at: Mapped[datetime | None]  # requester's identity shredded, links cut
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"))
    created_at: Mapped[datetime]


class RightsRequestCase(Base):
    """A situation a request concerns (the young person's exact name and birth date found it)."""

    __tablename__ = "rights_request_case"
    __table_args__ = (UniqueConstraint("request_id", "case_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("rights_request.id"), index=True)
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("case.id"), index=True)  # None once purged
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_group.id"), index=True)
    linked_at: Mapped[datetime]
