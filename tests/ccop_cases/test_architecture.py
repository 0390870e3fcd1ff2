"""The shape of the code, checked: one owner of transactions, access decided in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "ccop_cases"
MODULES = sorted(APP.rglob("*.py"))
TEMPLATES = sorted((APP / "templates").rglob("*.html"))

ROLES = {"member", "coordonnateur", "president", "dpo"}
CASE_STATES = {"proposed", "followed", "closed", "archived", "purged"}


def _name(path: Path) -> str:
    return path.relative_to(APP.parent).as_posix()


def _calls(tree: ast.AST, methods: set[str]) -> list[int]:
    return [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute) and node.func.attr in methods]


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_only_the_unit_of_work_commits_or_rolls_back(path: Path) -> None:
    if _name(path) == "ccop_cases/work.py":
        assert _calls(ast.parse(path.read_text("utf-8")), {"commit", "rollback"})  # it does own them
        return
    assert _calls(ast.parse(path.read_text("utf-8")), {"commit", "rollback"}) == []


def _compared(node: ast.Compare) -> list[ast.expr]:
    return [node.left, *node.comparators]


def _role_or_state_comparisons(tree: ast.AST) -> list[int]:
    """Lines comparing a role or a case state: an instance's ``.role``/``.state`` (not a
    mapped column such as ``Case.state`` in a query), or a role or state literal."""
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        for side in _compared(node):
            instance = (isinstance(side, ast.Attribute) and side.attr in {"role", "state"}
                        and not (isinstance(side.value, ast.Name) and side.value.id[:1].isupper()))
            literal = isinstance(side, ast.Constant) and side.value in ROLES | CASE_STATES
            literals = isinstance(side, ast.Tuple | ast.Set | ast.List) and any(
                isinstance(e, ast.Constant) and e.value in ROLES | CASE_STATES for e in side.elts)
            if instance or literal or literals:
                lines.append(node.lineno)
    return lines


# The vocabulary's own definitions (enums, the case transition table) and the decision.
DECIDERS = ("ccop_cases/access/", "ccop_cases/cases/models.py", "ccop_cases/charter/models.py",
            "ccop_cases/rights/lists.py")  # a rights request's states


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_no_module_outside_access_compares_a_role_or_a_case_state(path: Path) -> None:
    if _name(path).startswith(DECIDERS):
        return
    assert _role_or_state_comparisons(ast.parse(path.read_text("utf-8"))) == []


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.relative_to(APP).as_posix())
def test_no_template_compares_a_role_or_a_case_state(path: Path) -> None:
    text = path.read_text("utf-8")
    words = "|".join(ROLES | CASE_STATES)
    pattern = r"\.(role|state)\s*(==|!=|\bin\b|\bnot in\b)|(==|!=)\s*['\"](" + words + r")['\"]"
    assert re.findall(pattern, text) == []


# The plain-row reads (on the session's connection, no ORM object) go through ``db.rows``,
# from the three query modules only; ``work.begin_read`` opens the read transaction and the
# audit store appends on the connection (its three statements on every audited request).
CONNECTION_USERS = {"ccop_cases/db.py", "ccop_cases/work.py", "ccop_cases/auditing/store.py"}
ROWS_USERS = {"ccop_cases/access/standing.py", "ccop_cases/cases/queries.py", "ccop_cases/identities/queries.py"}


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_plain_row_reads_only_through_the_one_helper_in_the_query_modules(path: Path) -> None:
    tree = ast.parse(path.read_text("utf-8"))
    if _name(path) not in CONNECTION_USERS:
        assert _calls(tree, {"connection"}) == []
    helper_calls = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name) and node.func.id == "rows"]
    if _name(path) not in ROWS_USERS:
        assert helper_calls == []


def test_the_checks_above_see_what_they_look_for() -> None:
    tree = ast.parse('if m.role == "coordonnateur" or case.state in ("proposed",) or x == "purged": s.commit()')
    assert _role_or_state_comparisons(tree) and _calls(tree, {"commit"})
    assert _calls(ast.parse("db.connection().execute(q)"), {"connection"})
    assert not _role_or_state_comparisons(ast.parse("q = select(Case).where(Case.state != CaseState.PURGED)"))


def test_every_package_of_the_app_is_held_by_the_bridge_contracts() -> None:
    """A new package must be listed in the contracts that keep audit/ and crypto/ behind their
    bridges (pyproject.toml), or it could import them unseen."""
    import tomllib

    contracts = tomllib.loads((APP.parent / "pyproject.toml").read_text("utf-8"))["tool"]["importlinter"]["contracts"]
    top = {f"ccop_cases.{p.stem if p.is_file() else p.name}" for p in APP.iterdir()
           if (p.is_file() and p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").is_file()}
    for bridge, library in (("ccop_cases.auditing", "audit"), ("ccop_cases.encryption", "crypto")):
        [contract] = [c for c in contracts if c.get("forbidden_modules") == [library]]
        assert top - {bridge} == set(contract["source_modules"]), library
