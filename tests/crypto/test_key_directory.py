"""File key provider: layout, permissions, refusals, canary, purpose keys."""

from __future__ import annotations

import json
import os
import pickle
import stat
import uuid
from pathlib import Path

import pytest

from crypto import Context, DataKey, FileKeyProvider, KeyProvider, KeyStoreError

PURPOSES = ("blind-index", "totp-secret", "session", "audit-signing")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_creates_manifest_root_first_kek_and_canary(key_dir: Path) -> None:
    provider = FileKeyProvider.init(key_dir)
    names = {p.name for p in key_dir.iterdir()} - {".lock"}
    assert names == {"manifest.json", "root.key", "kek-v1.key", "canary.json"}
    manifest = json.loads((key_dir / "manifest.json").read_text())
    assert manifest["current"] == "v1" and manifest["versions"] == {"v1": "active"}
    assert provider.current_key_id == "v1"


def test_key_files_are_0600_and_directory_0700(key_dir: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        provider = FileKeyProvider.init(key_dir)
        provider.add_version()
    finally:
        os.umask(old_umask)
    assert _mode(key_dir) == 0o700
    assert {p.name: _mode(p) for p in key_dir.iterdir()} == dict.fromkeys(
        [".lock", "manifest.json", "root.key", "kek-v1.key", "kek-v2.key", "canary.json"], 0o600
    )


def test_init_refuses_to_overwrite_an_existing_directory(key_dir: Path) -> None:
    FileKeyProvider.init(key_dir)
    before = {p.name: p.read_bytes() for p in key_dir.iterdir()}
    with pytest.raises(KeyStoreError, match="refusing to overwrite"):
        FileKeyProvider.init(key_dir)
    assert {p.name: p.read_bytes() for p in key_dir.iterdir()} == before


def test_init_refuses_a_non_empty_directory(key_dir: Path) -> None:
    key_dir.mkdir()
    (key_dir / "root.key").write_bytes(os.urandom(32))
    with pytest.raises(KeyStoreError, match="refusing to overwrite"):
        FileKeyProvider.init(key_dir)


def test_init_accepts_an_empty_directory_and_closes_it(key_dir: Path) -> None:
    key_dir.mkdir(mode=0o755)
    FileKeyProvider.init(key_dir)
    assert _mode(key_dir) == 0o700


def test_init_refuses_a_directory_inside_a_git_working_tree(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    with pytest.raises(KeyStoreError, match="git working tree"):
        FileKeyProvider.init(tmp_path / "repo" / "keys")
    assert not (tmp_path / "repo" / "keys").exists()


def test_init_inside_a_git_working_tree_needs_an_explicit_development_flag(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    provider = FileKeyProvider.init(tmp_path / "repo" / "instance" / "keys", allow_in_repository=True)
    assert provider.current_key_id == "v1"


def test_open_refuses_a_missing_directory(key_dir: Path) -> None:
    with pytest.raises(KeyStoreError, match="not found"):
        FileKeyProvider.open(key_dir)


@pytest.mark.parametrize("name", ["manifest.json", "root.key", "kek-v1.key", "canary.json"])
def test_open_refuses_when_a_key_file_is_missing(key_dir: Path, name: str) -> None:
    FileKeyProvider.init(key_dir)
    (key_dir / name).unlink()
    with pytest.raises(KeyStoreError, match="missing"):
        FileKeyProvider.open(key_dir)


@pytest.mark.parametrize("name", ["manifest.json", "root.key", "kek-v1.key", "canary.json"])
def test_open_refuses_a_key_file_readable_by_others(key_dir: Path, name: str) -> None:
    FileKeyProvider.init(key_dir)
    (key_dir / name).chmod(0o644)
    with pytest.raises(KeyStoreError, match="chmod 600"):
        FileKeyProvider.open(key_dir)


def test_open_refuses_a_directory_open_to_others(key_dir: Path) -> None:
    FileKeyProvider.init(key_dir)
    key_dir.chmod(0o755)
    with pytest.raises(KeyStoreError, match="open to group or others"):
        FileKeyProvider.open(key_dir)


def test_open_refuses_a_malformed_manifest(key_dir: Path) -> None:
    FileKeyProvider.init(key_dir)
    (key_dir / "manifest.json").write_text('{"format": 1, "current": "v2"}')
    with pytest.raises(KeyStoreError, match="malformed key manifest"):
        FileKeyProvider.open(key_dir)


@pytest.mark.parametrize("name", ["kek-v1.key", "root.key"])
def test_canary_check_fails_on_a_wrong_key(key_dir: Path, name: str) -> None:
    FileKeyProvider.init(key_dir)
    (key_dir / name).write_bytes(os.urandom(32))
    with pytest.raises(KeyStoreError, match=r"canary .* does not decrypt"):
        FileKeyProvider.open(key_dir)


def test_canary_check_fails_on_key_files_from_another_directory(tmp_path: Path) -> None:
    first = FileKeyProvider.init(tmp_path / "first")
    FileKeyProvider.init(tmp_path / "second")
    (tmp_path / "second" / "canary.json").replace(tmp_path / "first" / "canary.json")
    with pytest.raises(KeyStoreError, match="canary"):
        first.check()


def test_canary_check_fails_on_a_missing_canary(provider: FileKeyProvider, key_dir: Path) -> None:
    (key_dir / "canary.json").unlink()
    with pytest.raises(KeyStoreError, match="missing key file"):
        provider.check()


def test_canary_check_fails_on_a_truncated_key(provider: FileKeyProvider, key_dir: Path) -> None:
    (key_dir / "kek-v1.key").write_bytes(b"short")
    with pytest.raises(KeyStoreError, match="does not hold 32 bytes"):
        provider.check()


def test_canary_follows_rotation(provider: FileKeyProvider, key_dir: Path) -> None:
    provider.add_version()
    provider.retire("v1", in_use=())
    assert json.loads((key_dir / "canary.json").read_text())["kek_id"] == "v2"
    FileKeyProvider.open(key_dir).check()


def test_purpose_keys_are_distinct_from_each_other_and_from_keks(provider: FileKeyProvider, key_dir: Path) -> None:
    secrets = [provider.purpose_key(p).secret_bytes() for p in PURPOSES]
    key_ids = [provider.purpose_key(p).key_id for p in PURPOSES]
    files = [path.read_bytes() for path in key_dir.glob("*.key")]
    assert len(set(secrets + files)) == len(PURPOSES) + 2
    assert len(set(key_ids)) == len(PURPOSES)


def test_purpose_keys_are_stable_across_opens_and_rotation(key_dir: Path) -> None:
    first = FileKeyProvider.init(key_dir)
    before = {p: first.purpose_key(p).secret_bytes() for p in PURPOSES}
    first.add_version()
    again = FileKeyProvider.open(key_dir)
    assert {p: again.purpose_key(p).secret_bytes() for p in PURPOSES} == before


def test_purpose_keys_differ_between_key_directories(tmp_path: Path) -> None:
    first = FileKeyProvider.init(tmp_path / "a").purpose_key("session")
    second = FileKeyProvider.init(tmp_path / "b").purpose_key("session")
    assert first.secret_bytes() != second.secret_bytes()


def test_purpose_key_refuses_an_unknown_purpose(provider: FileKeyProvider) -> None:
    with pytest.raises(ValueError, match="unknown key purpose"):
        provider.purpose_key("flask-secret-key")


def test_totp_secret_round_trips_under_its_purpose_key(provider: FileKeyProvider) -> None:
    key = provider.purpose_key("totp-secret")
    ctx = Context("person", "totp_secret", uuid.uuid4())
    sealed = key.encrypt(b"JBSWY3DPEHPK3PXP", context=ctx)
    reopened = FileKeyProvider.open(provider.directory).purpose_key("totp-secret")
    assert reopened.decrypt(sealed, context=ctx) == b"JBSWY3DPEHPK3PXP"


def test_provider_and_purpose_key_reprs_show_no_key_bytes(provider: FileKeyProvider) -> None:
    text = repr(provider) + repr(provider.purpose_key("session"))
    for path in provider.directory.glob("*.key"):
        assert path.read_bytes().hex() not in text


def test_provider_refuses_to_be_pickled(provider: FileKeyProvider) -> None:
    with pytest.raises(TypeError):
        pickle.dumps(provider)


def test_file_provider_satisfies_the_provider_interface(provider: FileKeyProvider) -> None:
    def use(keys: KeyProvider) -> str:
        kek_id, _ = DataKey.generate().wrap(keys, unit_id=uuid.uuid4())
        keys.check()
        return kek_id

    assert use(provider) == provider.current_key_id
