"""The library stands alone: it never imports the app, Flask, SQLAlchemy or ``audit``."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CRYPTO_DIR = Path(__file__).resolve().parents[2] / "crypto"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    names |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 0}
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("path", sorted(CRYPTO_DIR.rglob("*.py")), ids=lambda p: p.relative_to(CRYPTO_DIR).as_posix())
def test_library_never_imports_the_app_flask_sqlalchemy_or_audit(path: Path) -> None:
    assert not _imports(path) & {"flask", "sqlalchemy", "ccop_cases", "audit", "flask_login", "flask_wtf"}


def test_the_check_sees_an_import_of_the_app(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("from ccop_cases.db import Base\nimport flask\n", encoding="utf-8")
    assert _imports(module) == {"ccop_cases", "flask"}
