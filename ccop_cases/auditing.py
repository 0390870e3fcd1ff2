"""The app's one bridge to ``audit/``: the SQL store, the catalogue of action codes, and the
auditor that services call to append events in the caller's transaction.

Entries carry ids, codes and enumerations only — never a name, a birth date, free text, a
search term, a key, a code or a session id (DESIGN §6). The library refuses anything that
is not shaped like an id; the catalogue below refuses actions nobody declared.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from audit import AuditLog, Checkpoint, Event, Record
from audit.log import BuildRecord, ChainBroken
from audit.verify_audit_export import GENESIS
from ccop_cases.encryption import KeyProvider
from ccop_cases.logs import get_logger
from ccop_cases.oversight.models import AuditCheckpoint, AuditEntry, AuditHead

# The closed catalogue of action codes (French meaning shown in the oversight console).
ACTIONS: dict[str, str] = {
    "login.password_accepted": "Connexion : mot de passe accepté",
    "login.succeeded": "Connexion réussie (second facteur accepté)",
    "login.refused": "Connexion refusée",
    "login.locked": "Identifiant bloqué après trop d’échecs",
    "session.ended": "Session terminée",
    "account.created": "Compte créé",
    "account.password_changed": "Mot de passe changé",
    "account.totp_enrolled": "Double authentification activée",
    "account.recovery_code_used": "Code de secours utilisé",
    "account.reauthenticated": "Code ressaisi pour un acte sensible",
    "account.unlocked": "Identifiant débloqué",
    "account.second_factor_reset": "Double authentification réinitialisée",
    "account.sessions_ended": "Sessions d’une personne terminées",
    "account.duty_granted": "Fonction de plateforme attribuée",
    "access.denied": "Accès refusé",
    "council.created": "Conseil (CLSPD/CISPD) créé",
    "group.created": "Groupe de travail créé",
    "group.act_recorded": "Acte de constitution enregistré",
    "group.status_changed": "État du groupe modifié (constitution, suspension, dissolution)",
    "text.adopted": "Nouvelle version de la charte ou du règlement intérieur",
    "charter.signed": "Charte signée",
    "rules.acknowledged": "Règlement intérieur pris en compte",
    "membership.designated": "Membre désigné",
    "membership.end_date_set": "Date de fin de désignation modifiée",
    "membership.suspended": "Participation suspendue",
    "membership.reinstated": "Suspension levée",
    "membership.excluded": "Membre exclu (R15)",
    "deployment.mode_changed": "Mode du déploiement modifié (R20)",
    "case.proposed": "Situation proposée",
    "case.viewed": "Situation consultée",
    "case.archive_read": "Situation clôturée consultée (avec motif)",
    "case.searched": "Recherche par nom et date de naissance (nombre de résultats seulement)",
    "case.listed": "Liste de situations consultée",
    "case.information_recorded": "Information de la famille ou dérogation enregistrée (R11)",
    "case.derogation_approved": "Dérogation à l’information approuvée",
    "case.followed": "Suivi commencé",
    "case.duplicate_merged": "Doublon possible : proposant désigné sur la situation existante, proposition effacée",
    "case.duplicate_declined": "Doublon possible : proposition non retenue",
    "case.participant_added": "Participant désigné pour la situation",
    "case.participant_removed": "Participant retiré de la situation",
    "case.action_added": "Action enregistrée",
    "case.decision_recorded": "Décision enregistrée",
    "case.closed": "Suivi clôturé",
    "case.archived": "Situation archivée",
    "case.purged": "Situation effacée (crypto-effacement)",
    "retention.run": "Passage de conservation",
    "meeting.scheduled": "Séance programmée",
    "meeting.agenda_set": "Ordre du jour fixé",
    "meeting.attendance_recorded": "Présences enregistrées",
    "meeting.minutes_written": "Compte rendu enregistré",
    "meeting.minutes_refused": "Compte rendu refusé : il nommait une personne suivie (R14)",
    "record.unreadable": "Enregistrement illisible (intégrité)",
    "keys.rotated": "Rotation de la clé de chiffrement",
    "keys.version_retired": "Ancienne version de clé retirée",
    "audit.heartbeat": "Battement du journal",
    "audit.viewed": "Journal consulté",
    "audit.exported": "Journal exporté",
    "audit.pruned": "Contenu ancien du journal effacé (empreintes conservées)",
}


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


def signing_key(keys: KeyProvider) -> Ed25519PrivateKey:
    """The Ed25519 key of checkpoints and exports, derived from the key directory."""
    return Ed25519PrivateKey.from_private_bytes(keys.purpose_key("audit-signing").secret_bytes())


class ChainRefused(Exception):
    """No checkpoint signed: the stored chain does not verify (French message, R13)."""


_CHAIN_PROBLEMS_FR = {
    "missing": "une entrée manque ou n’est pas à sa place",
    "link": "elle ne se rattache pas à l’empreinte de l’entrée précédente (ou du dernier "
            "point de contrôle signé)",
    "hash": "son contenu ne correspond plus à son empreinte",
    "head": "la tête du journal n’est pas sa dernière entrée",
    "format": "elle n’a pas la forme d’une entrée du journal (audit/FORMAT.md)",
    "stub": "son contenu a été effacé alors qu’une entrée plus ancienne garde le sien",
    "ts": "sa date précède celle de l’entrée précédente",
}


@contextmanager
def verified_chain(session: Session) -> Iterator[None]:
    """Around every signature of a checkpoint (``ccop audit checkpoint``, exports).

    Before: the head row must equal the last entry (seq and hash). During: the library
    verifies the chain from the last signed checkpoint up to the new heartbeat before it
    signs (``AuditLog.verify_since_checkpoint``). Either failure logs the seq (ids only)
    and raises ChainRefused with a French message naming R13 and what to do; the caller's
    transaction then rolls back, so neither the heartbeat nor any checkpoint is kept.
    """
    head = session.execute(SqlAuditStore._HEAD).one()  # locked: no append slips in between
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash)
                           .order_by(AuditEntry.seq.desc()).limit(1)).one_or_none()
    try:
        if (head.seq, head.hash) != ((last.seq, last.hash) if last else (0, GENESIS)):
            raise ChainBroken(head.seq, "head")
        yield
    except ChainBroken as exc:
        get_logger().error("audit_checkpoint_refused", seq=exc.seq, problem=exc.kind)
        raise ChainRefused(
            f"Point de contrôle refusé (R13) : la chaîne du journal d’audit ne se vérifie pas "
            f"à l’entrée n° {exc.seq} : {_CHAIN_PROBLEMS_FR[exc.kind]}. Rien n’a été signé. "
            "Ne modifiez pas la base : gardez-en une copie, prévenez le DPO, et faites "
            "vérifier par l’organisme de contrôle un export qui s’arrête au dernier point "
            "de contrôle signé (« ccop audit export --to AAAA-MM-JJ ») avec ses épingles."
        ) from exc
