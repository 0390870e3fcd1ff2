"""The app's one bridge to ``audit/``: the trail's tables and SQL store, the catalogue of
action codes, the auditor that services call to append events in the caller's transaction,
and the signing of checkpoints. No other module of the app imports ``audit``.

Each council's events go to a chain of its own, the rest to the platform's (``chains``).
Entries carry ids, codes and enumerations only — never a name, a birth date, free text, a
search term, a key, a code or a session id (DESIGN §6). The library refuses anything that
is not shaped like an id; the catalogue refuses actions nobody declared.
"""

import audit.verify_audit_export
from audit import AuditLog, Checkpoint, write_bundle
from audit.events import format_ts
from audit.verify_audit_export import main as verify_export
from ccop_cases.auditing.catalogue import ACTIONS, READ_ACTIONS
from ccop_cases.auditing.chain import ChainRefused, signing_key, verified_chain
from ccop_cases.auditing.chains import PLATFORM, chain_of, key_of, name_of
from ccop_cases.auditing.store import Auditor, ReadAuditor, SqlAuditStore, auditor

# The standalone verifier, shipped with every export (it needs only Python and cryptography).
VERIFIER = audit.verify_audit_export.__file__

__all__ = [
           "ACTIONS",
           "PLATFORM",
           "READ_ACTIONS",
           "VERIFIER",
           "AuditLog",
           "Auditor",
           "ChainRefused",
           "Checkpoint",
           "ReadAuditor",
           "SqlAuditStore",
           "auditor",
           "chain_of",
           "format_ts",
           "key_of",
           "name_of",
           "signing_key",
           "verified_chain",
           "verify_export",
           "write_bundle",
]
