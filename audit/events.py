"""Audit events, chain records, checkpoints and their canonical byte encodings."""

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.verify_audit_export import (
    CHAIN_FORMAT_VERSION,
    CHECKPOINT_TYPE,
    CODE,
    DETAIL_KEY,
    FORMAT_VERSION,
    GENESIS,
    TOKEN,
    canonical_json,
    key_id,
)

OUTCOMES = frozenset({"success", "denied", "error"})
MAX_DETAILS = 16
_TOKEN, _CODE, _DETAIL_KEY = re.compile(TOKEN), re.compile(CODE), re.compile(DETAIL_KEY)


def _require(pattern: re.Pattern[str], name: str, value: object) -> None:
    # The message names the field, never the value: a refused value may be personal data
    # and error messages end up in logs.
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise ValueError(f"audit event {name}: not an id or code "
                         "(letters, digits, _ . : - only, at most 64 characters)")


@dataclass(frozen=True, kw_only=True, slots=True)
class Event:
    """What happened, done by whom, to what: ids and codes only (DESIGN §6).

    Guarantees: every field is an id or a code — ASCII letters, digits and `_ . : -`, at
    most 64 characters (`details`: at most 16 pairs, keys in snake_case) — so free text,
    names with a space or an accent, e-mail addresses, search terms, keys and base64
    ciphertexts are refused with ValueError at construction; `rule` is set exactly when
    `outcome` is "denied". Does not guarantee that an id is not personal data: a bare
    surname fits the grammar; callers pass row ids, references and codes only.

    `actor_role` is the member's role, "system" for a job (then `actor_id` is the job
    name) or "anonymous" before authentication (then `actor_id` is "").
    """

    action: str
    actor_id: str
    actor_role: str
    target_type: str
    target_id: str = ""
    outcome: str = "success"
    rule: str | None = None
    request: str | None = None
    details: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, pattern in (("action", _CODE), ("actor_id", _TOKEN), ("actor_role", _CODE),
                              ("target_type", _CODE), ("target_id", _TOKEN)):
            _require(pattern, name, getattr(self, name))
        if self.outcome not in OUTCOMES:
            raise ValueError(f"audit event outcome: one of {sorted(OUTCOMES)}")
        if (self.outcome == "denied") != (self.rule is not None):
            raise ValueError("audit event rule: required when, and only when, denied")
        for name in ("rule", "request"):
            if getattr(self, name) is not None:
                _require(_CODE, name, getattr(self, name))
        self._check_details()

    def _check_details(self) -> None:
        if not isinstance(self.details, Mapping) or len(self.details) > MAX_DETAILS:
            raise ValueError(f"audit event details: a mapping of at most {MAX_DETAILS} pairs")
        for key, value in self.details.items():
            _require(_DETAIL_KEY, "details key", key)
            _require(_TOKEN, "details value", value)
        object.__setattr__(self, "details", MappingProxyType(dict(sorted(self.details.items()))))


@dataclass(frozen=True, slots=True)
class Record:
    """One link of the chain as a store keeps it.

    `body` is the canonical entry (UTF-8 JSON) and `hash` = SHA-256(`prev` || `body`), both
    raw 32 bytes; `ts` repeats the entry's ts so stores can index and prune by time. Once
    pruned, `body` is None: the record is a stub whose linkage still verifies. Does not
    guarantee by itself that `hash` matches `body`: the verifier checks that.
    """

    seq: int
    ts: str
    prev: bytes
    hash: bytes
    body: bytes | None

    @property
    def is_stub(self) -> bool:
        return self.body is None


def format_ts(moment: datetime) -> str:
    """Entry time: UTC, microseconds, 'Z' (2026-11-26T10:15:00.123456Z); naive refused."""
    if moment.tzinfo is None:
        raise ValueError("audit timestamps need an aware datetime")
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def encode_entry(event: Event, *, seq: int, ts: str, prev: bytes, chain: str | None = None) -> bytes:
    """The canonical bytes of `event` as the entry at `seq` (numbers as strings): a
    version-2 entry of `chain` (FORMAT.md §3), or without it a version-1 entry.

    Raises ValueError when `prev` is not a raw 32-byte SHA-256 value — an entry must link
    to a hash, never to a shorter or longer value that a bent head could hold —, or when
    `chain` is not a code (FORMAT.md §2).
    """
    if not isinstance(prev, bytes) or len(prev) != len(GENESIS):
        raise ValueError(f"audit record prev: the previous hash must be exactly {len(GENESIS)} "
                         f"bytes, not {len(prev) if isinstance(prev, bytes) else type(prev).__name__}")
    return canonical_json(_entry(event, seq=str(seq), ts=ts, prev=prev.hex(), chain=chain))


# Stand-ins for entry_parts: '<' and '>' are in no id or code (§2), so each occurs once.
_SLOTS = {"prev": "<PREV>", "seq": "<SEQ>", "ts": "<TS>"}


def entry_parts(event: Event, *, chain: str) -> tuple[bytes, bytes, bytes, bytes]:
    """The version-2 entry of `event` in `chain`, split around its prev, seq and ts.

    Guarantees: `a + prev.hex().encode() + b + str(seq).encode() + c + ts.encode() + d` is
    `encode_entry(event, seq=seq, ts=ts, prev=prev, chain=chain)` (canonical order puts
    prev, then seq, then ts), so a database can assemble the entry under its head lock
    while this library stays its one definition. Does not check the values put in between:
    the caller puts a 32-byte hash in hex, a seq and a ts of FORMAT.md §2.
    """
    body = canonical_json(_entry(event, chain=chain, **_SLOTS))
    a, rest = body.split(_SLOTS["prev"].encode())
    b, rest = rest.split(_SLOTS["seq"].encode())
    c, d = rest.split(_SLOTS["ts"].encode())
    return a, b, c, d


def _entry(event: Event, *, seq: str, ts: str, prev: str, chain: str | None) -> dict[str, object]:
    return {
        "seq": seq, "ts": ts, "prev": prev,
        "actor": {"id": event.actor_id, "role": event.actor_role},
        "action": event.action, "target": {"type": event.target_type, "id": event.target_id},
        "outcome": event.outcome, "rule": event.rule, "request": event.request,
        "details": dict(event.details), **version_fields(chain),
    }


def version_fields(chain: str | None) -> dict[str, str]:
    """What an entry, a checkpoint or a manifest says of its version: `{"v": "1"}`, or
    `{"v": "2", "chain": chain}` (FORMAT.md §3, §6, §7); a chain that is not a code
    (§2): ValueError."""
    if chain is None:
        return {"v": FORMAT_VERSION}
    _require(_CODE, "chain", chain)
    return {"v": CHAIN_FORMAT_VERSION, "chain": chain}


def chain_hash(prev: bytes, body: bytes) -> bytes:
    """SHA-256(prev || body): the previous raw 32-byte hash, then the canonical entry."""
    return hashlib.sha256(prev + body).digest()


def make_record(event: Event, *, seq: int, ts: str, prev: bytes, chain: str | None = None) -> Record:
    """Encode `event` at `seq` after `prev` (in `chain`: version 2) and hash it."""
    body = encode_entry(event, seq=seq, ts=ts, prev=prev, chain=chain)
    return Record(seq, ts, prev, chain_hash(prev, body), body)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement: the log had `size` entries and its last hash was `head` at `ts`.

    Guarantees: `signature` is Ed25519, by the key whose id is `key_id`, over
    `signed_bytes()`, which name `chain` (version 2) or no chain (None: version 1). Does not
    prove the entries are true, nor stop the key holder from signing a rewritten history:
    an overseer who pinned an earlier checkpoint catches that.
    """

    size: int
    head: bytes
    ts: str
    key_id: str
    signature: bytes
    chain: str | None = None

    @classmethod
    def sign(cls, key: Ed25519PrivateKey, *, size: int, head: bytes, ts: str,
             chain: str | None = None) -> "Checkpoint":
        kid = key_id(key.public_key().public_bytes_raw())
        return cls(size, head, ts, kid, key.sign(checkpoint_bytes(size, head, ts, kid, chain)),
                   chain)

    def signed_bytes(self) -> bytes:
        return checkpoint_bytes(self.size, self.head, self.ts, self.key_id, self.chain)

    def verifies(self, public_key: bytes) -> bool:
        """True when signed by `public_key` (raw 32 bytes) over these fields."""
        if key_id(public_key) != self.key_id:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(public_key).verify(self.signature,
                                                                  self.signed_bytes())
        except InvalidSignature:
            return False
        return True


def checkpoint_bytes(size: int, head: bytes, ts: str, key: str, chain: str | None = None) -> bytes:
    """The bytes a checkpoint signature covers: canonical JSON, no newline; naming `chain`
    (version 2) when given, else version 1 (FORMAT.md §6). A chain that is not a code:
    ValueError."""
    return canonical_json({"head": head.hex(), "key": key, "size": str(size), "ts": ts,
                           "type": CHECKPOINT_TYPE, **version_fields(chain)})
