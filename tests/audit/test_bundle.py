"""The bundle writer: canonical files, manifest, signature, instructions; library boundaries."""

import ast
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import audit
from audit import write_bundle
from audit.verify_audit_export import canonical_json, key_id

AUDIT_DIR = Path(audit.__file__).parent


def test_bundle_holds_the_five_files(export) -> None:
    names = sorted(p.name for p in export.path.iterdir())
    assert names == ["VERIFY.txt", "checkpoints.jsonl", "entries.jsonl", "manifest.json",
                     "manifest.sig"]


@pytest.mark.parametrize("name", ["entries.jsonl", "checkpoints.jsonl"])
def test_every_line_is_canonical_json_followed_by_a_newline(export, name: str) -> None:
    for line in export.lines(name):
        assert line == canonical_json(json.loads(line)) + b"\n"


def test_manifest_is_canonical_signed_and_describes_the_export(export) -> None:
    raw = (export.path / "manifest.json").read_bytes()
    manifest = json.loads(raw)
    assert raw == canonical_json(manifest)
    export.key.public_key().verify(bytes.fromhex((export.path / "manifest.sig").read_text()),
                                   raw)
    assert manifest["key_id"] == key_id(export.public_key)
    assert (manifest["first_seq"], manifest["last_seq"], manifest["entries"]) == ("1", "9", "9")
    assert (manifest["heartbeat_interval"], manifest["checkpoints"]) == ("3600", "2")
    assert set(manifest["files"]) == {"entries.jsonl", "checkpoints.jsonl", "VERIFY.txt"}


def test_instructions_name_the_key_fingerprint_the_command_and_the_next_pin(export) -> None:
    text = (export.path / "VERIFY.txt").read_text(encoding="utf-8")
    last = export.checkpoints[-1]
    assert key_id(export.public_key) in text
    assert "python verify_audit_export.py --key" in text
    assert f"--pin {last.size}:{last.head.hex()}" in text
    assert "Vérification hors ligne" in text and "Offline verification" in text


def test_writer_leaves_out_checkpoints_signed_by_another_key(store, log, key, fill,
                                                             tmp_path) -> None:
    fill(1, 2)
    log.checkpoint(Ed25519PrivateKey.generate())
    manifest = write_bundle(tmp_path / "b", store.records(), store.checkpoints(), key,
                            heartbeat_interval=timedelta(hours=1))
    assert manifest["checkpoints"] == "0"


def test_writer_refuses_a_non_empty_directory_and_an_empty_export(store, key, tmp_path,
                                                                  fill) -> None:
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    fill(1, 1)
    with pytest.raises(FileExistsError):
        write_bundle(tmp_path / "used", store.records(), [], key, heartbeat_interval=timedelta(1))
    with pytest.raises(ValueError, match="nothing to export"):
        write_bundle(tmp_path / "empty", [], [], key, heartbeat_interval=timedelta(1))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", sorted(AUDIT_DIR.glob("*.py")), ids=lambda p: p.name)
def test_library_never_imports_the_app_flask_sqlalchemy_or_crypto(path: Path) -> None:
    assert not _imports(path) & {"flask", "sqlalchemy", "ccop_cases", "crypto"}


def test_standalone_verifier_imports_only_stdlib_and_cryptography() -> None:
    imported = _imports(AUDIT_DIR / "verify_audit_export.py")
    assert imported - set(sys.stdlib_module_names) == {"cryptography"}


def test_public_api_is_small_and_documented() -> None:
    assert len(audit.__all__) <= 8
    assert all(getattr(audit, name).__doc__ for name in audit.__all__)
