"""Export bundle writer: pure file I/O over records and checkpoints (FORMAT.md)."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.events import Checkpoint, Record, format_ts, version_fields
from audit.verify_audit_export import (
    CHECKPOINTS_FILE,
    ENTRIES_FILE,
    MANIFEST_FILE,
    MANIFEST_TYPE,
    README_FILE,
    SIGNATURE_FILE,
    canonical_json,
    chain_admits,
    key_id,
)


def entry_line(body: bytes, digest: bytes) -> bytes:
    """Line of entries.jsonl for a full entry: canonical {"entry":…,"hash":…} and LF.

    Concatenation equals canonical_json({"entry": entry, "hash": hex}) because `body` is
    canonical already and "entry" sorts before "hash"; it saves a parse per line.
    """
    return b'{"entry":' + body + b',"hash":"' + digest.hex().encode() + b'"}\n'


def stub_line(record: Record) -> bytes:
    """Line of entries.jsonl for a pruned record: its seq, ts, prev and hash only."""
    stub = {"prev": record.prev.hex(), "seq": str(record.seq), "ts": record.ts}
    return canonical_json({"hash": record.hash.hex(), "stub": stub}) + b"\n"


def checkpoint_line(checkpoint: Checkpoint) -> bytes:
    """Line of checkpoints.jsonl: canonical {"checkpoint":…,"sig":…} and LF."""
    sig = checkpoint.signature.hex().encode()
    return b'{"checkpoint":' + checkpoint.signed_bytes() + b',"sig":"' + sig + b'"}\n'


@dataclass
class _Span:
    """What the entries file holds, gathered while it is written."""

    first: int = 0
    last: int = 0
    first_ts: str = ""
    last_ts: str = ""
    count: int = 0
    stubs: int = 0
    digest: str = ""


def write_bundle(directory: str | Path, records: Iterable[Record],
                 checkpoints: Iterable[Checkpoint], key: Ed25519PrivateKey, *,
                 heartbeat_interval: timedelta, created: datetime | None = None,
                 head_size: int | None = None, chain: str | None = None) -> dict[str, Any]:
    """Write an export bundle of `records` into `directory` (new or empty); return the manifest.

    Writes entries.jsonl, checkpoints.jsonl (those signed by `key` whose size falls in the
    exported range or just before it, and that belong to the chain: `chain_admits`),
    VERIFY.txt, manifest.json and manifest.sig. With `chain`, a version-2 bundle of that
    chain (FORMAT.md §7); without, version 1.
    `head_size` is the size of the log when exported (default: the last record's seq, an
    export to the head); the manifest states it so a verifier can tell an export that stops
    before the head from a log cut short. Guarantees: records are written as given, in
    order, stubs included — a broken chain is exported as it is, for the verifier to
    report, never repaired or hidden; a range that does not start at seq 1 starts from its
    first record's prev, taken as given.
    Does not: check the chain, write atomically (a failed export leaves a partial
    directory: delete it), or decide the heartbeat interval (the app's schedule does).
    Raises ValueError when there is no record, the interval is under one second,
    `head_size` is below the last record's seq, or `chain` is not a code.
    """
    versions = version_fields(chain)
    seconds = int(heartbeat_interval.total_seconds())
    if seconds < 1:
        raise ValueError("heartbeat_interval must be at least one second")
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    if any(target.iterdir()):
        raise FileExistsError(f"{target} is not empty")
    public = key.public_key().public_bytes_raw()
    kid = key_id(public)
    span = _write_entries(target / ENTRIES_FILE, records)
    head = span.last if head_size is None else head_size
    if head < span.last:
        raise ValueError(f"head_size {head} is below the last exported seq {span.last}")
    kept = [c for c in checkpoints if c.key_id == kid and span.first - 1 <= c.size <= span.last
            and chain_admits(chain, c.chain)]
    files = {ENTRIES_FILE: span.digest,
             CHECKPOINTS_FILE: _write(target / CHECKPOINTS_FILE, map(checkpoint_line, kept)),
             README_FILE: _write(target / README_FILE,
                                 [_instructions(kid, span, kept, head, chain)])}
    manifest = {
        "type": MANIFEST_TYPE, **versions, "key_id": kid, "public_key": public.hex(),
        "created": format_ts(created or datetime.now(UTC)), "period_from": span.first_ts,
        "period_to": span.last_ts, "first_seq": str(span.first), "last_seq": str(span.last),
        "head_size": str(head), "entries": str(span.count), "stubs": str(span.stubs),
        "checkpoints": str(len(kept)), "heartbeat_interval": str(seconds), "files": files,
    }
    raw = canonical_json(manifest)
    (target / MANIFEST_FILE).write_bytes(raw)
    (target / SIGNATURE_FILE).write_text(key.sign(raw).hex() + "\n", encoding="ascii")
    return manifest


def _write_entries(path: Path, records: Iterable[Record]) -> _Span:
    span, digest = _Span(), hashlib.sha256()
    with path.open("wb") as out:
        for record in records:
            line = stub_line(record) if record.body is None else entry_line(record.body,
                                                                             record.hash)
            out.write(line)
            digest.update(line)
            if not span.count:
                span.first, span.first_ts = record.seq, record.ts
            span.last, span.last_ts = record.seq, record.ts
            span.count += 1
            span.stubs += record.body is None
    if not span.count:
        raise ValueError("nothing to export: no record")
    span.digest = digest.hexdigest()
    return span


def _write(path: Path, chunks: Iterable[bytes]) -> str:
    data = b"".join(chunks)
    path.write_bytes(data)
    return hashlib.sha256(data).hexdigest()


def _instructions(kid: str, span: _Span, kept: list[Checkpoint], head: int,
                  chain: str | None) -> bytes:
    last = kept[-1] if kept else None
    pin = f"{last.size}:{last.head.hex()}" if last else "-"
    to_head = (f"jusqu’à la tête du journal à l’export / to the head at export (seq {head})"
               if span.last == head else f"s’arrête avant la tête du journal à l’export / "
                                         f"stops before the head at export (seq {head})")
    # Version 1 keeps its text byte for byte; a chain's export names it, and its pin's chain.
    named = "" if chain is None else f"Chaîne / chain: {chain}\n"
    pin_fr = "" if chain is None else f" (chaîne {chain})"
    pin_en = "" if chain is None else f" (chain {chain})"
    chain_fr = "" if chain is None else """
Chaque conseil (CLSPD/CISPD) a sa propre chaîne d’audit, et « platform » est celle des
comptes et de l’exploitation ; cet export est la chaîne nommée en tête. Le vérificateur
l’affiche dans son résumé : vérifiez que c’est celle que vous attendez. Une épingle (--pin)
vaut pour une seule chaîne : gardez-en une par chaîne.
"""
    chain_en = "" if chain is None else """
Each council (CLSPD/CISPD) has its own audit chain, and "platform" holds the accounts' and
operators' events; this export is the chain named at the top. The verifier names it in its
summary: check it is the one you expect. A pin (--pin) belongs to one chain: keep one per
chain.
"""
    return f"""\
Export du journal d’audit ccop-cases / ccop-cases audit trail export

{named}Entrées / entries: seq {span.first}-{span.last} ({span.count}, dont {span.stubs} élaguées / \
{span.stubs} pruned), {span.first_ts} - {span.last_ts}
Couverture / coverage: {to_head}
Empreinte de la clé de signature / signing key fingerprint: {kid}

FR - Vérification hors ligne. Procurez-vous la clé publique de signature par un autre canal
que cet export (courrier, remise en main propre) et vérifiez que son empreinte est {kid}.
Avec Python 3.11 ou plus et le paquet « cryptography », lancez le vérificateur
verify_audit_export.py (fourni avec ccop-cases, dans audit/) :

    python verify_audit_export.py --key CLE_PUBLIQUE [--pin TAILLE:HASH] DOSSIER_EXPORT

CLE_PUBLIQUE : les 64 chiffres hexadécimaux de la clé (ccop audit public-key), rien d’autre.
DOSSIER_EXPORT : le dossier qui contient manifest.json (décompressez l’archive d’abord).

--pin : le dernier point de contrôle d’un export précédent que vous avez vérifié.
Notez celui de cet export pour la prochaine fois{pin_fr} : --pin {pin}
Code de sortie : 0 intègre, 1 altéré, 2 incomplet, 3 erreur d’usage ou de format.
Chaque problème est affiché sur une ligne avec le numéro de séquence (seq) concerné.
{chain_fr}
EN - Offline verification. Obtain the signing public key through a channel other than this
export (letter, in person) and check that its fingerprint is {kid}.
With Python 3.11 or later and the "cryptography" package, run the verifier
verify_audit_export.py (shipped with ccop-cases, in audit/):

    python verify_audit_export.py --key PUBLIC_KEY [--pin SIZE:HASH] EXPORT_DIR

PUBLIC_KEY: the key's 64 hexadecimal digits (ccop audit public-key), nothing else.
EXPORT_DIR: the directory holding manifest.json (unpack the archive first).

--pin: the last checkpoint of an earlier export that you verified.
Write down this export's for next time{pin_en}: --pin {pin}
Exit status: 0 valid, 1 tampered, 2 incomplete, 3 usage or format error.
Each problem is printed on one line naming its sequence number (seq); the rules are the
"verifier contract" of audit/FORMAT.md.
{chain_en}""".encode()
