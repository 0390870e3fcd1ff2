"""The README stays true: it documents every configuration variable the service reads."""

from pathlib import Path

from ccop_cases.settings import KNOWN_VARIABLES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_every_ccop_variable():
    text = README.read_text("utf-8")
    assert [name for name in KNOWN_VARIABLES if f"`{name}`" not in text] == []
