"""The identities' hot reads — a unit's rows with its wrapped key, a search token's bucket of
candidates — built once and run through ``db.rows`` as named types (every case page and
every search reads them)."""

from __future__ import annotations

import uuid
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from ccop_cases.db import rows
from ccop_cases.identities.models import DataKeyRecord, IdentityRecord, IdentityToken


class UnitIdentity(NamedTuple):
    """One sealed identity of a unit, with the unit's wrapped data key."""

    id: uuid.UUID
    unit_id: uuid.UUID
    role: str
    position: int
    last_name_enc: bytes
    given_names_enc: bytes
    birth_date_enc: bytes | None
    sex_enc: bytes | None
    address_enc: bytes | None
    phone_enc: bytes | None
    email_enc: bytes | None
    kek_id: str
    epoch_enc: bytes | None
    wrapped: bytes


class Candidate(NamedTuple):
    """An identity of a search token's bucket: only what the comparison opens, and its key."""

    id: uuid.UUID
    unit_id: uuid.UUID
    last_name_enc: bytes
    given_names_enc: bytes
    birth_date_enc: bytes | None
    kek_id: str
    epoch_enc: bytes | None
    wrapped: bytes


_UNIT = (select(*IdentityRecord.__table__.c, DataKeyRecord.kek_id, DataKeyRecord.epoch_enc, DataKeyRecord.wrapped)
         .join(DataKeyRecord, DataKeyRecord.unit_id == IdentityRecord.unit_id)
         .where(IdentityRecord.unit_id == bindparam("unit_id")).order_by(IdentityRecord.position))
_CANDIDATES = (
    select(IdentityRecord.id, IdentityRecord.unit_id, IdentityRecord.last_name_enc, IdentityRecord.given_names_enc,
           IdentityRecord.birth_date_enc, DataKeyRecord.kek_id, DataKeyRecord.epoch_enc, DataKeyRecord.wrapped)
    .join(IdentityToken, IdentityToken.identity_id == IdentityRecord.id)
    .join(DataKeyRecord, DataKeyRecord.unit_id == IdentityRecord.unit_id)
    .where(IdentityToken.scope == bindparam("scope"), IdentityToken.token == bindparam("token")))


def unit(db: Session, unit_id: uuid.UUID) -> list[UnitIdentity]:
    return rows(db, _UNIT, {"unit_id": unit_id}, UnitIdentity)


def candidates(db: Session, scope: uuid.UUID, token: int) -> list[Candidate]:
    return rows(db, _CANDIDATES, {"scope": scope, "token": token}, Candidate)
