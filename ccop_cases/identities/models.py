"""Encrypted identities of a retention unit (a case): its wrapped data key, the identity
rows of the young person and legal representatives, and their blind-index tokens.

No plaintext is mapped: every personal field is a ``<field>_enc`` binary column sealed
with the unit's data key and bound to (table, column, row id).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from ccop_cases.db import Base, new_id

# Fields of an identity row, in form order; each is stored as ``<field>_enc``.
IDENTITY_FIELDS = ("last_name", "given_names", "birth_date", "sex", "address", "phone", "email")


class DataKeyRecord(Base):
    """The wrapped data key of one retention unit. Deleting it shreds the unit; so does the
    turn of the month after its ``epoch`` (the month its unit must be gone by), in every copy."""

    __tablename__ = "data_key"

    unit_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    kek_id: Mapped[str] = mapped_column(String(16), index=True)
    # The retention epoch ('YYYY-MM') whose key also seals it, itself sealed under the
    # ``retention-epoch`` purpose key: for an open case it is the month of the 25th birthday.
    # NULL for a unit with no deadline (a group's minutes) or one sealed before epochs existed
    # (``ccop retention run`` binds the latter).
    epoch_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]


class DestroyedEpoch(Base):
    """An epoch whose key the ratchet destroyed (``ccop retention run``, at the turn of the
    month), written with its audit entry: what a resumed run compares with the key store."""

    __tablename__ = "key_epoch"

    epoch: Mapped[str] = mapped_column(String(7), primary_key=True)
    destroyed_at: Mapped[datetime]


class IdentityRecord(Base):
    """One person of a unit: the young person (position 0) or a legal representative."""

    __tablename__ = "identity"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.unit_id"), index=True)
    role: Mapped[str] = mapped_column(String(24))  # young_person | representative
    position: Mapped[int]
    last_name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    given_names_enc: Mapped[bytes] = mapped_column(LargeBinary)
    birth_date_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    sex_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    address_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    phone_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    email_enc: Mapped[bytes | None] = mapped_column(LargeBinary)


class IdentityToken(Base):
    """Blind-index token of an identity, scoped to a group (no linking across groups, R22)."""

    __tablename__ = "identity_token"
    __table_args__ = (Index("ix_identity_token_scope_token", "scope", "token"),)

    identity_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("identity.id"), primary_key=True)
    unit_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.unit_id"), index=True)
    scope: Mapped[uuid.UUID]
    token: Mapped[int] = mapped_column(BigInteger)  # up to 32 bits, unsigned
