"""Signing: the audit signing key, and the chain check around every checkpoint signature (R13)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from audit.log import ChainBroken
from audit.verify_audit_export import GENESIS
from ccop_cases.auditing.chains import name_of
from ccop_cases.auditing.models import AuditEntry
from ccop_cases.auditing.store import SqlAuditStore
from ccop_cases.encryption import KeyProvider
from ccop_cases.logs import get_logger


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
def verified_chain(session: Session, chain: uuid.UUID) -> Iterator[None]:
    """Around every signature of a checkpoint (``ccop audit checkpoint``, exports).

    Before: the chain's head row must equal its last entry (seq and hash). During: the library
    verifies the chain from the last signed checkpoint up to the new heartbeat before it
    signs (``AuditLog.verify_since_checkpoint``). Either failure logs the seq (ids only)
    and raises ChainRefused with a French message naming R13 and what to do; the caller's
    transaction then rolls back, so neither the heartbeat nor any checkpoint is kept.
    """
    # Locked: no append slips in between. A chain with no head yet gets it at the genesis.
    head = session.execute(SqlAuditStore._HEAD, {"chain": chain}).one_or_none()
    last = session.execute(select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.chain == chain)
                           .order_by(AuditEntry.seq.desc()).limit(1)).one_or_none()
    try:
        if ((head.seq, head.hash) if head else (0, GENESIS)) != ((last.seq, last.hash) if last else (0, GENESIS)):
            raise ChainBroken(head.seq if head else 0, "head")
        yield
    except ChainBroken as exc:
        get_logger().error("audit_checkpoint_refused", chain=str(chain), seq=exc.seq, problem=exc.kind)
        raise ChainRefused(
            f"Point de contrôle refusé (R13) : la chaîne « {name_of(chain)} » du journal d’audit ne se vérifie pas "
            f"à l’entrée n° {exc.seq} : {_CHAIN_PROBLEMS_FR[exc.kind]}. Rien n’a été signé sur cette chaîne. "
            "Ne modifiez pas la base : gardez-en une copie, prévenez le DPO, et faites "
            "vérifier par l’organisme de contrôle un export qui s’arrête au dernier point "
            "de contrôle signé (« ccop audit export --chain CHAÎNE --to AAAA-MM-JJ ») avec ses épingles."
        ) from exc
