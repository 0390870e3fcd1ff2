"""Tamper-evident audit trail: a hash chain of id-only events, signed checkpoints, exports.

No Flask, no SQLAlchemy, no import of the application or of `crypto`. The format is
specified in FORMAT.md and checked by the standalone `verify_audit_export.py`, whose
`verify_bundle` is re-exported here (one copy of the verification logic).
"""

from audit.bundle import write_bundle
from audit.events import Checkpoint, Event, Record
from audit.log import AuditLog, AuditStore, MemoryStore
from audit.verify_audit_export import verify_bundle

__all__ = [
    "AuditLog",
    "AuditStore",
    "Checkpoint",
    "Event",
    "MemoryStore",
    "Record",
    "verify_bundle",
    "write_bundle",
]
