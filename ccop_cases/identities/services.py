"""Identity services: open a unit, write and read identities, exact search, shredding and
key rotation. Flask-free; callers pass the session, the key provider and ``now``."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ccop_cases.clock import day
from ccop_cases.encryption import BlindIndex, DataKey, DecryptionError, KeyProvider, epoch_of, open_text, seal_text
from ccop_cases.identities import queries
from ccop_cases.identities.models import DataKeyRecord, IdentityRecord, IdentityToken

EPOCH_PURPOSE = "retention-epoch"  # the purpose key that seals each data key's epoch
UNREADABLE_EPOCH = "?"  # a sealed epoch that does not open: counted, so the turn of the month stops


@dataclass(frozen=True)
class Identity:
    """Plaintext identity, only ever in memory."""

    last_name: str
    given_names: str
    birth_date: date | None = None
    sex: str | None = None
    address: str | None = None
    phone: str | None = None
    email: str | None = None


def epoch_for(keys: KeyProvider, deadline: date | None, today: date) -> str | None:
    """The retention epoch of a unit that must be gone by ``deadline``: the month it falls in,
    or this month if that one is past (the unit is due now: the daily run shreds it before the
    month ends, so the turn of the month never finds it). None: no deadline, or no ratchet yet."""
    if deadline is None or keys.epoch is None:
        return None
    return max(epoch_of(deadline), epoch_of(today), keys.epoch)


def _seal_epoch(keys: KeyProvider, unit_id: uuid.UUID, epoch: str | None) -> bytes | None:
    # For an open case the epoch is the month of the 25th birthday: sealed, never in clear.
    return None if epoch is None else seal_text(keys.purpose_key(EPOCH_PURPOSE), epoch,
                                                column=DataKeyRecord.epoch_enc, row_id=unit_id)


def epoch_of_unit(keys: KeyProvider, unit_id: uuid.UUID, sealed: bytes | None) -> str | None:
    """The epoch a unit's data key is bound to (None: to none); DecryptionError if refused."""
    return None if sealed is None else open_text(keys.purpose_key(EPOCH_PURPOSE), sealed,
                                                 column=DataKeyRecord.epoch_enc, row_id=unit_id)


def unwrap(keys: KeyProvider, unit_id: uuid.UUID, kek_id: str, epoch_enc: bytes | None, wrapped: bytes) -> DataKey:
    """Open a unit's stored data key (its KEK id, sealed epoch and wrapped bytes)."""
    return DataKey.unwrap(keys, kek_id, wrapped, unit_id=unit_id, epoch=epoch_of_unit(keys, unit_id, epoch_enc))


def open_unit(db: Session, keys: KeyProvider, unit_id: uuid.UUID, now: datetime, deadline: date | None) -> DataKey:
    """Create the data key of a new unit, wrapped under the current KEK and the epoch of the
    date it must be gone by (``deadline``; None for a unit without one), and return it."""
    dek = DataKey.generate()
    epoch = epoch_for(keys, deadline, day(now))
    kek_id, wrapped = dek.wrap(keys, unit_id=unit_id, epoch=epoch)
    db.add(DataKeyRecord(unit_id=unit_id, kek_id=kek_id, epoch_enc=_seal_epoch(keys, unit_id, epoch),
                         wrapped=wrapped, created_at=now))
    db.flush()
    return dek


def unit_key(db: Session, keys: KeyProvider, unit_id: uuid.UUID) -> DataKey:
    """Unwrap a unit's data key; raise DecryptionError when it cannot be opened."""
    record = db.get(DataKeyRecord, unit_id)
    if record is None:
        raise LookupError("no data key for this unit (shredded or never opened)")
    return unwrap(keys, unit_id, record.kek_id, record.epoch_enc, record.wrapped)


def rebind(db: Session, keys: KeyProvider, unit_id: uuid.UUID, deadline: date, today: date) -> bool:
    """The unit's deadline moved (or it was sealed before epochs): rewrap its data key to the
    epoch of ``deadline``, in the caller's transaction (same key, field values untouched).
    True when the epoch changed."""
    record = db.get(DataKeyRecord, unit_id)
    if record is None:
        raise LookupError("no data key for this unit (shredded or never opened)")
    old, epoch = epoch_of_unit(keys, unit_id, record.epoch_enc), epoch_for(keys, deadline, today)
    if epoch is None or epoch == old:
        return False
    dek = DataKey.unwrap(keys, record.kek_id, record.wrapped, unit_id=unit_id, epoch=old)
    record.kek_id, record.wrapped = dek.wrap(keys, unit_id=unit_id, epoch=epoch)
    record.epoch_enc = _seal_epoch(keys, unit_id, epoch)
    db.flush()
    return True


def group_key(db: Session, keys: KeyProvider, group_id: uuid.UUID, now: datetime) -> DataKey:
    """The data key that seals a group's free texts (session minutes, reasons of a member's
    suspension or exclusion): a unit of its own, opened on first use."""
    if db.get(DataKeyRecord, group_id) is None:
        try:
            with db.begin_nested():
                return open_unit(db, keys, group_id, now, None)  # no deadline: bound to no epoch
        except IntegrityError:
            pass  # another transaction opened it first: use theirs
    return unit_key(db, keys, group_id)


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)


def write_identity(db: Session, dek: DataKey, unit_id: uuid.UUID, role: str, position: int,
                   identity: Identity, *, index: BlindIndex | None = None,
                   scope: uuid.UUID | None = None) -> IdentityRecord:
    """Store one identity, every field sealed; add its blind-index token when asked."""
    row = IdentityRecord(id=uuid.uuid4(), unit_id=unit_id, role=role, position=position)
    for f in fields(identity):
        text = _as_text(getattr(identity, f.name))
        sealed = None if text is None else seal_text(dek, text, column=_column(f.name),
                                                     row_id=row.id)
        setattr(row, f"{f.name}_enc", sealed)
    db.add(row)
    if index is not None and scope is not None and identity.birth_date is not None:
        db.add(IdentityToken(identity_id=row.id, unit_id=unit_id, scope=scope,
                             token=index.token(identity.last_name, identity.given_names,
                                               identity.birth_date)))
    db.flush()
    return row


def rewrite_identity(db: Session, dek: DataKey, row: IdentityRecord, identity: Identity, *,
                     index: BlindIndex | None = None, scope: uuid.UUID | None = None) -> None:
    """Seal a corrected identity into its existing row (a rectification, GDPR art. 16); with
    ``index``, replace its blind-index token, so the exact search finds the corrected identity
    and no longer the former one."""
    for f in fields(identity):
        text = _as_text(getattr(identity, f.name))
        setattr(row, f"{f.name}_enc", None if text is None else seal_text(dek, text, column=_column(f.name),
                                                                          row_id=row.id))
    if index is not None and scope is not None:
        db.execute(delete(IdentityToken).where(IdentityToken.identity_id == row.id))
        if identity.birth_date is not None:
            db.add(IdentityToken(identity_id=row.id, unit_id=row.unit_id, scope=scope,
                                 token=index.token(identity.last_name, identity.given_names, identity.birth_date)))
    db.flush()


def read_identity(dek: DataKey, row: IdentityRecord | queries.UnitIdentity) -> Identity:
    """Decrypt one row; raise DecryptionError on any failure (no partial result)."""
    values: dict[str, object] = {}
    for f in fields(Identity):
        sealed = getattr(row, f"{f.name}_enc")
        text = None if sealed is None else open_text(dek, sealed, column=_column(f.name),
                                                     row_id=row.id)
        values[f.name] = date.fromisoformat(text) if f.name == "birth_date" and text else text
    return Identity(**values)  # type: ignore[arg-type]


def open_unit_identities(db: Session, keys: KeyProvider,
                         unit_id: uuid.UUID) -> tuple[DataKey, list[tuple[queries.UnitIdentity, Identity]]]:
    """The unit's data key and its identity rows, decrypted, from one query; LookupError when
    the unit has no key or no identity (shredded), DecryptionError when a value is refused."""
    rows = queries.unit(db, unit_id)
    if not rows:
        raise LookupError("no data key or no identity for this unit (shredded or never opened)")
    dek = unwrap(keys, unit_id, rows[0].kek_id, rows[0].epoch_enc, rows[0].wrapped)
    return dek, [(row, read_identity(dek, row)) for row in rows]


def read_unit(db: Session, keys: KeyProvider, unit_id: uuid.UUID) -> list[tuple[queries.UnitIdentity, Identity]]:
    return open_unit_identities(db, keys, unit_id)[1]


def search(db: Session, keys: KeyProvider, index: BlindIndex, scope: uuid.UUID,
           last_name: str, given_names: str, birth_date: date) -> list[uuid.UUID]:
    """Units of ``scope`` holding exactly this identity (spelling variants included).

    The token narrows to a bucket of candidates; each is decrypted and compared in
    normalised form, so only true matches are returned. The birth date is compared
    first: it is one field to decrypt and rules out nearly every other candidate.
    """
    wanted = BlindIndex.normalise(last_name, given_names, birth_date)
    token = index.token(last_name, given_names, birth_date)
    found: set[uuid.UUID] = set()
    for row in queries.candidates(db, scope, token):
        dek = unwrap(keys, row.unit_id, row.kek_id, row.epoch_enc, row.wrapped)
        if _open(dek, row, "birth_date") != wanted[2]:  # stored as ISO text, like wanted[2] (_as_text)
            continue
        candidate = BlindIndex.normalise(_open(dek, row, "last_name"), _open(dek, row, "given_names"),
                                         date.fromisoformat(wanted[2]))
        if candidate == wanted:
            found.add(row.unit_id)
    return sorted(found, key=str)


def _open(dek: DataKey, row: Any, name: str) -> str:
    return open_text(dek, getattr(row, f"{name}_enc"), column=_column(name), row_id=row.id)


def _column(field_name: str) -> Any:
    """The mapped column that holds an identity field, sealed (``IdentityRecord.last_name_enc``)."""
    return getattr(IdentityRecord, f"{field_name}_enc")


def shred_unit(db: Session, unit_id: uuid.UUID) -> dict[str, int]:
    """Crypto-shred a unit: delete its tokens, ciphertexts and wrapped key in one transaction.

    This removes it from the live database. Copies in older dumps still hold the wrapped key:
    they stop opening when the ratchet destroys the unit's epoch at the turn of its month
    (``retention.services.turn_of_month``) and the key backups from before have expired.
    """
    counts = {}
    for name, model in (("tokens", IdentityToken), ("identities", IdentityRecord),
                        ("data_keys", DataKeyRecord)):
        result = db.execute(delete(model).where(model.unit_id == unit_id))
        counts[name] = int(result.rowcount)  # type: ignore[attr-defined]
    return counts


# --- rotation --------------------------------------------------------------------------------


def epochs(db: Session, keys: KeyProvider) -> Iterator[tuple[uuid.UUID, str | None]]:
    """Every data key's unit and epoch (None: bound to none; UNREADABLE_EPOCH: its seal does
    not open). Opens every sealed epoch: for the daily run and the operators' commands."""
    for unit_id, sealed in db.execute(select(DataKeyRecord.unit_id, DataKeyRecord.epoch_enc)):
        try:
            yield unit_id, epoch_of_unit(keys, unit_id, sealed)
        except DecryptionError:
            yield unit_id, UNREADABLE_EPOCH


def count_by_epoch(db: Session, keys: KeyProvider) -> Counter[str | None]:
    """How many data keys each epoch seals (None: bound to none)."""
    return Counter(epoch for _, epoch in epochs(db, keys))


def past_epoch_units(db: Session, keys: KeyProvider) -> set[uuid.UUID]:
    """The units bound to an epoch the ratchet has destroyed: they can no longer be opened,
    and their deadline has passed by construction (a database restored from before their
    purge holds them)."""
    ratchet = keys.epoch
    return set() if ratchet is None else {unit for unit, epoch in epochs(db, keys)
                                          if epoch not in (None, UNREADABLE_EPOCH) and epoch < ratchet}


def count_by_kek(db: Session) -> dict[str, int]:
    rows = db.execute(select(DataKeyRecord.kek_id, func.count()).group_by(DataKeyRecord.kek_id))
    return {kek_id: int(n) for kek_id, n in rows}


def stale_batches(db: Session, current: str, size: int) -> Iterator[list[DataKeyRecord]]:
    """Batches of data keys not yet under ``current``; re-query each time (resumable)."""
    while True:
        batch = list(db.scalars(select(DataKeyRecord).where(DataKeyRecord.kek_id != current)
                                .order_by(DataKeyRecord.unit_id).limit(size)))
        if not batch:
            return
        yield batch


def rewrap(keys: KeyProvider, records: list[DataKeyRecord]) -> None:
    """Rewrap each key under the current KEK: same key bytes, field ciphertexts untouched."""
    for record in records:
        record.kek_id, record.wrapped = DataKey.rewrap(
            keys, record.kek_id, record.wrapped, unit_id=record.unit_id,
            epoch=epoch_of_unit(keys, record.unit_id, record.epoch_enc))
