"""Regenerate the verifier's test vectors: `python -m audit.testdata.generate [--out DIR]`.

Deterministic: fixed keys (FORMAT.md's example key and a second "other" key), fixed times,
Ed25519 signatures (deterministic by RFC 8032). Each vector is a bundle directory under
`vectors/` plus an entry of `vectors.json`: the verifier's arguments (paths relative to this
directory), its exit code and its exact output lines. Each vector also declares here, by
hand, the (seq, code) pairs the contract of FORMAT.md §9 requires; the generator runs the
verifier and refuses to write anything when its findings differ, so the output lines are
never merely "whatever the verifier printed".
"""

import argparse
import contextlib
import hashlib
import io
import json
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.bundle import checkpoint_line, stub_line, write_bundle
from audit.events import Checkpoint, Event, Record, chain_hash
from audit.log import AuditLog, MemoryStore
from audit.verify_audit_export import GENESIS, canonical_json, key_id, main

HERE = Path(__file__).resolve().parent
KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # FORMAT.md's example key
OTHER = Ed25519PrivateKey.from_private_bytes(bytes(range(32, 64)))
KEY_HEX = KEY.public_key().public_bytes_raw().hex()
START = datetime(2026, 11, 26, 10, 15, tzinfo=UTC)
CREATED = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
INTERVAL = timedelta(hours=1)
TOLERANCE = timedelta(seconds=300)
COUNCIL = "4b1e7c52-0d3a-4f8e-9a61-2c7d5e8f9a10"  # a council's chain: its id
OTHER_COUNCIL = "9c3f0a7e-5b21-4d6c-8e4f-1a2b3c4d5e6f"
PLATFORM = "platform"

Expected = list[tuple[int | None, str]]


@dataclass
class Vector:
    """One verifier run: `bundle` under vectors/, its arguments, what the contract requires."""

    name: str
    contract: str
    exit: int
    expect: Expected = field(default_factory=list)
    bundle: str = ""  # default: the vector's own name
    pin: str | None = None
    key: str = KEY_HEX

    def args(self) -> list[str]:
        pin = [] if self.pin is None else ["--pin", self.pin]
        return ["--key", self.key, *pin, f"vectors/{self.bundle or self.name}"]


# --- the history every bundle starts from ------------------------------------------------

def _event(number: int) -> Event:
    """Seq n's event: case reads (seq 2 a denial; seq 1 with two details), ids only."""
    details = {"case_ref": f"S-2026-{number:04d}"}
    if number == 1:
        details["group"] = "g-12"
    if number == 2:
        return Event(action="case.read", actor_id="5d2a", actor_role="member", target_type="case",
                     target_id="0b8e5a1c", outcome="denied", rule="R3", request="r-2",
                     details=details)
    return Event(action="case.read", actor_id=f"person-{number % 3}", actor_role="coordonnateur",
                 target_type="case", target_id=f"case-{number}", request=f"r-{number}",
                 details=details)


def history(*, gap_before: int = 0, gap: timedelta = timedelta(0),
            checkpoints: Sequence[int] = (5, 9), chain: str | None = None,
            chain_from: int = 1) -> tuple[list[Record], list[Checkpoint]]:
    """Seq 1-9 one minute apart, a heartbeat and checkpoint at each of `checkpoints`;
    the entry at `gap_before` comes `gap` after the one before instead of a minute.
    From seq `chain_from` on, the log of `chain` writes (version 2): before, version 1."""
    moment, store = [START], MemoryStore()
    version_1 = AuditLog(store, clock=lambda: moment[0])
    chained = AuditLog(store, clock=lambda: moment[0], chain=chain)
    for seq in range(1, 10):
        moment[0] += gap if seq == gap_before else timedelta(minutes=1)
        log = chained if seq >= chain_from else version_1
        if seq in checkpoints:
            log.checkpoint(KEY)
        else:
            log.append(_event(seq))
    return list(store.records()), list(store.checkpoints())


def rechain(records: list[Record], edit: Callable[[int, dict[str, Any]], None] = lambda s, e: None,
            prev_of: dict[int, bytes] | None = None) -> list[Record]:
    """The key holder's rewrite: edit entries, recompute every prev and hash from seq 1."""
    entries = [json.loads(record.body or b"{}") for record in records]
    for record, entry in zip(records, entries, strict=True):
        edit(record.seq, entry)
    return relink(entries, prev_of)


def relink(entries: list[dict[str, Any]], prev_of: dict[int, bytes] | None = None) -> list[Record]:
    """Number `entries` from seq 1, link each to the one before (or to prev_of[seq]), hash."""
    prev, out = GENESIS, []
    for seq, entry in enumerate(entries, 1):
        link = (prev_of or {}).get(seq, prev)
        entry.update(seq=str(seq), prev=link.hex())
        body = canonical_json(entry)
        out.append(Record(seq, entry["ts"], link, chain_hash(link, body), body))
        prev = out[-1].hash
    return out


def sign(records: list[Record], sizes: Sequence[int], key: Ed25519PrivateKey = KEY,
         chain: str | None = None) -> list[Checkpoint]:
    by_seq = {r.seq: r for r in records}
    return [Checkpoint.sign(key, size=s, head=by_seq[s].hash, ts=by_seq[s].ts, chain=chain)
            for s in sizes]


def export(path: Path, records: list[Record], checkpoints: list[Checkpoint], *,
           key: Ed25519PrivateKey = KEY, head_size: int | None = None,
           chain: str | None = None) -> Path:
    write_bundle(path, records, checkpoints, key, heartbeat_interval=INTERVAL, created=CREATED,
                 head_size=head_size, chain=chain)
    return path


def entries_of(records: list[Record]) -> list[dict[str, Any]]:
    return [json.loads(record.body or b"{}") for record in records]


# --- edits of a written bundle -----------------------------------------------------------

def lines(path: Path, name: str = "entries.jsonl") -> list[bytes]:
    return (path / name).read_bytes().splitlines(keepends=True)


def write_lines(path: Path, new: list[bytes], name: str = "entries.jsonl") -> None:
    (path / name).write_bytes(b"".join(new))


def resign(path: Path, key: Ed25519PrivateKey = KEY, *, raw: Callable[[dict[str, Any]], bytes] | None = None,
           **fields: str) -> None:
    """Sign the manifest again as the key holder would, file hashes brought up to date."""
    manifest = json.loads((path / "manifest.json").read_bytes())
    for name in manifest["files"]:
        manifest["files"][name] = _sha256(path / name)
    public = key.public_key().public_bytes_raw()
    manifest.update(key_id=key_id(public), public_key=public.hex(), **fields)
    data = canonical_json(manifest) if raw is None else raw(manifest)
    (path / "manifest.json").write_bytes(data)
    (path / "manifest.sig").write_text(key.sign(data).hex() + "\n", encoding="ascii")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _replace_line(path: Path, index: int, old: bytes, new: bytes, name: str = "entries.jsonl") -> None:
    content = lines(path, name)
    if old not in content[index]:
        raise ValueError(f"{path.name}: {old!r} not in line {index + 1}")
    content[index] = content[index].replace(old, new, 1)
    write_lines(path, content, name)


# --- the vectors -------------------------------------------------------------------------

def build(out: Path) -> list[Vector]:
    """Write every bundle under out/vectors and return the runs over them."""
    base = out / "vectors"
    records, checkpoints = history()
    h = {r.seq: r.hash.hex() for r in records}
    vectors: list[Vector] = []

    def bundle(name: str, recs: list[Record] | None = None, cps: list[Checkpoint] | None = None,
               **kwargs: Any) -> Path:
        return export(base / name, records if recs is None else recs,
                      checkpoints if cps is None else cps, **kwargs)

    # Valid exports (exit 0).
    bundle("valid")
    vectors.append(Vector("valid", "C1 C3 C17: an untouched export, pinned at its first "
                          "checkpoint", 0, pin=f"5:{h[5]}"))
    vectors.append(Vector("valid_pin_upper_case", "C1: hex digits in either case", 0,
                          bundle="valid", key=KEY_HEX.upper(), pin=f"5:{h[5].upper()}"))
    vectors.append(Vector("valid_pin_genesis", "C15: pin 0 is the genesis", 0, bundle="valid",
                          pin=f"0:{GENESIS.hex()}"))
    bundle("valid_pruned_prefix", [replace(r, body=None) if r.seq <= 6 else r for r in records])
    vectors.append(Vector("valid_pruned_prefix", "C7 C11 C14: the chain verifies through a "
                          "prefix of stubs; a checkpoint may sit on a stub", 0, pin=f"5:{h[5]}"))
    bundle("valid_range_from_seq_4", records[3:])
    vectors.append(Vector("valid_range_from_seq_4", "C15: an export from seq 4; a pin at "
                          "first_seq - 1 is checked against the first line's prev", 0,
                          pin=f"3:{h[3]}"))
    records_gap_ok, cps_gap_ok = history(gap_before=4, gap=INTERVAL + TOLERANCE)
    bundle("valid_gap_at_tolerance", records_gap_ok, cps_gap_ok)
    vectors.append(Vector("valid_gap_at_tolerance", "C14: a silence of exactly interval + "
                          "tolerance is not a gap", 0))
    bundle("valid_stops_before_head", records[:5], head_size=9)
    vectors.append(Vector("valid_stops_before_head", "C17 (item 7): an export of a period "
                          "says it stops before the head", 0))
    bundle("valid_checkpoint_not_on_heartbeat", cps=[*sign(records, [3]), *checkpoints])
    vectors.append(Vector("valid_checkpoint_not_on_heartbeat", "C11: a checkpoint need not "
                          "sit on a heartbeat, only share its entry's ts", 0))

    # Incomplete (exit 2).
    records_gap, cps_gap = history(gap_before=4, gap=INTERVAL + TOLERANCE + timedelta(seconds=1))
    bundle("heartbeat_gap", records_gap, cps_gap)
    vectors.append(Vector("heartbeat_gap", "C14: one second beyond interval + tolerance", 2,
                          [(4, "heartbeat_gap")]))
    path = bundle("checkpoint_not_covered", records[6:])
    write_lines(path, [checkpoint_line(checkpoints[0]), *lines(path, "checkpoints.jsonl")],
                "checkpoints.jsonl")
    resign(path, checkpoints="2")
    vectors.append(Vector("checkpoint_not_covered", "C15: a checkpoint before the exported "
                          "range", 2, [(5, "checkpoint_not_covered")]))
    vectors.append(Vector("pin_not_covered_before", "C15: a pin before the exported range", 2,
                          [(2, "pin_not_covered")], bundle="valid_range_from_seq_4",
                          pin=f"2:{h[2]}"))
    vectors.append(Vector("pin_not_covered_beyond", "C15 (item 7): a pin beyond an export "
                          "that stops before the head", 2, [(9, "pin_not_covered")],
                          bundle="valid_stops_before_head", pin=f"9:{h[9]}"))

    # Tampered (exit 1): the manifest and the files.
    bundle("unknown_key", cps=[Checkpoint.sign(OTHER, size=c.size, head=c.head, ts=c.ts)
                               for c in checkpoints], key=OTHER)
    vectors.append(Vector("unknown_key", "C2: everything signed by another key", 1,
                          [(None, "unknown_key"), (5, "checkpoint_unknown_key"),
                           (9, "checkpoint_unknown_key")]))
    path = bundle("manifest_signature_missing")
    (path / "manifest.sig").unlink()
    vectors.append(Vector("manifest_signature_missing", "C2", 1,
                          [(None, "manifest_signature_invalid")]))
    path = bundle("manifest_signature_upper_case")
    (path / "manifest.sig").write_text((path / "manifest.sig").read_text().upper())
    vectors.append(Vector("manifest_signature_upper_case", "C2: manifest.sig is 128 lowercase "
                          "hex digits and LF, nothing else", 1,
                          [(None, "manifest_signature_invalid")]))
    path = bundle("manifest_edited_unsigned")
    manifest = json.loads((path / "manifest.json").read_bytes())
    manifest["files"]["VERIFY.txt"] = "0" * 64
    (path / "manifest.json").write_bytes(canonical_json(manifest))
    vectors.append(Vector("manifest_edited_unsigned", "C2: a readable manifest whose signature "
                          "fails is still used, so every problem is named", 1,
                          [(None, "manifest_signature_invalid"), (None, "file_hash_mismatch")]))
    path = bundle("file_missing")
    (path / "VERIFY.txt").unlink()
    vectors.append(Vector("file_missing", "C2", 1, [(None, "file_missing")]))
    path = bundle("file_hash_mismatch")
    (path / "VERIFY.txt").write_bytes((path / "VERIFY.txt").read_bytes() + b"\n")
    vectors.append(Vector("file_hash_mismatch", "C2", 1, [(None, "file_hash_mismatch")]))

    # Tampered: lines of entries.jsonl (the manifest re-signed by the key holder, so only the
    # line's own problem shows).
    def edited(name: str, edit: Callable[[Path], object], contract: str, expect: Expected,
               **fields: str) -> None:
        path = bundle(name)
        edit(path)
        resign(path, KEY, raw=None, **fields)
        vectors.append(Vector(name, contract, 1, expect))

    edited("malformed_not_json", lambda p: _replace_line(p, 5, lines(p)[5][:-1], b"not json"),
           "C6 C12: the expected seq moves past a malformed line; the next line's link is "
           "not checked", [(6, "malformed_line")])
    edited("malformed_first_line", lambda p: _replace_line(p, 0, lines(p)[0][:-1], b"{}"),
           "C12: a malformed first line names seq -; the next line is the first one read",
           [(None, "malformed_line"), (None, "manifest_mismatch")])
    edited("non_canonical_crlf", lambda p: _replace_line(p, 3, b"}\n", b"}\r\n"),
           "C8: lines end with LF alone", [(4, "non_canonical")])
    edited("malformed_duplicate_key",
           lambda p: _replace_line(p, 2, b'{"action":"case.read",', b'{"action":"case.read",'
                                   b'"action":"case.read",'),
           "C9: a duplicate key is malformed, never resolved", [(3, "malformed_line")])
    edited("malformed_v_number", lambda p: _replace_line(p, 2, b'"v":"1"', b'"v":1'),
           "C4: v is the string \"1\"; a number makes the line malformed", [(3, "malformed_line")])
    edited("non_canonical_whitespace", lambda p: _replace_line(p, 1, b'"entry":{', b'"entry": {'),
           "C8", [(2, "non_canonical")])
    edited("non_canonical_unsorted_details",
           lambda p: _replace_line(p, 0, b'"case_ref":"S-2026-0001","group":"g-12"',
                                   b'"group":"g-12","case_ref":"S-2026-0001"'),
           "C8: keys of details sorted too", [(1, "non_canonical")])
    edited("non_canonical_missing_final_lf",
           lambda p: (p / "entries.jsonl").write_bytes((p / "entries.jsonl").read_bytes()[:-1]),
           "C8: the last line ends with LF too", [(9, "non_canonical")])
    edited("hash_mismatch", lambda p: _replace_line(p, 2, b"S-2026-0003", b"S-2026-0004"),
           "C7", [(3, "hash_mismatch")])
    edited("seq_gap_deleted_line", lambda p: write_lines(p, lines(p)[:3] + lines(p)[4:]),
           "C6 C7: a gap is also a chain break", [(5, "seq_gap"), (5, "chain_break")],
           entries="8")
    edited("seq_reordered_swapped_lines",
           lambda p: write_lines(p, [*lines(p)[:2], lines(p)[3], lines(p)[2], *lines(p)[4:]]),
           "C6 C7 C12: after a gap the expected seq moves on; every line's link is checked",
           [(4, "seq_gap"), (4, "chain_break"), (3, "seq_reordered"), (3, "chain_break"),
            (3, "ts_backwards"), (5, "chain_break")])
    edited("seq_reordered_duplicated_line",
           lambda p: write_lines(p, [*lines(p)[:3], lines(p)[2], *lines(p)[3:]]),
           "C6 C7: a duplicated line", [(3, "seq_reordered"), (3, "chain_break")], entries="10")
    edited("misplaced_stub",
           lambda p: _replace_line(p, 5, lines(p)[5], stub_line(replace(records[5], body=None))),
           "C7: a stub after a full entry", [(6, "misplaced_stub")], stubs="1")
    edited("manifest_mismatch", lambda p: None, "C15: counts differ from the manifest's",
           [(None, "manifest_mismatch")], stubs="1")
    path = bundle("truncated_tail")
    write_lines(path, lines(path)[:-2])
    vectors.append(Vector("truncated_tail", "C12 C15: not re-signed: every consequence named", 1,
                          [(None, "file_hash_mismatch"), (9, "truncated"),
                           (None, "manifest_mismatch"), (9, "truncated")]))

    # Tampered: entries the key holder wrote wrong, chain and checkpoints recomputed.
    def rewritten(name: str, recs: list[Record], contract: str, expect: Expected) -> None:
        bundle(name, recs, sign(recs, [5, 9]))
        vectors.append(Vector(name, contract, 1, expect))

    def set_field(seq: int, key: str, value: str | None) -> Callable[[int, dict[str, Any]], None]:
        def edit(s: int, entry: dict[str, Any]) -> None:
            if s == seq:
                entry[key] = value
        return edit

    rewritten("malformed_rule_outcome", rechain(records, set_field(2, "rule", None)),
              "C12: rule and outcome disagree", [(2, "malformed_line")])
    rewritten("malformed_ts_not_a_date",
              rechain(records, set_field(3, "ts", "2026-11-31T10:18:00.000000Z")),
              "C14: a ts that is not a real date; no time check across it",
              [(3, "malformed_line")])
    rewritten("ts_backwards", rechain(records, set_field(4, "ts", "2026-11-26T10:17:30.000000Z")),
              "C14", [(4, "ts_backwards")])
    rewritten("chain_break_prev", rechain(records, prev_of={4: bytes(range(32))}),
              "C7: the recorded prev, not a recomputed one, is compared", [(4, "chain_break")])
    rewritten("chain_break_genesis", rechain(records, prev_of={1: bytes(range(32))}),
              "C7: seq 1 links to the genesis", [(1, "chain_break")])

    # Tampered: checkpoints.jsonl (the manifest re-signed).
    def checkpoints_edit(name: str, new: list[bytes], contract: str, expect: Expected) -> None:
        path = bundle(name)
        write_lines(path, new, "checkpoints.jsonl")
        resign(path, checkpoints=str(len(new)))
        vectors.append(Vector(name, contract, 1, expect))

    first, last = (checkpoint_line(c) for c in checkpoints)
    checkpoints_edit("checkpoint_malformed", [first.replace(b'","', b'", "', 1), last],
                     "C10", [(None, "checkpoint_malformed")])
    checkpoints_edit("checkpoint_missing_final_lf", [first, last[:-1]],
                     "C8: a checkpoint line ends with LF too; no leniency", [(None, "checkpoint_malformed")])
    checkpoints_edit("checkpoint_unknown_key",
                     [checkpoint_line(sign(records, [5], OTHER)[0]), last], "C10",
                     [(5, "checkpoint_unknown_key")])
    checkpoints_edit("checkpoint_signature_invalid", [first.replace(b'"size":"5"', b'"size":"4"'), last],
                     "C10", [(4, "checkpoint_signature_invalid")])
    checkpoints_edit("checkpoint_out_of_order", [last, first], "C10: increasing size",
                     [(5, "checkpoint_out_of_order")])
    checkpoints_edit("checkpoint_duplicated", [first, first, last], "C10: a duplicate is out of order",
                     [(5, "checkpoint_out_of_order")])
    wrong_head = Checkpoint.sign(KEY, size=5, head=records[3].hash, ts=records[4].ts)
    checkpoints_edit("checkpoint_mismatch_head", [checkpoint_line(wrong_head), last], "C11",
                     [(5, "checkpoint_mismatch")])
    wrong_ts = Checkpoint.sign(KEY, size=5, head=records[4].hash, ts=records[3].ts)
    checkpoints_edit("checkpoint_mismatch_ts", [checkpoint_line(wrong_ts), last],
                     "C11: the checkpoint's ts is its entry's", [(5, "checkpoint_mismatch")])
    beyond = Checkpoint.sign(KEY, size=12, head=records[8].hash, ts=records[8].ts)
    checkpoints_edit("checkpoint_beyond_entries", [first, last, checkpoint_line(beyond)],
                     "C15", [(12, "truncated")])

    # Tampered against the overseer's pin: a history rewritten, a log cut short, re-signed.
    changed = rechain(records, set_field(3, "action", "case.update"))
    bundle("rewritten_and_resigned", changed, sign(changed, [5, 9]))
    vectors.append(Vector("pin_mismatch", "C15: a rewrite before the pin, re-signed", 1,
                          [(5, "pin_mismatch")], bundle="rewritten_and_resigned", pin=f"5:{h[5]}"))
    bundle("cut_short_and_resigned", records[:5], checkpoints[:1])
    vectors.append(Vector("truncated_before_pin", "C15 (item 7): the log cut before the pin and "
                          "re-signed", 1, [(9, "truncated_before_pin")],
                          bundle="cut_short_and_resigned", pin=f"9:{h[9]}"))

    # Both kinds of problem: tampered wins (C19).
    path = bundle("tampered_and_incomplete", records_gap, cps_gap)
    _replace_line(path, 1, b"S-2026-0002", b"S-2026-0009")
    resign(path)
    vectors.append(Vector("tampered_and_incomplete", "C19: tampered before incomplete", 1,
                          [(2, "hash_mismatch"), (4, "heartbeat_gap")]))

    # Usage or format errors (exit 3, nothing on stdout).
    for name, key in (("usage_key_base64", "A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg="),
                      ("usage_key_63_hex_digits", KEY_HEX[:63]),
                      ("usage_key_with_newline", KEY_HEX + "\n")):
        vectors.append(Vector(name, "C1: the key is 64 hex digits, nothing else", 3,
                              bundle="valid", key=key))
    vectors.append(Vector("usage_pin_malformed", "C3", 3, bundle="valid", pin="5:abc"))
    vectors.append(Vector("usage_not_a_directory", "C2: the bundle is a directory", 3,
                          bundle="valid/manifest.json"))
    path = bundle("usage_no_manifest")
    (path / "manifest.json").unlink()
    vectors.append(Vector("usage_no_manifest", "C2", 3))
    signed_but_bad: dict[str, Callable[[dict[str, Any]], bytes]] = {
        "usage_manifest_non_canonical": lambda m: json.dumps(m, indent=1).encode(),
        "usage_manifest_v_number": lambda m: canonical_json(m).replace(b'"v":"1"', b'"v":1'),
        "usage_manifest_v3": lambda m: canonical_json({**m, "v": "3"}),
        "usage_manifest_v2_without_chain": lambda m: canonical_json({**m, "v": "2"}),
        "usage_manifest_v2_chain_not_a_code": lambda m: canonical_json(
            {**m, "v": "2", "chain": "Conseil A"}),
        "usage_manifest_duplicate_key": lambda m: canonical_json(m).replace(
            b'{"checkpoints"', b'{"checkpoints":"2","checkpoints"'),
        "usage_manifest_head_below_last": lambda m: canonical_json({**m, "head_size": "8"}),
    }
    for name, raw in signed_but_bad.items():
        resign(bundle(name), raw=raw)
        vectors.append(Vector(name, "C5 C18: a validly signed manifest that is not a canonical "
                              "version-1 or version-2 manifest", 3))
    return vectors + build_chains(base)


def build_chains(base: Path) -> list[Vector]:
    """Format version 2: a council's chain, the platform chain after its version-1 history,
    and what another chain's entries and checkpoints become in an export (C21, C22)."""
    v1, _ = history()
    council, council_cps = history(chain=COUNCIL)
    other, _ = history(chain=OTHER_COUNCIL)
    platform, platform_cps = history(chain=PLATFORM, chain_from=6)  # seq 1-5 as in `valid`
    h, hc, ho = ({r.seq: r.hash.hex() for r in recs} for recs in (v1, council, other))
    vectors: list[Vector] = []

    def chain_bundle(name: str, recs: list[Record], cps: list[Checkpoint], chain: str | None,
                     contract: str, exit_code: int = 1, expect: Expected | None = None,
                     pin: str | None = None) -> Path:
        path = export(base / name, recs, cps, chain=chain)
        vectors.append(Vector(name, contract, exit_code, expect or [], pin=pin))
        return path

    chain_bundle("valid_chain_council", council, council_cps, COUNCIL, "C17 C21: a council's "
                 "chain, its own seq from 1 and checkpoints; the summary names it", 0,
                 pin=f"5:{hc[5]}")
    chain_bundle("valid_platform_with_v1_history", platform, platform_cps, PLATFORM,
                 "C21 C22: the platform chain continues the version-1 chain (seq 1-5, its "
                 "checkpoint at 5); a pin kept from a version-1 export still holds", 0,
                 pin=f"5:{h[5]}")
    chain_bundle("valid_platform_range_after_history", platform[5:], platform_cps, PLATFORM,
                 "C15 C22: a platform export from its first version-2 entry; the version-1 "
                 "checkpoint and pin at first_seq - 1", 0, pin=f"5:{h[5]}")
    vectors.append(Vector("pin_mismatch_other_chain", "C15: a pin belongs to one chain: "
                          "another council's pin does not hold", 1, [(5, "pin_mismatch")],
                          bundle="valid_chain_council", pin=f"5:{ho[5]}"))

    moved = relink([*entries_of(council[:3]), *entries_of(other[3:4]), *entries_of(council[3:])])
    chain_bundle("foreign_entry_moved", moved, sign(moved, [6, 10], chain=COUNCIL), COUNCIL,
                 "C21: an entry of another chain moved in, relinked and re-signed with the "
                 "real key", expect=[(4, "foreign_entry")])
    v1_first = relink([*entries_of(v1[:1]), *entries_of(council[1:])])
    chain_bundle("foreign_v1_entry_in_council_chain", v1_first,
                 sign(v1_first, [5, 9], chain=COUNCIL), COUNCIL, "C21: a council's chain has "
                 "no version-1 history, not even at seq 1", expect=[(1, "foreign_entry")])

    def to_v1(seq: int, entry: dict[str, Any]) -> None:
        if seq == 8:
            del entry["chain"]
            entry["v"] = "1"

    late_v1 = rechain(platform, to_v1)
    chain_bundle("foreign_v1_entry_after_v2_in_platform", late_v1,
                 [*sign(late_v1, [5]), *sign(late_v1, [9], chain=PLATFORM)], PLATFORM,
                 "C21: version 1 is history: not after a version-2 entry",
                 expect=[(8, "foreign_entry")])

    def disagree(seq: int, entry: dict[str, Any]) -> None:
        if seq == 3:
            entry["v"] = "1"
        if seq == 6:
            del entry["chain"]

    bent = rechain(council, disagree)
    chain_bundle("malformed_version_and_chain_disagree", bent, sign(bent, [5, 9], chain=COUNCIL),
                 COUNCIL, "C4 C21: a chain with v \"1\", or v \"2\" without a chain, is no "
                 "entry", expect=[(3, "malformed_line"), (6, "malformed_line")])

    def to_v2(seq: int, entry: dict[str, Any]) -> None:
        if seq == 4:
            entry.update(chain=PLATFORM, v="2")

    in_v1 = rechain(v1, to_v2)
    chain_bundle("malformed_v2_entry_in_v1_bundle", in_v1, sign(in_v1, [5, 9]), None,
                 "C4 C21: a version-1 bundle holds version-1 entries only",
                 expect=[(4, "malformed_line")])
    path = chain_bundle("non_canonical_v2_entry", council, council_cps, COUNCIL,
                        "C8 C21: a version-2 line re-encoded", expect=[(2, "non_canonical")])
    _replace_line(path, 1, b'"entry":{', b'"entry": {')
    resign(path)

    first, last = (checkpoint_line(c) for c in council_cps)
    by_seq = {r.seq: r for r in council}
    foreign = {chain: checkpoint_line(Checkpoint.sign(KEY, size=7, head=by_seq[7].hash,
                                                      ts=by_seq[7].ts, chain=chain))
               for chain in (OTHER_COUNCIL, None)}
    for name, line, contract in (
            ("checkpoint_foreign", foreign[OTHER_COUNCIL], "C22: a checkpoint of another chain, "
             "signed with the real key over this chain's entry, is not used"),
            ("checkpoint_foreign_v1_in_council_chain", foreign[None], "C22: a version-1 "
             "checkpoint belongs to the platform chain's history only")):
        path = chain_bundle(name, council, council_cps, COUNCIL, contract,
                            expect=[(7, "checkpoint_foreign")])
        write_lines(path, [first, line, last], "checkpoints.jsonl")
        resign(path, checkpoints="3")
    path = chain_bundle("checkpoint_v2_in_v1_bundle", v1, sign(v1, [5, 9]), None,
                        "C10 C22: a version-1 bundle reads version-1 checkpoints only",
                        expect=[(None, "checkpoint_malformed")])
    v1_last = checkpoint_line(sign(v1, [9])[0])
    write_lines(path, [checkpoint_line(sign(v1, [5], chain=PLATFORM)[0]), v1_last],
                "checkpoints.jsonl")
    resign(path)
    return vectors


def run(vector: Vector, out: Path) -> tuple[int, list[str]]:
    """The verifier's exit code and output lines for `vector`, run from `out`."""
    args = vector.args()
    args[-1] = str(out / args[-1])
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
        code = main(args)
    return code, [line.replace(str(out) + "/", "") for line in stdout.getvalue().splitlines()]


def _found(output: list[str]) -> Expected:
    found: Expected = []
    for line in output[:-1]:
        seq, code = line.split(": ")[:2]
        found.append((None if seq == "seq -" else int(seq.removeprefix("seq ")), code))
    return found


def generate(out: Path) -> None:
    """Write vectors/ and vectors.json under `out`; raise when the verifier breaks the contract."""
    if (out / "vectors").exists():
        shutil.rmtree(out / "vectors")
    table = []
    for vector in build(out):
        code, output = run(vector, out)
        found = _found(output) if output else []
        if code != vector.exit or found != vector.expect or (code == 3) != (output == []):
            raise SystemExit(f"{vector.name}: expected exit {vector.exit} with {vector.expect}, "
                             f"the verifier gave {code} with {found}")
        table.append({"name": vector.name, "contract": vector.contract, "args": vector.args(),
                      "exit": code, "stdout": output})
    document = {"about": "ccop-cases audit export verifier test vectors; run each args list from "
                         "this directory; compare the exit code, and stdout line by line (the "
                         "`seq N: code` prefix at least). Regenerate: python -m "
                         "audit.testdata.generate", "pinned_key": KEY_HEX, "vectors": table}
    (out / "vectors.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=HERE, help="directory (default: this one)")
    generate(parser.parse_args(argv).out)
    return 0


if __name__ == "__main__":
    sys.exit(_main())
