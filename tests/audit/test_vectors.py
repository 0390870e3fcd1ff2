"""Item 8: the shipped test vectors (audit/testdata/) pin what FORMAT.md's verifier contract
says: the verifier gives each vector's exit code and exact lines, every documented problem
code is produced by some vector, and the committed vectors are what the generator makes."""

import json
import re
from pathlib import Path

import pytest

import audit
from audit.testdata.generate import generate
from audit.verify_audit_export import INCOMPLETE_CODES, main

AUDIT = Path(audit.__file__).resolve().parent
TESTDATA = AUDIT / "testdata"
TABLE = json.loads((TESTDATA / "vectors.json").read_text(encoding="utf-8"))
VECTORS = TABLE["vectors"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_item8_the_verifier_gives_each_vector_its_exit_code_and_exact_lines(
        vector: dict, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(TESTDATA)
    assert main(vector["args"]) == vector["exit"]
    assert capsys.readouterr().out.splitlines() == vector["stdout"]


def _documented_codes() -> dict[str, str]:
    """code -> status, from the problem-code table of FORMAT.md §9."""
    text = (AUDIT / "FORMAT.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_]+)` \| (tampered|incomplete) \|", text, re.MULTILINE)
    return dict(rows)


def test_item8_every_documented_problem_code_is_produced_by_a_vector() -> None:
    documented = _documented_codes()
    produced = {line.split(": ")[1] for v in VECTORS for line in v["stdout"][:-1]}
    assert len(documented) >= 20
    assert sorted(set(documented) - produced) == []
    assert sorted(produced - set(documented)) == []  # and nothing undocumented


def test_item8_the_documented_status_of_each_code_is_the_verifiers() -> None:
    documented = _documented_codes()
    assert {c for c, status in documented.items() if status == "incomplete"} == INCOMPLETE_CODES


def test_item8_each_exit_code_has_vectors_and_each_usage_error_prints_nothing() -> None:
    assert {v["exit"] for v in VECTORS} == {0, 1, 2, 3}
    assert all(v["stdout"] == [] for v in VECTORS if v["exit"] == 3)
    assert all(len(v["stdout"]) >= 1 for v in VECTORS if v["exit"] != 3)


def test_item8_the_committed_vectors_are_what_the_generator_produces(tmp_path: Path) -> None:
    generate(tmp_path)

    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
                if p.is_file()}

    assert tree(tmp_path / "vectors") == tree(TESTDATA / "vectors")
    assert (tmp_path / "vectors.json").read_bytes() == (TESTDATA / "vectors.json").read_bytes()


def test_item8_each_rule_of_the_verifier_contract_cites_vectors_that_exist() -> None:
    text = (AUDIT / "FORMAT.md").read_text(encoding="utf-8")
    contract = text[text.index("## 8. Verifier contract"):text.index("## 9.")]
    rules = re.split(r"\n\*\*(C\d+)\. ", contract)[1:]
    names = {v["name"] for v in VECTORS}
    assert [rules[i] for i in range(0, len(rules), 2)] == [f"C{n}" for n in range(1, 23)]
    for rule, text_of_rule in zip(rules[::2], rules[1::2], strict=True):
        body = " ".join(text_of_rule.split())
        cited = set(re.findall(r"`([a-z0-9_]+)`", body.split("Vector")[-1])) & names
        assert cited or "Vectors: all" in body or "every `usage_*`" in body, rule
        assert set(re.findall(r"`((?:valid|usage)_[a-z0-9_]+)`", body)) <= names, rule
