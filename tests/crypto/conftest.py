"""Fixtures for the crypto library tests (the library only: no application import)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from crypto import Context, DataKey, FileKeyProvider


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
