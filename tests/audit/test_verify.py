"""verify_bundle: each tamper mode of an export is detected and named, by seq."""

import hashlib
import json
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit import AuditLog, Checkpoint, Event, MemoryStore, Record, verify_bundle, write_bundle
from audit.bundle import checkpoint_line, stub_line
from audit.events import make_record
from audit.verify_audit_export import canonical_json, key_id

HOUR = timedelta(hours=1)


def resign(path: Path, key: Ed25519PrivateKey, **fields: str) -> None:
    """Re-sign the manifest as the key holder would, after fixing its file hashes."""
    manifest = json.loads((path / "manifest.json").read_bytes())
    public = key.public_key().public_bytes_raw()
    for name in manifest["files"]:
        manifest["files"][name] = hashlib.sha256((path / name).read_bytes()).hexdigest()
    checkpoints = (path / "checkpoints.jsonl").read_bytes().splitlines()
    manifest.update(key_id=key_id(public), public_key=public.hex(),
                    checkpoints=str(len(checkpoints)), **fields)
    raw = canonical_json(manifest)
    (path / "manifest.json").write_bytes(raw)
    (path / "manifest.sig").write_text(key.sign(raw).hex() + "\n")


def rewritten_history(export, path: Path) -> None:
    """The key holder's rewrite: same length, seq 3 changed, chain recomputed and signed."""
    moments = iter(datetime(2026, 11, 26, 11, tzinfo=UTC) + timedelta(minutes=m)
                   for m in range(100))
    log = AuditLog(MemoryStore(), clock=lambda: next(moments))
    for number in range(1, 9):
        if number == 5:
            log.checkpoint(export.key)
        else:
            log.append(Event(action="case.update" if number == 3 else "case.read",
                             actor_id="person-1", actor_role="member", target_type="case",
                             target_id=f"case-{number}"))
    shutil.rmtree(path)
    log.export(path, export.key, heartbeat_interval=HOUR)


# Each tamper mode edits the export (seq 1-4 reads, 5 heartbeat + checkpoint, 6-8 reads,
# 9 heartbeat + checkpoint) and may return the pin an overseer kept from earlier.
def change_one_byte(export):
    lines = export.lines()
    lines[2] = lines[2].replace(b"S-2026-0003", b"S-2026-0004")
    export.write_lines(lines)


def delete_a_line(export):
    lines = export.lines()
    del lines[3]
    export.write_lines(lines)


def swap_two_lines(export):
    lines = export.lines()
    lines[2], lines[3] = lines[3], lines[2]
    export.write_lines(lines)


def truncate_the_tail(export):
    export.write_lines(export.lines()[:-2])


def alter_a_checkpoint(export):
    lines = export.lines("checkpoints.jsonl")
    lines[0] = lines[0].replace(b'"size":"5"', b'"size":"4"')
    export.write_lines(lines, "checkpoints.jsonl")


def sign_a_checkpoint_with_an_unknown_key(export):
    lines, real = export.lines("checkpoints.jsonl"), export.checkpoints[0]
    forged = Checkpoint.sign(Ed25519PrivateKey.generate(), size=real.size, head=real.head,
                             ts=real.ts)
    export.write_lines([checkpoint_line(forged), *lines[1:]], "checkpoints.jsonl")


def resign_everything_with_an_unknown_key(export):
    other = Ed25519PrivateKey.generate()
    lines = [checkpoint_line(Checkpoint.sign(other, size=c.size, head=c.head, ts=c.ts))
             for c in export.checkpoints]
    export.write_lines(lines, "checkpoints.jsonl")
    resign(export.path, other)


def add_whitespace(export):
    lines = export.lines()
    lines[1] = lines[1].replace(b'"entry":{', b'"entry": {')
    export.write_lines(lines)


def change_a_file_hash_in_the_manifest(export):
    manifest = json.loads((export.path / "manifest.json").read_bytes())
    manifest["files"]["entries.jsonl"] = "0" * 64
    (export.path / "manifest.json").write_bytes(canonical_json(manifest))


def delete_the_checkpoints_file(export):
    (export.path / "checkpoints.jsonl").unlink()


def delete_the_manifest_signature(export):
    (export.path / "manifest.sig").unlink()


def replace_an_entry_by_a_stub(export):
    lines = export.lines()
    line = json.loads(lines[5])
    entry = line["entry"]
    record = Record(int(entry["seq"]), entry["ts"], bytes.fromhex(entry["prev"]),
                    bytes.fromhex(line["hash"]), None)
    lines[5] = stub_line(record)
    export.write_lines(lines)
    resign(export.path, export.key, stubs="1")


def rewrite_history_and_resign_after_a_pin(export):
    pinned = export.checkpoints[0]
    rewritten_history(export, export.path)
    return (pinned.size, pinned.head)


def rewrite_history_but_keep_an_old_checkpoint(export):
    old = export.lines("checkpoints.jsonl")[0]
    rewritten_history(export, export.path)
    export.write_lines([old, *export.lines("checkpoints.jsonl")], "checkpoints.jsonl")
    resign(export.path, export.key)


TAMPERS = [
    (change_one_byte, "hash_mismatch", 3),
    (delete_a_line, "seq_gap", 5),
    (swap_two_lines, "seq_reordered", 3),
    (truncate_the_tail, "truncated", 9),
    (alter_a_checkpoint, "checkpoint_signature_invalid", 4),
    (sign_a_checkpoint_with_an_unknown_key, "checkpoint_unknown_key", 5),
    (resign_everything_with_an_unknown_key, "unknown_key", None),
    (add_whitespace, "non_canonical", 2),
    (change_a_file_hash_in_the_manifest, "manifest_signature_invalid", None),
    (delete_the_checkpoints_file, "file_missing", None),
    (delete_the_manifest_signature, "manifest_signature_invalid", None),
    (replace_an_entry_by_a_stub, "misplaced_stub", 6),
    (rewrite_history_and_resign_after_a_pin, "pin_mismatch", 5),
    (rewrite_history_but_keep_an_old_checkpoint, "checkpoint_mismatch", 5),
]


@pytest.mark.parametrize(("tamper", "code", "seq"), TAMPERS, ids=[t[0].__name__ for t in TAMPERS])
def test_each_tamper_mode_is_detected_and_named(export, tamper: Callable, code: str,
                                                seq: int | None) -> None:
    pin = tamper(export)
    report = verify_bundle(export.path, export.public_key, pin=pin)
    assert (report.status, report.exit_code) == ("tampered", 1)
    assert (seq, code) in [(p.seq, p.code) for p in report.problems], report.problems


def test_the_first_problem_names_the_first_bad_seq(export) -> None:
    change_one_byte(export)
    report = verify_bundle(export.path, export.public_key)
    assert (report.problems[0].seq, report.problems[0].code) == (3, "hash_mismatch")
    assert str(report.problems[0]).startswith("seq 3: hash_mismatch: ")
    assert "first at seq 3 (hash_mismatch)" in report.summary()


def test_untouched_export_verifies_valid(export) -> None:
    pin = export.checkpoints[0]
    report = verify_bundle(export.path, export.public_key, pin=(pin.size, pin.head))
    assert (report.status, report.exit_code, report.problems) == ("valid", 0, ())
    assert (report.entries, report.first_seq, report.last_seq, report.checkpoints) == (9, 1, 9, 2)
    assert report.summary().startswith("VALID: 9 entries (seq 1-9, 0 pruned)")


def test_pruned_stubs_still_verify_through_the_chain(log, clock, key, fill, tmp_path) -> None:
    fill(1, 4)
    checkpoint = log.checkpoint(key)
    fill(6, 8)
    assert log.prune(clock.now - timedelta(seconds=90)) == 6
    log.export(tmp_path / "b", key, heartbeat_interval=HOUR)
    lines = (tmp_path / "b" / "entries.jsonl").read_bytes().splitlines()
    assert lines[0].startswith(b'{"hash":') and b'"stub":' in lines[0]
    report = verify_bundle(tmp_path / "b", key.public_key().public_bytes_raw(),
                           pin=(checkpoint.size, checkpoint.head))
    assert (report.status, report.stubs, report.checkpoints) == ("valid", 6, 2)


def test_silence_longer_than_the_heartbeat_interval_is_incomplete(log, clock, key, fill,
                                                                  tmp_path) -> None:
    fill(1, 3)
    clock.advance(hours=2)
    fill(4, 5)
    log.export(tmp_path / "b", key, heartbeat_interval=HOUR)
    report = verify_bundle(tmp_path / "b", key.public_key().public_bytes_raw())
    assert (report.status, report.exit_code) == ("incomplete", 2)
    assert [(p.seq, p.code) for p in report.problems] == [(4, "heartbeat_gap")]


def test_partial_range_verifies_from_its_first_seq(make_export, store) -> None:
    export = make_export(from_seq=4)
    third = list(store.records())[2]
    report = verify_bundle(export.path, export.public_key, pin=(3, third.hash))
    assert (report.status, report.first_seq, report.entries) == ("valid", 4, 6)


def test_pin_before_the_exported_range_is_incomplete(make_export) -> None:
    export = make_export(from_seq=4)
    report = verify_bundle(export.path, export.public_key, pin=(2, bytes(32)))
    assert report.status == "incomplete"
    assert [(p.seq, p.code) for p in report.problems] == [(2, "pin_not_covered")]


def test_item7_pin_beyond_the_head_at_export_is_tampering(make_export) -> None:
    export = make_export(from_seq=4)
    report = verify_bundle(export.path, export.public_key, pin=(10, bytes(32)))
    assert (report.status, report.head_size, report.to_head) == ("tampered", 9, True)
    assert [(p.seq, p.code) for p in report.problems] == [(10, "truncated_before_pin")]


def test_checkpoint_before_a_partial_range_is_incomplete(make_export) -> None:
    export = make_export(from_seq=7)
    early = checkpoint_line(export.checkpoints[0])  # size 5, left out by the writer
    export.write_lines([early, *export.lines("checkpoints.jsonl")], "checkpoints.jsonl")
    resign(export.path, export.key)
    report = verify_bundle(export.path, export.public_key)
    assert [(p.seq, p.code) for p in report.problems] == [(5, "checkpoint_not_covered")]
    assert report.status == "incomplete"


def test_time_going_backwards_is_tampering(tmp_path, key, case_read) -> None:
    first = make_record(case_read(1), seq=1, ts="2026-11-26T10:15:00.000000Z", prev=bytes(32))
    second = make_record(case_read(2), seq=2, ts="2026-11-26T10:14:00.000000Z", prev=first.hash)
    write_bundle(tmp_path / "b", [first, second], [], key, heartbeat_interval=HOUR)
    report = verify_bundle(tmp_path / "b", key.public_key().public_bytes_raw())
    assert [(p.seq, p.code) for p in report.problems] == [(2, "ts_backwards")]


def test_a_timestamp_that_is_not_a_date_is_malformed(tmp_path, key, case_read) -> None:
    record = make_record(case_read(1), seq=1, ts="2026-02-30T10:15:00.000000Z", prev=bytes(32))
    write_bundle(tmp_path / "b", [record], [], key, heartbeat_interval=HOUR)
    report = verify_bundle(tmp_path / "b", key.public_key().public_bytes_raw())
    assert [(p.seq, p.code) for p in report.problems] == [(1, "malformed_line")]


def test_a_line_that_is_not_json_is_malformed(export) -> None:
    lines = export.lines()
    lines[4] = b"not json at all\n"
    export.write_lines(lines)
    report = verify_bundle(export.path, export.public_key)
    assert (5, "malformed_line") in [(p.seq, p.code) for p in report.problems]
    assert report.status == "tampered"


def test_a_directory_without_manifest_is_not_a_bundle(tmp_path, key) -> None:
    with pytest.raises(ValueError, match="not a readable bundle"):
        verify_bundle(tmp_path, key.public_key().public_bytes_raw())


@pytest.mark.parametrize("fields", [{"v": "3"}, {"v": "2"}, {"v": "2", "chain": "a b"}],
                         ids=["version-3", "version-2-without-chain", "version-2-chain-not-a-code"])
def test_a_validly_signed_manifest_of_another_version_is_a_format_error(export, fields) -> None:
    resign(export.path, export.key, **fields)
    with pytest.raises(ValueError, match=r"manifest\.json"):
        verify_bundle(export.path, export.public_key)


def test_the_pinned_key_must_be_32_bytes(export) -> None:
    with pytest.raises(ValueError, match="32"):
        verify_bundle(export.path, b"short")


@pytest.mark.parametrize(("late", "status"), [(timedelta(seconds=20), "valid"),
                                              (timedelta(seconds=300), "valid"),
                                              (timedelta(seconds=301), "incomplete")])
def test_item7_a_timer_run_exactly_every_interval_is_not_a_gap_within_the_tolerance(
        log, clock, key, tmp_path, late: timedelta, status: str) -> None:
    for _ in range(3):  # heartbeats one interval apart, each started `late` by the timer
        clock.advance(seconds=HOUR.total_seconds() + late.total_seconds())
        log.checkpoint(key)
    log.export(tmp_path / "b", key, heartbeat_interval=HOUR)
    report = verify_bundle(tmp_path / "b", key.public_key().public_bytes_raw())
    assert report.status == status, report.problems
