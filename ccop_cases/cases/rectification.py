"""Rectification of a situation at the person's request (R12, GDPR art. 16): the young
person's identity, the legal representatives', the school situation, the exposure factors
and the note, corrected on a rectification request in progress. Flask-free; the caller has
decided who may rectify (the coordonnateur on the DPO's instruction, or the DPO) and commits.

A restriction (art. 18) does not stop a rectification: the restriction often waits for it
(art. 18(1)(a): the accuracy is contested). Each changed field is one line of the history,
linked to the request, its new value sealed under the situation's key; the audit entry keeps
the request's id and the fields' codes, never a value.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import select

from ccop_cases.cases import lists
from ccop_cases.cases.models import Case, CaseChange
from ccop_cases.cases.services import NOTE_MAX, CaseError, blind_index, rebind
from ccop_cases.charter.models import Membership, WorkingGroup
from ccop_cases.encryption import DataKey, open_text, seal_text
from ccop_cases.identities import services as identities
from ccop_cases.identities.models import IdentityRecord
from ccop_cases.identities.services import Identity
from ccop_cases.work import Work

REPRESENTATIVES = 2  # the proposal form's legal representatives; so is the rectification form's
SEARCHED = ("last_name", "given_names", "birth_date")  # what the blind index is computed from


@dataclass(frozen=True)
class Correction:
    """What the rectification form holds: the whole of what may be corrected, as it should be."""

    young: Identity
    representatives: list[Identity | None]  # by position (1, 2); None: none at this position
    school_situation: str
    exposure_factors: list[str]
    note: str = ""
    note_attested: bool = False


@dataclass(frozen=True)
class Current:
    """The situation's correctable data as it stands (decrypted): what the form is filled with."""

    young: Identity
    representatives: list[Identity | None]
    school_situation: str
    exposure_factors: list[str]
    note: str


def _text(value: object) -> str | None:
    """A field's value as the history seals it (an empty text is no value)."""
    if value is None:
        return None
    text = value.isoformat() if hasattr(value, "isoformat") else str(value).strip()
    return text or None


def _people(work: Work, case: Case) -> tuple[DataKey, list[IdentityRecord], list[Identity]]:
    db = work.session
    dek = identities.unit_key(db, work.keys, case.id)
    rows = list(db.scalars(select(IdentityRecord).where(IdentityRecord.unit_id == case.id)
                           .order_by(IdentityRecord.position)))
    return dek, rows, [identities.read_identity(dek, row) for row in rows]


def current(work: Work, case: Case) -> Current:
    """The data a rectification starts from (the form is pre-filled with it)."""
    dek, _rows, people = _people(work, case)
    reps: list[Identity | None] = [*people[1:], *([None] * REPRESENTATIVES)][:REPRESENTATIVES]
    note = open_text(dek, case.note_enc, column=Case.note_enc, row_id=case.id) if case.note_enc else ""
    return Current(people[0], reps, case.school_situation, case.factor_codes, note)


def _check(group: WorkingGroup, old_reps: int, c: Correction, note_changed: bool) -> None:
    """The closed lists and the rules a proposal meets hold for its correction too (R5, R23)."""
    if c.young.sex not in lists.SEXES:
        raise CaseError("Sexe : choix inconnu.", "sex")
    if c.school_situation not in lists.SCHOOL_SITUATIONS:
        raise CaseError("Situation scolaire ou professionnelle : choix inconnu.", "school_situation")
    if not set(c.exposure_factors) <= set(lists.EXPOSURE_FACTORS):
        raise CaseError("Facteurs d’exposition : choix inconnu.", "exposure_factors")
    if group.is_ccop and set(c.exposure_factors) & lists.THEMATIC_ONLY_FACTORS:
        raise CaseError("Ce facteur relève du programme 2, réservé aux groupes thématiques (R23).",
                        "exposure_factors", rule="R23")
    for position, rep in enumerate(c.representatives, 1):
        if rep is None and position <= old_reps:
            raise CaseError(f"Le représentant légal {position} est enregistré : corrigez son nom plutôt que de "
                            "l’effacer (l’effacement se demande au délégué à la protection des données).",
                            f"rep{position}_last_name")
        if rep is not None and position > 1 and c.representatives[position - 2] is None:
            raise CaseError("Indiquez d’abord le représentant légal 1.", "rep1_last_name")
    if note_changed and c.note.strip() and not c.note_attested:
        raise CaseError("Cochez l’attestation : la remarque ne contient aucune information couverte par le secret "
                        "professionnel (R5).", "note_attested", rule="R5")
    if len(c.note.strip()) > NOTE_MAX:
        raise CaseError(f"Point d’attention : {NOTE_MAX} caractères au plus.", "note")


def _identity_changes(who: str, old: Identity | None, new: Identity) -> dict[str, str | None]:
    """``{field code: new value}`` of the fields of one person that differ."""
    return {f"{who}.{f.name}": _text(getattr(new, f.name)) for f in fields(Identity)
            if _text(getattr(new, f.name)) != (_text(getattr(old, f.name)) if old else None)}


def rectify(work: Work, case: Case, m: Membership | None, request_id: uuid.UUID, c: Correction) -> list[str]:
    """Correct the situation as the rectification request ``request_id`` asks (``m``: the
    coordonnateur acting on the DPO's instruction; None: the DPO); return the codes of the
    fields changed. Refused (CaseError, in French) when nothing changes."""
    db, now = work.session, work.now()
    group = db.get_one(WorkingGroup, case.group_id)
    dek, rows, people = _people(work, case)
    old_note = open_text(dek, case.note_enc, column=Case.note_enc, row_id=case.id) if case.note_enc else ""
    _check(group, len(people) - 1, c, c.note.strip() != old_note)
    changed: dict[str, str | None] = _identity_changes("young_person", people[0], c.young)
    if changed:
        searched = any(f"young_person.{name}" in changed for name in SEARCHED)
        identities.rewrite_identity(db, dek, rows[0], c.young, scope=group.id if searched else None,
                                    index=blind_index(work.keys, work.settings.blind_index_bits, group.id)
                                    if searched else None)
        if "young_person.birth_date" in changed:  # the 25th birthday moved: so may the epoch
            rebind(work, case, c.young.birth_date)
    for position, rep in enumerate(c.representatives, 1):
        old = people[position] if position < len(people) else None
        if rep is None:
            continue
        found = _identity_changes(f"representative_{position}", old, rep)
        if found and old is not None:
            identities.rewrite_identity(db, dek, rows[position], rep)
        elif found:
            identities.write_identity(db, dek, case.id, "representative", position, rep)
        changed |= found
    changed |= _case_changes(dek, case, c, old_note)
    if not changed:
        raise CaseError("Aucune donnée n’a changé : corrigez au moins un champ, ou répondez à la demande depuis le "
                        "registre.")
    for code, value in changed.items():
        change = CaseChange(id=uuid.uuid4(), case_id=case.id, field=code, changed_by=m.id if m else None,
                            changed_at=now, request_id=request_id)
        if value is not None:
            change.value_enc = seal_text(dek, value, column=CaseChange.value_enc, row_id=change.id)
        db.add(change)
    for code in changed:  # one entry per field: an entry holds at most 16 details, each a short code
        work.audit.record("case.rectified", "case", case.id, request_id=request_id, field=code)
    return list(changed)


def _case_changes(dek: DataKey, case: Case, c: Correction, old_note: str) -> dict[str, str | None]:
    """Apply the corrections of the situation's own fields; ``{field code: new value}``."""
    found: dict[str, Any] = {}
    if c.school_situation != case.school_situation:
        case.school_situation = found["school_situation"] = c.school_situation
    factors = ",".join(sorted(set(c.exposure_factors)))
    if factors != case.exposure_factors:
        case.exposure_factors = factors
        found["exposure_factors"] = factors or None
    note = c.note.strip()
    if note != old_note:
        case.note_enc = seal_text(dek, note, column=Case.note_enc, row_id=case.id) if note else None
        found["note"] = note or None
    return found
