"""Fixtures for the crypto library tests (the library only: no application import)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from crypto import Context, DataKey, FileKeyProvider
from crypto.testing import softhsm_missing, softhsm_token


@pytest.fixture
def key_dir(tmp_path: Path) -> Path:
    return tmp_path / "keys"


@pytest.fixture
def provider(key_dir: Path) -> FileKeyProvider:
    return FileKeyProvider.init(key_dir)


@pytest.fixture
def dek() -> DataKey:
    return DataKey.generate()


@pytest.fixture
def context() -> Context:
    return Context("case_person", "last_name", uuid.uuid4())


@pytest.fixture(scope="session")
def softhsm_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private SoftHSMv2 token directory for the whole session; skips when SoftHSM is missing."""
    missing = softhsm_missing()
    if missing is not None:
        pytest.skip(missing)
    return tmp_path_factory.mktemp("softhsm")


@pytest.fixture
def softhsm(softhsm_dir: Path) -> tuple[str, str, str]:
    """A fresh, empty token: `(module, label, pin)` (crypto.testing.softhsm_token)."""
    return softhsm_token(softhsm_dir)
