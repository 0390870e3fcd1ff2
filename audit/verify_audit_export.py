#!/usr/bin/env python3
"""Offline verifier of ccop-cases audit exports: ONE file, stdlib + `cryptography`, Python 3.11+.

    python verify_audit_export.py --key PUBLIC_KEY_HEX [--pin SIZE:HEADHASH] BUNDLE_DIR

Exit status 0 valid, 1 tampered, 2 incomplete, 3 usage or format error. It does exactly what
the "Verifier contract" of FORMAT.md says (the numbers C1… below refer to it); the grammar and
the canonical encoding are defined here once, and the `audit` library imports them.
"""

import argparse
import binascii
import hashlib
import io
import json
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT_VERSION, GENESIS = "1", bytes(32)
CHAIN_FORMAT_VERSION, PLATFORM_CHAIN = "2", "platform"  # version 2: one chain per council
ENTRIES_FILE, CHECKPOINTS_FILE = "entries.jsonl", "checkpoints.jsonl"
MANIFEST_FILE, SIGNATURE_FILE, README_FILE = "manifest.json", "manifest.sig", "VERIFY.txt"
CHECKPOINT_TYPE, MANIFEST_TYPE = "ccop-audit-checkpoint", "ccop-audit-manifest"
MAX_REPORTED = 1000  # problems kept in a report; the rest are only counted (C16)
HEARTBEAT_TOLERANCE = timedelta(seconds=300)  # a gap counts beyond interval + this (C14)
INCOMPLETE_CODES = frozenset({"heartbeat_gap", "checkpoint_not_covered", "pin_not_covered"})
EXIT_CODES, EXIT_USAGE = {"valid": 0, "tampered": 1, "incomplete": 2}, 3

# Values are ids and codes only: no space, quote, backslash, '@' or non-ASCII, so no value
# ever needs a JSON escape and free text cannot fit (DESIGN §6: no personal data).
_CHAR = r"[A-Za-z0-9_.:\-]"
TOKEN, CODE, DETAIL_KEY = _CHAR + "{0,64}", _CHAR + "{1,64}", "[a-z][a-z0-9_]{0,63}"
TS = (r"[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
      r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{6}Z")
_HEX64, _SEQ = "[0-9a-f]{64}", "[1-9][0-9]{0,17}"
_PAIR = f'"{DETAIL_KEY}":"{TOKEN}"'
_PARTS = {
    "TOKEN": TOKEN, "CODE": CODE, "DETAILS": f"(?P<details>(?:{_PAIR}(?:,{_PAIR})*)?)",
    "OUTCOME": "(?P<outcome>success|denied|error)", "PREV": f"(?P<prev>{_HEX64})",
    "REQUEST": f'(?:null|"{CODE}")', "RULE": f'(?P<rule>null|"{CODE}")',
    "SEQ": f"(?P<seq>{_SEQ})", "TS": f"(?P<ts>{TS})", "HASH": f"(?P<hash>{_HEX64})",
    "KEYID": "(?P<key>[0-9a-f]{16})", "SIG": "(?P<sig>[0-9a-f]{128})",
    "CHAIN": f"(?P<chain>{CODE})",
}
# Each line of the bundle, byte for byte, once canonical (keys sorted, no whitespace).
ENTRY_TEMPLATE = (
    '{"action":"<CODE>","actor":{"id":"<TOKEN>","role":"<CODE>"},"details":{<DETAILS>},'
    '"outcome":"<OUTCOME>","prev":"<PREV>","request":<REQUEST>,"rule":<RULE>,"seq":"<SEQ>",'
    '"target":{"id":"<TOKEN>","type":"<CODE>"},"ts":"<TS>","v":"1"}')
ENTRY_V2_TEMPLATE = (
    '{"action":"<CODE>","actor":{"id":"<TOKEN>","role":"<CODE>"},"chain":"<CHAIN>",'
    '"details":{<DETAILS>},"outcome":"<OUTCOME>","prev":"<PREV>","request":<REQUEST>,'
    '"rule":<RULE>,"seq":"<SEQ>","target":{"id":"<TOKEN>","type":"<CODE>"},"ts":"<TS>","v":"2"}')
ENTRY_LINE_TEMPLATE = '{"entry":<ENTRY>,"hash":"<HASH>"}\n'
STUB_LINE_TEMPLATE = '{"hash":"<HASH>","stub":{"prev":"<PREV>","seq":"<SEQ>","ts":"<TS>"}}\n'
CHECKPOINT_TEMPLATE = ('{"head":"<PREV>","key":"<KEYID>","size":"<SEQ>","ts":"<TS>",'
                       f'"type":"{CHECKPOINT_TYPE}","v":"1"}}')
CHECKPOINT_V2_TEMPLATE = ('{"chain":"<CHAIN>","head":"<PREV>","key":"<KEYID>","size":"<SEQ>",'
                          f'"ts":"<TS>","type":"{CHECKPOINT_TYPE}","v":"2"}}')
CHECKPOINT_LINE_TEMPLATE = '{"checkpoint":<BODY>,"sig":"<SIG>"}\n'


def _grammar(template: str, **inner: str) -> str:
    """The regular expression of `template`: its <PARTS>, `inner` ones first, the rest as is."""
    pieces = re.split(r"<([A-Z]+)>", template)
    parts = {**_PARTS, **inner}
    return "".join(re.escape(p) if i % 2 == 0 else parts[p] for i, p in enumerate(pieces))


_ENTRY_V1 = f"(?P<entry>{_grammar(ENTRY_TEMPLATE)})"
_ENTRY_V2 = f"(?P<entry>{_grammar(ENTRY_V2_TEMPLATE)})"
_ENTRY_LINE = re.compile(_grammar(ENTRY_LINE_TEMPLATE, ENTRY=_ENTRY_V1).encode())
_ENTRY_V2_LINE = re.compile(_grammar(ENTRY_LINE_TEMPLATE, ENTRY=_ENTRY_V2).encode())
_STUB_LINE = re.compile(_grammar(STUB_LINE_TEMPLATE).encode())
_CHECKPOINT_LINE = re.compile(_grammar(
    CHECKPOINT_LINE_TEMPLATE, BODY=f"(?P<body>{_grammar(CHECKPOINT_TEMPLATE)})").encode())
_CHECKPOINT_V2_LINE = re.compile(_grammar(
    CHECKPOINT_LINE_TEMPLATE, BODY=f"(?P<body>{_grammar(CHECKPOINT_V2_TEMPLATE)})").encode())
_ZERO_HEX = GENESIS.hex().encode()


def canonical_json(value: object) -> bytes:
    """Return the one canonical encoding of `value`: RFC 8785 for the values allowed.

    Allowed: str, None and objects with ASCII keys (so code-point, UTF-16 and byte order
    agree), nested at most 8 deep. Numbers, booleans and arrays raise TypeError: numbers
    travel as decimal strings. Keys sorted, no whitespace, UTF-8 unescaped, the RFC 8785
    escapes (\\" \\\\ \\b \\f \\n \\r \\t, else \\u00xx lowercase). Lone surrogates: ValueError.
    """
    _check_json(value, 0)
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("canonical JSON: lone surrogate in a string") from exc


def _check_json(value: object, depth: int) -> None:
    if value is None or isinstance(value, str):
        return
    if not isinstance(value, dict):
        raise TypeError(f"canonical JSON allows str, None and objects, not {type(value).__name__}")
    if depth >= 8:
        raise TypeError("canonical JSON: objects nested too deep")
    for key, item in value.items():
        if not isinstance(key, str) or not key.isascii():
            raise TypeError("canonical JSON: object keys must be ASCII strings")
        if item is not None and not isinstance(item, str):  # recurse only when needed: speed
            _check_json(item, depth + 1)


def key_id(public_key: bytes) -> str:
    """First 16 hex digits of SHA-256 of the raw 32-byte Ed25519 public key."""
    return hashlib.sha256(public_key).hexdigest()[:16]



@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: the seq it names (None for a file: printed `-`), a stable code, a sentence."""

    seq: int | None
    code: str
    message: str

    def __str__(self) -> str:
        return f"seq {'-' if self.seq is None else self.seq}: {self.code}: {self.message}"


@dataclass(frozen=True, slots=True)
class Report:
    """Result of `verify_bundle`: `status` is "valid", "tampered" or "incomplete".

    `problems` in the order found, at most MAX_REPORTED (`omitted` counts the rest);
    `entries` counts lines of entries.jsonl, `stubs` the pruned ones, `checkpoints` those
    used (in order, under the pinned key whose id is `key_id`, signature valid);
    `head_size` is the manifest's size of the log when it was exported (None when the
    manifest could not be read), so `to_head` says whether the export runs to that head;
    `chain` the chain a version-2 manifest names (None: version 1, or no readable manifest).
    """

    status: str
    problems: tuple[Problem, ...]
    omitted: int
    entries: int
    stubs: int
    checkpoints: int
    first_seq: int | None
    last_seq: int | None
    key_id: str
    head_size: int | None = None
    chain: str | None = None

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def to_head(self) -> bool:
        return self.head_size is not None and self.last_seq == self.head_size

    def summary(self) -> str:
        """The last output line, grammar of FORMAT.md C17."""
        span = "no entries" if self.first_seq is None else f"seq {self.first_seq}-{self.last_seq}"
        head = ("head at export unknown" if self.head_size is None
                else f"{'to the head' if self.to_head else 'stops before the head'} at export "
                     f"(seq {self.head_size})")
        chain = "" if self.chain is None else f"chain {self.chain}, "
        text = (f"{self.status.upper()}: {self.entries} entries ({span}, {self.stubs} pruned), "
                f"{self.checkpoints} signed checkpoints, {chain}pinned key {self.key_id}, {head}")
        if not self.problems:
            return text
        first = self.problems[0]
        return (text + f"; {len(self.problems) + self.omitted} problem(s), first at seq "
                f"{'-' if first.seq is None else first.seq} ({first.code})")


def verify_bundle(directory: str | Path, public_key: bytes, *,
                  pin: tuple[int, bytes] | None = None) -> Report:
    """Verify an export bundle against a pinned raw 32-byte Ed25519 public key.

    Guarantees: pure (reads, never writes); checks the manifest signature and file hashes,
    every line's canonical form, seq, link and hash, every checkpoint's order, signature and
    consistency with the entries, heartbeat gaps, and with `pin` (size, raw head hash of an
    earlier checkpoint) that the history up to it is still the one pinned. Does not: trust
    the key written in the bundle, check pruned entries' content, tell whether entries are
    true; the key holder can sign a rewritten history, which only `pin` catches.
    Raises ValueError (usage or format error, C18) when the key is not 32 bytes, the
    directory is not a bundle, or a validly signed manifest is not a version-1 or version-2
    manifest. A version-2 bundle is one chain's export: its entries and checkpoints must name
    that chain (C21, C22), which the report names; the caller checks it is the one expected.
    """
    if len(public_key) != 32:
        raise ValueError("the pinned public key must be 32 raw bytes")
    return _Verifier(Path(directory), public_key, pin).run()


def _refuse_number(text: str) -> NoReturn:
    raise ValueError("numbers are not allowed; they travel as strings")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key in a JSON object")  # C9: never pick one of the values
    return result


def _parse_json(text: bytes) -> Any:
    """JSON as this format reads it: no number, NaN or duplicate key (C4, C9)."""
    return json.loads(text, parse_int=_refuse_number, parse_float=_refuse_number,
                      parse_constant=_refuse_number, object_pairs_hook=_unique_keys)


def _canonical_line(line: bytes) -> bytes | None:
    try:
        return canonical_json(_parse_json(line)) + b"\n"
    except (ValueError, TypeError, RecursionError):
        return None


def _details_sorted(details: bytes) -> bool:
    keys = details.split(b'"')[1::4]  # '"k":"v","k2":"v2"': values hold no quote
    return all(a < b for a, b in pairwise(keys))


_ENTRY_V1_BODY, _ENTRY_V2_BODY = re.compile(_ENTRY_V1.encode()), re.compile(_ENTRY_V2.encode())


def entry_conforms(body: bytes, seq: int, prev: bytes, ts: str, chain: str | None = None) -> bool:
    """Whether `body` is an entry as §3 and C8 require (grammar, canonical form, sorted
    details, rule set when and only when denied) whose seq, prev and ts are those given:
    what this verifier accepts of an entry before checking its hash and link. `chain`
    None: a version-1 entry; else a version-2 entry naming `chain` (whether a version-1
    entry belongs to a chain is `chain_admits`'s question)."""
    m = (_ENTRY_V1_BODY if chain is None else _ENTRY_V2_BODY).fullmatch(body)
    return (m is not None and (b"," not in m["details"] or _details_sorted(m["details"]))
            and (m["outcome"] == b"denied") is not (m["rule"] == b"null")
            and (int(m["seq"]), m["prev"], m["ts"]) == (seq, prev.hex().encode(), ts.encode())
            and (chain is None or m["chain"] == chain.encode()))


def chain_admits(bundle_chain: str | None, item_chain: str | None, *, v2_seen: bool = False) -> bool:
    """Whether an entry or checkpoint naming `item_chain` (None: version 1, no chain) belongs
    to the chain `bundle_chain` (None: a version-1 bundle, the single chain of version 1).

    C21, C22: a version-2 item must name the chain; a version-1 item belongs to a version-1
    bundle, or is the history of the platform chain — for an entry, only while no
    version-2 entry came before it (`v2_seen`).
    """
    if item_chain is None:
        return bundle_chain is None or (bundle_chain == PLATFORM_CHAIN and not v2_seen)
    return item_chain == bundle_chain


def _first_match(grammars: Sequence[re.Pattern[bytes]], line: bytes) -> re.Match[bytes] | None:
    for grammar in grammars:
        if (m := grammar.fullmatch(line)) is not None:
            return m
    return None


def _real_date(ts: bytes) -> bool:
    try:
        date.fromisoformat(ts[:10].decode("ascii"))  # the grammar lets a 31 February through
    except ValueError:
        return False
    return True


def _moment(ts: bytes) -> datetime:
    return datetime.fromisoformat(ts[:26].decode("ascii"))


def _lines(handle: io.BufferedIOBase) -> Iterator[bytes]:
    """Lines ending after each LF (kept); a last piece without LF is a line too (C8)."""
    yield from handle


class _Verifier:
    """State of one verification: manifest, checkpoints, one pass on entries, then totals."""

    def __init__(self, directory: Path, public_key: bytes, pin: tuple[int, bytes] | None) -> None:
        self.dir, self.key_id = directory, key_id(public_key)
        self.key = Ed25519PublicKey.from_public_bytes(public_key)
        self.pin = None if pin is None else (pin[0], pin[1].hex().encode())
        self.problems: list[Problem] = []
        self.omitted, self.tampered, self.incomplete, self.full_seen = 0, False, False, False
        self.previous_seq: int | None = None  # seq of the line before (None: first line)
        self.expected: int | None = None  # seq the next line should have (C6)
        self.first_seq: int | None = None
        self.last_seq: int | None = None
        self.last_hash: bytes | None = None  # hash recorded by the line before (C7)
        self.first_prev = b""
        self.last_ts: bytes | None = None  # ts of the line before, if a full entry (C14)
        self.valid_day = b""
        self.count = self.stubs = self.checkpoint_lines = 0
        self.wanted: dict[int, tuple[bytes, bytes] | None] = {}  # size -> (hash, ts) of its line
        self.signed: list[tuple[int, bytes, bytes]] = []  # (size, head, ts) of checkpoints used
        self.hashes: dict[str, str] = {}
        self.limit = timedelta(0)
        self.head_size: int | None = None
        self.chain: str | None = None  # the chain a version-2 manifest names (C21)
        self.v2_seen = False  # a version-2 entry was read: no version-1 history after it

    def add(self, seq: int | None, code: str, message: str) -> None:
        if code in INCOMPLETE_CODES:
            self.incomplete = True
        else:
            self.tampered = True
        if len(self.problems) < MAX_REPORTED:
            self.problems.append(Problem(seq, code, message))
        else:
            self.omitted += 1

    def run(self) -> Report:
        manifest = self._manifest()
        if manifest is not None:
            self.head_size = int(manifest["head_size"])
            self.chain = manifest["chain"] if manifest["v"] == CHAIN_FORMAT_VERSION else None
            self.limit = timedelta(seconds=int(manifest["heartbeat_interval"])) + HEARTBEAT_TOLERANCE
            self._checkpoints()
            if self.pin is not None:
                self.wanted[self.pin[0]] = None
            self._entries()
            self._files(manifest["files"])
            self._counts(manifest)
            self._coverage()
        status = "tampered" if self.tampered else "incomplete" if self.incomplete else "valid"
        return Report(status, tuple(self.problems), self.omitted, self.count, self.stubs,
                      len(self.signed), self.first_seq, self.last_seq, self.key_id, self.head_size,
                      self.chain)

    # --- step 1: the manifest (C2, C5, C18) -----------------------------------------------

    def _manifest(self) -> dict[str, Any] | None:
        if not self.dir.is_dir():
            raise ValueError(f"not a bundle directory: {self.dir}")
        try:
            raw = (self.dir / MANIFEST_FILE).read_bytes()
        except OSError as exc:
            raise ValueError(f"not a readable bundle: {exc}") from exc
        signature_file = self.dir / SIGNATURE_FILE  # absent: reported as a bad signature
        signature = signature_file.read_bytes() if signature_file.is_file() else b""
        try:
            manifest, error = _parse_manifest(raw), None
        except ValueError as exc:
            manifest, error = None, exc
        if manifest is not None and manifest["key_id"] != self.key_id:
            self.add(None, "unknown_key", f"bundle signed with key {manifest['key_id']}, "
                                          f"not the pinned key {self.key_id}")
        elif not self._verifies_file_signature(signature, raw):
            self.add(None, "manifest_signature_invalid",
                     "manifest.sig does not verify manifest.json under the pinned key")
        elif error is not None:  # validly signed yet unusable: another writer or version
            raise ValueError(f"manifest.json: {error}")
        return manifest

    def _verifies_file_signature(self, signature: bytes, data: bytes) -> bool:
        if re.fullmatch(rb"[0-9a-f]{128}\n", signature) is None:
            return False
        return self._verifies(signature[:128], data)

    def _verifies(self, signature_hex: bytes, data: bytes) -> bool:
        try:
            self.key.verify(bytes.fromhex(signature_hex.decode("ascii")), data)
        except (ValueError, InvalidSignature):
            return False
        return True

    # --- step 2: checkpoints.jsonl (C10, C11) ---------------------------------------------

    def _checkpoints(self) -> None:
        try:
            data = (self.dir / CHECKPOINTS_FILE).read_bytes()
        except OSError:
            return  # reported by the file step
        self.hashes[CHECKPOINTS_FILE] = hashlib.sha256(data).hexdigest()
        previous: int | None = None
        grammars = (_CHECKPOINT_LINE,) if self.chain is None else (_CHECKPOINT_V2_LINE,
                                                                   _CHECKPOINT_LINE)
        for number, line in enumerate(_lines(io.BytesIO(data)), 1):
            self.checkpoint_lines += 1
            m = _first_match(grammars, line)
            if m is None or not _real_date(m["ts"]):
                self.add(None, "checkpoint_malformed", f"checkpoint line {number} is malformed")
                continue
            size = int(m["seq"])
            if previous is not None and size <= previous:
                self.add(size, "checkpoint_out_of_order", f"checkpoint line {number} has size "
                                                          f"{size}, not above the line before's "
                                                          f"{previous}")
                continue
            previous = size
            chain = m["chain"].decode() if m.re is _CHECKPOINT_V2_LINE else None
            if not chain_admits(self.chain, chain):
                what = f"of the chain {chain}" if chain else "of version 1 (no chain)"
                self.add(size, "checkpoint_foreign", f"a checkpoint {what} in an export of the "
                                                     f"chain {self.chain}")
            elif m["key"].decode() != self.key_id:
                self.add(size, "checkpoint_unknown_key",
                         f"checkpoint signed with key {m['key'].decode()}, not the pinned key")
            elif not self._verifies(m["sig"], m["body"]):
                self.add(size, "checkpoint_signature_invalid",
                         "checkpoint signature does not verify")
            else:
                self.wanted[size] = None
                self.signed.append((size, m["prev"], m["ts"]))

    # --- step 3: entries.jsonl, one streaming pass (C6-C9, C12-C14) -----------------------

    def _entries(self) -> None:
        """One streaming pass over entries.jsonl: the file hash and every line (hot loop).

        Speed comes from matching each line against the byte grammar (one regex) instead of
        parsing and re-encoding it; only a line that does not match is parsed, to tell a
        non-canonical line from a malformed one. See bench/audit_bench.py.
        """
        try:
            handle = (self.dir / ENTRIES_FILE).open("rb")
        except OSError:
            return  # reported by the file step
        digest, take_line = hashlib.sha256(), self._line
        match = _ENTRY_LINE.fullmatch if self.chain is None else self._entry_match
        with handle:
            for number, line in enumerate(_lines(handle), 1):
                digest.update(line)
                take_line(number, line, match(line))
        self.hashes[ENTRIES_FILE] = digest.hexdigest()

    def _entry_match(self, line: bytes) -> re.Match[bytes] | None:
        """The entry grammar `line` matches: version 2 then 1 in a version-2 bundle (C21)."""
        if self.chain is None:
            return _ENTRY_LINE.fullmatch(line)
        return _ENTRY_V2_LINE.fullmatch(line) or _ENTRY_LINE.fullmatch(line)

    def _line(self, number: int, line: bytes, m: re.Match[bytes] | None) -> None:
        self.count += 1
        if m is not None and (b"," not in m["details"] or _details_sorted(m["details"])):
            self._take_entry(m)
            return
        if (stub := _STUB_LINE.fullmatch(line)) is not None:
            self._take_stub(stub)
            return
        canonical = _canonical_line(line)  # C8, C9: parse, then re-encode
        if canonical is not None and canonical != line:
            entry, stub = self._entry_match(canonical), _STUB_LINE.fullmatch(canonical)
            if (found := entry or stub) is not None:
                self.add(int(found["seq"]), "non_canonical", f"line {number} is not in canonical form")
                if entry is not None:
                    self._take_entry(entry)
                else:
                    self._take_stub(found)
                return
        seq = None if self.previous_seq is None else self.previous_seq + 1
        self.add(seq, "malformed_line", f"line {number} is not an entry or a stub")
        self.previous_seq, self.last_hash, self.last_ts = seq, None, None
        if self.expected is not None:
            self.expected += 1

    def _take_entry(self, m: re.Match[bytes]) -> None:
        entry, outcome, prev, rule, seq_text, ts, claimed = m.group(
            "entry", "outcome", "prev", "rule", "seq", "ts", "hash")
        seq = int(seq_text)
        if binascii.hexlify(hashlib.sha256(binascii.unhexlify(prev) + entry).digest()) != claimed:
            self.add(seq, "hash_mismatch", "entry content does not match its hash")
        if (outcome == b"denied") is (rule == b"null"):
            self.add(seq, "malformed_line", "rule must be set when, and only when, denied")
        dated = ts[:10] == self.valid_day or self._dated(seq, ts)  # one check a day
        if self.chain is not None:
            self._entry_chain(seq, m["chain"].decode() if m.re is _ENTRY_V2_LINE else None)
        self._link(seq, prev, claimed, ts)
        self.full_seen = True
        last, self.last_ts = self.last_ts, ts if dated else None
        if last is None or not dated:
            return
        if ts < last:
            self.add(seq, "ts_backwards", f"ts {ts.decode()} is before the previous entry's")
        elif ts[:16] != last[:16] and (gap := _moment(ts) - _moment(last)) > self.limit:
            self.add(seq, "heartbeat_gap", f"no entry for {gap} before this one (declared "
                                           f"heartbeat interval {self.limit - HEARTBEAT_TOLERANCE}"
                                           f" + tolerance {HEARTBEAT_TOLERANCE})")

    def _entry_chain(self, seq: int, chain: str | None) -> None:
        """C21: the entry names the bundle's chain, or is the platform chain's v1 history."""
        if not chain_admits(self.chain, chain, v2_seen=self.v2_seen):
            what = f"of the chain {chain}" if chain else "of version 1 (no chain)"
            self.add(seq, "foreign_entry", f"an entry {what} in an export of the chain "
                                           f"{self.chain}")
        self.v2_seen = self.v2_seen or chain is not None

    def _take_stub(self, m: re.Match[bytes]) -> None:
        seq = int(m["seq"])
        self.stubs += 1
        if m["ts"][:10] != self.valid_day:
            self._dated(seq, m["ts"])
        self._link(seq, m["prev"], m["hash"], m["ts"])
        if self.full_seen:
            self.add(seq, "misplaced_stub", "pruned stub after a full entry (only the oldest "
                                            "entries may be pruned)")
        self.last_ts = None  # a stub's ts is not authenticated: no time check across it

    def _dated(self, seq: int, ts: bytes) -> bool:
        if not _real_date(ts):
            self.add(seq, "malformed_line", f"ts {ts.decode()} is not a date")
            return False
        self.valid_day = ts[:10]
        return True

    def _link(self, seq: int, prev: bytes, claimed: bytes, ts: bytes) -> None:
        expected = self.expected
        if expected is None and self.previous_seq is None:  # the first line of the file
            self.first_seq, self.first_prev = seq, prev
            if seq == 1 and prev != _ZERO_HEX:
                self.add(seq, "chain_break", "seq 1 must have the genesis prev (64 zeros)")
        else:
            if expected is not None and seq != expected:
                code = "seq_gap" if seq > expected else "seq_reordered"
                self.add(seq, code, f"seq {seq} where seq {expected} was expected")
            if self.last_hash is not None and prev != self.last_hash:
                self.add(seq, "chain_break", "prev is not the hash of the line before")
            if self.first_seq is None:  # only malformed lines came before
                self.first_seq, self.first_prev = seq, prev
        self.expected = seq + 1 if expected is None or seq >= expected else expected
        self.previous_seq, self.last_hash, self.last_seq = seq, claimed, seq
        if seq in self.wanted and self.wanted[seq] is None:
            self.wanted[seq] = (claimed, ts)

    # --- steps 4-6: files, totals, coverage (C15) -----------------------------------------

    def _files(self, declared: dict[str, str]) -> None:
        for name, digest in sorted(declared.items()):
            actual = self.hashes.get(name)
            if actual is None and (self.dir / name).is_file():
                with (self.dir / name).open("rb") as handle:
                    actual = hashlib.file_digest(handle, "sha256").hexdigest()
            if actual is None:
                self.add(None, "file_missing", f"{name} is listed in the manifest but absent")
            elif actual != digest:
                self.add(None, "file_hash_mismatch", f"{name} does not match its manifest hash")

    def _counts(self, manifest: dict[str, Any]) -> None:
        declared_last = int(manifest["last_seq"])
        if (self.last_seq or 0) < declared_last:
            self.add(declared_last, "truncated", f"entries end at seq {self.last_seq or '-'}, "
                                                 f"the manifest declares {declared_last}")
        found = {"first_seq": self.first_seq,
                 "last_seq": self.last_seq if (self.last_seq or 0) > declared_last else None,
                 "entries": self.count, "stubs": self.stubs, "checkpoints": self.checkpoint_lines}
        for name, value in found.items():
            if value is not None and value != int(manifest[name]):
                self.add(None, "manifest_mismatch",
                         f"{name} is {value}, the manifest declares {manifest[name]}")

    def _coverage(self) -> None:
        first, last = self.first_seq, self.last_seq or 0
        for size, head, ts in self.signed:
            if first is None or size > last:
                self.add(size, "truncated", f"checkpoint at size {size} is beyond the entries "
                                            "present")
            elif size < first - 1:
                self.add(size, "checkpoint_not_covered", f"checkpoint at size {size} is before "
                                                         f"the export (from seq {first})")
            elif (found := self._at(size)) is None or found[0] != head:
                self.add(size, "checkpoint_mismatch", f"hash at size {size} differs from the "
                                                      "checkpoint's head")
            elif found[1] and found[1] != ts:
                self.add(size, "checkpoint_mismatch", f"ts of entry {size} differs from the "
                                                      "checkpoint's ts")
        if self.pin is None:
            return
        pinned, pinned_head = self.pin
        if first is None or pinned > last:
            if self.head_size is not None and pinned > self.head_size:
                self.add(pinned, "truncated_before_pin", f"the log had {self.head_size} entries "
                                                         "when exported, fewer than the pinned "
                                                         f"size {pinned}: cut short and re-signed")
            else:
                self.add(pinned, "pin_not_covered", f"pin at size {pinned} is beyond this "
                                                    f"export, which stops at seq {last} before "
                                                    f"the head (seq {self.head_size})")
        elif pinned < first - 1:
            self.add(pinned, "pin_not_covered", f"pin at size {pinned} is before the export "
                                                f"(from seq {first})")
        elif (found := self._at(pinned)) is None or found[0] != pinned_head:
            self.add(pinned, "pin_mismatch", f"hash at size {pinned} differs from the pinned head")

    def _at(self, size: int) -> tuple[bytes, bytes] | None:
        """(hash, ts) of the line at seq `size`; the first line's prev (no ts) for first - 1."""
        if self.first_seq is not None and size == self.first_seq - 1:
            return self.first_prev, b""
        return self.wanted.get(size)


_COUNT = "0|" + _SEQ
_MANIFEST_FIELDS = {
    "type": re.escape(MANIFEST_TYPE), "key_id": "[0-9a-f]{16}",
    "public_key": _HEX64, "created": TS, "period_from": TS, "period_to": TS,
    "first_seq": _SEQ, "last_seq": _SEQ, "head_size": _SEQ, "heartbeat_interval": _SEQ,
    "entries": _COUNT, "stubs": _COUNT, "checkpoints": _COUNT,
}
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}")  # no path: never leave the dir


def _parse_manifest(raw: bytes) -> dict[str, Any]:
    """The manifest's fields, or ValueError: canonical JSON, §7 grammar, v "1", or v "2" with
    a chain (C4, C5, C18)."""
    try:
        manifest = _parse_json(raw)
        canonical = canonical_json(manifest)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ValueError(f"not canonical JSON of strings and objects ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("v") not in (FORMAT_VERSION,
                                                                   CHAIN_FORMAT_VERSION):
        raise ValueError('not a JSON object of format version "1" or "2"')
    if canonical != raw:
        raise ValueError("not in canonical form")
    fields = _MANIFEST_FIELDS if manifest["v"] == FORMAT_VERSION else {**_MANIFEST_FIELDS,
                                                                       "chain": CODE}
    for name, pattern in fields.items():
        value = manifest.get(name)
        if not isinstance(value, str) or re.fullmatch(pattern, value) is None:
            raise ValueError(f"field {name!r} missing or malformed")
    if not int(manifest["first_seq"]) <= int(manifest["last_seq"]) <= int(manifest["head_size"]):
        raise ValueError("first_seq <= last_seq <= head_size does not hold")
    files = manifest.get("files")
    if not isinstance(files, dict) or not {ENTRIES_FILE, CHECKPOINTS_FILE} <= files.keys() \
            or not all(_FILE_NAME.fullmatch(name) and isinstance(digest, str)
                       and re.fullmatch(_HEX64, digest) for name, digest in files.items()):
        raise ValueError("'files' must map entries.jsonl, checkpoints.jsonl… to SHA-256 hex")
    return manifest


class _Once(argparse.Action):
    """An option given at most once (C3): a second value is an error, not the winner."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        if getattr(namespace, self.dest) is not None:
            parser.error(f"{option_string} given more than once")
        setattr(namespace, self.dest, values)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="verify_audit_export.py", description="Verify a ccop-cases audit export offline.",
        epilog="exit status: 0 valid, 1 tampered, 2 incomplete, 3 usage or format error",
        allow_abbrev=False)
    parser.add_argument("--key", required=True, metavar="PUBLIC_KEY_HEX", action=_Once,
                        help="pinned Ed25519 public key: the raw 32 bytes in 64 hex digits")
    parser.add_argument("--pin", metavar="SIZE:HEADHASH", action=_Once,
                        help="a checkpoint verified earlier: its size and head hash (64 hex)")
    parser.add_argument("bundle", help="the export directory (unpack an archive first)")
    return parser


def read_public_key(text: str) -> bytes:
    """The raw 32-byte key from exactly 64 hex digits (C1); anything else: ValueError."""
    if re.fullmatch("[0-9a-fA-F]{64}", text) is None:
        raise ValueError("--key: expected the public key as exactly 64 hexadecimal digits "
                         "(as `ccop audit public-key` prints it)")
    return bytes.fromhex(text)


def _parse_pin(text: str | None) -> tuple[int, bytes] | None:
    if text is None:
        return None
    m = re.fullmatch(r"(0|[1-9][0-9]{0,17}):([0-9a-fA-F]{64})", text)
    if m is None:
        raise ValueError("--pin: expected SIZE:HEADHASH, e.g. 42:<64 hex digits>")
    return int(m[1]), bytes.fromhex(m[2])


def main(argv: Sequence[str] | None = None) -> int:
    """Run the verifier as the command line does and return the exit status (C3, C16-C18)."""
    try:
        args = _parser().parse_args(argv)
        report = verify_bundle(args.bundle, read_public_key(args.key), pin=_parse_pin(args.pin))
    except SystemExit as exc:  # argparse: 0 after --help, else it printed a usage error
        return 0 if exc.code in (None, 0) else EXIT_USAGE
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    for problem in report.problems:
        print(problem)
    if report.omitted:
        print(f"... and {report.omitted} more problems not shown")
    print(report.summary())
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
