"""The README stays true: it documents every configuration variable the service reads, with
the default the service really uses."""

import re
from pathlib import Path

from ccop_cases.settings import KNOWN_VARIABLES, Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def configuration_table() -> dict[str, str]:
    """Variable -> its default cell, from the rows of the README's configuration table."""
    rows = re.findall(r"^\| `(CCOP_\w+)` \|.*\| ([^|]+) \|$", README.read_text("utf-8"), re.MULTILINE)
    return dict(rows)


def test_readme_lists_every_ccop_variable():
    text = README.read_text("utf-8")
    assert [name for name in KNOWN_VARIABLES if f"`{name}`" not in text] == []


def test_readme_defaults_are_the_service_defaults():
    table = configuration_table()
    assert sorted(table) == sorted(KNOWN_VARIABLES)  # no row for a variable the service ignores
    defaults = Settings.from_env({})  # no variable set: production, the case the table gives first
    # The two defaults the table says in words.
    assert table.pop("CCOP_DATABASE_URL") == "SQLite in the instance dir"
    assert defaults.database_url.startswith(f"sqlite:///{defaults.instance_dir}/")
    assert table.pop("CCOP_MIGRATION_DATABASE_URL") == "`CCOP_DATABASE_URL`"
    assert defaults.owner_database_url == defaults.database_url
    for name, cell in table.items():
        value = getattr(defaults, KNOWN_VARIABLES[name])
        shown = re.match(r"`([^`]*)`|none", cell)  # e.g. `30`, `json` in production, none
        assert shown, f"{name}: no default value in « {cell} »"
        written = shown.group(1) or ""
        if isinstance(value, Path):
            assert Path(written.replace("<instance>", str(defaults.instance_dir))).resolve() == value, name
        elif isinstance(value, bool):
            assert written == ("1" if value else "0"), name
        else:
            assert written == str(value), name
