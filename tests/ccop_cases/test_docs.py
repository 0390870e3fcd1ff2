"""The documentation inside the repository stays true: its links resolve inside the
repository, every rule has its row, and every test or module it cites exists, so the docs
cannot silently go stale when code or tests move."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from ccop_cases.cli import main
from ccop_cases.settings import KNOWN_VARIABLES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("ccop-*"))

FENCE = re.compile(r"^(```|~~~).*?^\1", re.M | re.S)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s{0,3}\[[^\]\n]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
EXTERNAL = ("http://", "https://", "mailto:")
# `tests/<path>.py::test_name`; a parametrized test is cited without its [id].
TEST_CITATION = re.compile(r"\b(tests/[\w/]+\.py)::(\w+)")
# `ccop_cases/<path>.py` (not inside tests/…), then optionally `name`, `name`… it defines.
MODULE_CITATION = re.compile(r"(?<![\w/.])`((?:ccop_cases|crypto|audit|migrations)/[\w/]+\.py)`((?:,? `\w+`)*)")
RULE_ROW = re.compile(r"^\|\s*(R\d+)\s*\|(.*)$", re.M)


def _prose(text: str) -> str:
    """The text a reader follows links in: code blocks and code spans removed."""
    return INLINE_CODE.sub("", FENCE.sub("", text))


def _slug(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's rule) gives a heading."""
    text = re.sub(r"[`*]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    found: set[str] = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*\s*$", FENCE.sub("", page.read_text("utf-8")), re.M):
        slug, n = _slug(heading), 1
        while slug in found:  # a repeated heading gets -1, -2…
            slug = f"{_slug(heading)}-{n}"
            n += 1
        found.add(slug)
    return found


def _links(page: Path) -> list[str]:
    prose = _prose(page.read_text("utf-8"))
    return LINK.findall(prose) + REFERENCE.findall(prose)


def _link_problem(page: Path, link: str) -> str | None:
    if link.lower().startswith(EXTERNAL):
        return None
    if SCHEME.match(link) or link.startswith(("/", "\\")):
        return "not a path relative to the page"
    path, _, anchor = link.partition("#")
    target = (page.parent / path).resolve() if path else page
    if not target.is_relative_to(ROOT):
        return "outside the repository"
    if not target.exists():
        return "no such file"
    if anchor and target.suffix == ".md" and anchor not in _anchors(target):
        return f"no heading with anchor #{anchor} in {target.relative_to(ROOT)}"
    return None


def _links_of(tmp_path: Path, text: str) -> list[str]:
    page = tmp_path / "page.md"
    page.write_text(text, "utf-8")
    return _links(page)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves_inside_the_repository(page):
    links = _links(page)
    assert links or page.name != "README.md"  # the parser still finds the README's links
    problems = [(link, why) for link in links if (why := _link_problem(page, link))]
    assert problems == []


def test_the_link_check_would_catch_a_link_out_of_the_repository(tmp_path):
    """Guards the test above: the checks it relies on do fail."""
    readme = ROOT / "README.md"
    assert _link_problem(readme, "../shared/docs/RULES.md") == "outside the repository"
    assert _link_problem(readme, "docs/nowhere.md") == "no such file"
    assert _link_problem(readme, "file:///etc/passwd") == "not a path relative to the page"
    assert _link_problem(readme, "docs/rules.md#no-such-heading").startswith("no heading")
    assert _link_problem(readme, "https://example.org/x") is None
    assert _link_problem(readme, "#configuration") is None and _link_problem(readme, "docs/rules.md") is None
    assert _links_of(tmp_path, "[a](x.md) `[b](y.md)` ![c](<z.png>)\n```\n[d](w.md)\n```\n[e]: v.md\n") == \
        ["x.md", "z.png", "v.md"]


def test_docs_holds_the_four_documents():
    for name in ("architecture.md", "rules.md", "operations.md", "performance.md"):
        assert (DOCS / name).is_file(), name


def test_readme_is_at_most_150_lines():
    assert len((ROOT / "README.md").read_text("utf-8").splitlines()) <= 150


def _rule_rows() -> dict[str, str]:
    return dict(RULE_ROW.findall((DOCS / "rules.md").read_text("utf-8")))


def test_every_rule_has_its_row_with_its_tests_or_says_it_has_none():
    rows = _rule_rows()
    assert sorted(rows, key=lambda r: int(r[1:])) == [f"R{n}" for n in range(1, 24)]
    assert [rule for rule, row in rows.items()
            if not TEST_CITATION.search(row) and "no automated test" not in row] == []


def _citations(pattern: re.Pattern[str]) -> list[tuple[str, str, str]]:
    return [(page.name, *match) for page in PAGES for match in pattern.findall(page.read_text("utf-8"))]


def _defines(path: Path, name: str) -> bool:
    text = path.read_text("utf-8")
    return re.search(rf"^\s*(?:async\s+)?(?:def|class)\s+{name}\b|^{name}\s*[:=]", text, re.M) is not None


def test_every_cited_test_exists():
    citations = _citations(TEST_CITATION)
    assert len(citations) >= 23  # the rules page cites tests: the pattern still finds them
    missing = [(page, f"{path}::{name}") for page, path, name in citations
               if not (ROOT / path).is_file() or not _defines(ROOT / path, name)]
    assert missing == []


def test_every_cited_module_and_function_exists():
    citations = _citations(MODULE_CITATION)
    assert citations  # the rules page says where each rule is enforced
    missing = [(page, path, name) for page, path, names in citations
               for name in (re.findall(r"`(\w+)`", names) or [""])
               if not (ROOT / path).is_file() or (name and not _defines(ROOT / path, name))]
    assert missing == []


def _code(path: Path) -> list[str]:
    """What a reader copies: code spans and blocks of a page, a unit file whole."""
    text = path.read_text("utf-8")
    if path.suffix != ".md":
        return [text]
    blocks = [m.group(0) for m in FENCE.finditer(text)]
    return blocks + [span.strip("`") for span in INLINE_CODE.findall(FENCE.sub("", text))]


def _command_problem(words: list[str]) -> str | None:
    """Walk ``ccop WORD…`` down the command groups; at the command, check its --options."""
    command: click.Command = main
    path = ["ccop"]
    for word in words:
        if isinstance(command, click.Group):
            if command is main and not re.fullmatch(r"[a-z][\w-]*", word):
                return None  # `ccop` followed by no command word: a user name, not a command line
            found = command.get_command(click.Context(command), word)
            if found is None:
                return f"no command {word!r} in {' '.join(path)}"
            command, path = found, [*path, word]
        elif word.startswith("--"):
            options = {"--help", *(option for param in command.params for option in param.opts)}
            if word.split("=")[0] not in options:
                return f"no option {word} of {' '.join(path)}"
    return None


def test_every_ccop_command_and_option_cited_exists():
    """``ccop users grant``, ``ccop retention run --dry-run``… in the README, the docs and the
    systemd units name real commands and options."""
    problems, seen = [], 0
    for path in [*PAGES, *UNITS]:
        for code in _code(path):
            for line in code.splitlines():
                for match in re.finditer(r"(?<![^\s/(`])ccop (?=([^#\n`();,'\"|]*))", line):
                    words = match.group(1).split()
                    seen += 1
                    if (problem := _command_problem(words)) is not None:
                        problems.append((path.name, line.strip(), problem))
    assert seen >= 20 and problems == []
    assert _command_problem(["users", "delete"]) == "no command 'delete' in ccop users"  # the walk can fail
    assert _command_problem(["retention", "run", "--dry"]) == "no option --dry of ccop retention run"


def test_every_ccop_variable_cited_exists():
    texts = [path.read_text("utf-8") for path in [*PAGES, *UNITS]]
    cited = {name for text in texts for name in re.findall(r"\bCCOP_[A-Z_]*[A-Z]\b", text)}
    assert "CCOP_PROXY_HOPS" in cited and sorted(cited - set(KNOWN_VARIABLES)) == []
