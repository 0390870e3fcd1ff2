"""The report files read back with the libraries a reader would use: the CSV with ``csv`` (BOM,
``;``, CRLF), the ODS with odfpy, the charts as XML; each carries the page's published values,
the masked ones as « < 5 » or « s », and nothing else."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from xml.etree import ElementTree as ET

import pytest
from odf import teletype
from odf.opendocument import load
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow
from rendertest import (
    BY_ACTION,
    BY_PURPOSE,
    EMPTY,
    MEASURES,
    OUTCOMES,
    fixed_report,
    page_tables,
    report_world,
    stand_in_builders,
)

from ccop_cases.reports import charts, files, render, suppression
from ccop_cases.reports.model import Period, Table
from ccop_cases.reports.suppression import SECRET, SMALL

PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def shown():
    return render.show(fixed_report("annual", "Groupe CCOP Quartier des Tilleuls", PERIOD))


def _texts(grid: render.Grid) -> list[list[str]]:
    """A published table as the page writes it: header, then each line's texts."""
    return [list(grid.header)] + [[line.label, *line.extra, *(c.text for c in line.cells)] for line in grid.lines]


def _plain(row: list[str]) -> list[str]:
    """The page's texts as the CSV writes them: counts without their thousands separator."""
    return [cell.replace("\u202f", "").replace("\xa0", "") if cell.replace("\u202f", "").isdigit() else cell
            for cell in row]


def _csv_blocks(data: bytes) -> tuple[list[list[str]], dict[str, list[list[str]]]]:
    """The CSV's rows, and each table's block (the rows after its title line, up to a blank line)."""
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: a spreadsheet reads the file as UTF-8
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")  # CRLF, every line
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    blocks, current = {}, None
    for row in rows:
        if not row:
            current = None
        elif current is not None:
            current.append(row)
        elif len(row) == 1 and row[0] in TITLES:
            current = blocks.setdefault(row[0], [])
    return rows, blocks


TITLES = {table.title for table in (BY_PURPOSE, BY_ACTION, OUTCOMES, EMPTY)} | {"Un grand effectif", "Actions FIPD"}


def test_the_csv_parses_back_to_the_published_strings(shown):
    rows, blocks = _csv_blocks(files.csv_bytes(shown))
    assert rows[0] == [shown.title] and rows[2] == ["Période", "du 01/01/2026 au 31/03/2026"]
    for section in shown.sections:
        for grid in section.grids:
            assert blocks[grid.title] == ([[render.NO_ROW]] if grid.empty else [_plain(row) for row in _texts(grid)])
    cells = [cell for block in blocks.values() for row in block for cell in row]
    assert SMALL in cells and SECRET in cells
    on_14, on_3 = MEASURES
    assert [on_14.label, suppression.measure(on_14)] in rows and "12,5" in suppression.measure(on_14)  # decimal comma
    assert [on_3.label, SECRET] in rows  # computed on 3 people: hidden


def _ods_sheets(data: bytes) -> dict[str, list[list[tuple[str | None, str | None, str]]]]:
    """Each sheet's rows: (value type, value, text) of each cell, as odfpy reads them."""
    document = load(io.BytesIO(data))
    return {sheet.getAttribute("name"): [[(c.getAttribute("valuetype"), c.getAttribute("value"),
                                           teletype.extractText(c)) for c in row.getElementsByType(TableCell)]
                                         for row in sheet.getElementsByType(TableRow)]
            for sheet in document.spreadsheet.getElementsByType(OdsTable)}


def test_the_ods_carries_the_same_numbers_and_the_masks_as_text(shown):
    sheets = _ods_sheets(files.ods_bytes(shown))
    assert list(sheets) == ["Rapport", "by_purpose", "outcomes", "by_action", "refusals"]
    assert [[text for _t, _v, text in row] for row in sheets["refusals"]] == [[EMPTY.title], [render.NO_ROW]]
    for section in shown.sections:
        for grid in section.grids:
            if grid.empty:
                continue
            sheet = sheets[grid.key]
            assert [text for _type, _value, text in sheet[0]] == [grid.title]
            assert [[text for _t, _v, text in row] for row in sheet[1:]] == _texts(grid)
            for row, line in zip(sheet[2:], grid.lines, strict=True):
                for (value_type, value, text), cell in zip(row[1 + grid.extra_count:], line.cells, strict=True):
                    if cell.value is None:  # masked: a string, never a number
                        assert (value_type, value, text) == ("string", None, cell.text)
                        assert text in (SMALL, SECRET)
                    else:
                        assert value_type == "float" and float(value) == cell.value
    summary = [[text for _t, _v, text in row] for row in sheets["Rapport"]]
    assert [MEASURES[0].label, suppression.measure(MEASURES[0])] in summary


def test_the_ods_is_a_real_opendocument_package(shown):
    with zipfile.ZipFile(io.BytesIO(files.ods_bytes(shown))) as ods:
        first = ods.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED and not first.extra
        assert ods.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        manifest = ET.fromstring(ods.read("META-INF/manifest.xml"))  # noqa: S314 - our own output
        listed = {entry.get("{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}full-path") for entry in manifest}
        assert listed == {"/", "content.xml", "styles.xml"} and set(ods.namelist()) - {"mimetype"} == {
            "META-INF/manifest.xml", "content.xml", "styles.xml"}
        for name in ("content.xml", "styles.xml"):
            ET.fromstring(ods.read(name))  # noqa: S314 - well-formed


LARGE = Table("large", "Un grand effectif", "Motif", ("Rixes", "Décrochage"), ("Filles", "Garçons"),
              ((1234, 6), (7, 2051)))  # nothing to hide


def test_a_large_count_is_a_plain_number_in_the_csv_and_a_number_in_the_ods():
    report = render.show(fixed_report("annual", "Groupe", PERIOD))
    report = render.ShownReport(report.kind, report.title, report.scope, report.period,
                                (render.ShownSection("Grand", "", (), (render.grid(LARGE),)),))
    _rows, blocks = _csv_blocks(files.csv_bytes(report))
    grid = report.sections[0].grids[0]
    assert blocks[LARGE.title][1][1] == "1234" and blocks[LARGE.title][1][1:] == [
        c.text if c.value is None else str(c.value) for c in grid.lines[0].cells]
    sheet = _ods_sheets(files.ods_bytes(report))["large"]
    assert sheet[2][1][:2] == ("float", "1234") and sheet[2][1][2] == grid.lines[0].cells[0].text


TYPED = Table("typed", "Actions FIPD", "Action", ("=HYPERLINK(\"http://x\";\"clic\")", "+33 6", "-1", "@SUM(A1)",
                                                "Chantier éducatif"), ("Jeunes",), ((6,), (7,), (8,), (9,), (10,)))


def test_a_label_a_spreadsheet_would_take_for_a_formula_stays_text_in_the_csv_and_the_ods():
    """Labels come from what administrators type (a FIPD action's title, a list's label)."""
    report = render.show(fixed_report("annual", "Groupe", PERIOD))
    report = render.ShownReport(report.kind, report.title, report.scope, report.period,
                                (render.ShownSection("Saisies", "", (), (render.grid(TYPED),)),))
    _rows, blocks = _csv_blocks(files.csv_bytes(report))
    labels = [row[0] for row in blocks[TYPED.title][1:6]]
    assert labels == ["'" + label for label in TYPED.rows[:4]] + ["Chantier éducatif"]
    sheet = _ods_sheets(files.ods_bytes(report))["typed"]
    assert [row[0] for row in sheet[2:7]] == [("string", None, label) for label in TYPED.rows]  # text cells


def test_the_same_report_gives_the_same_files(shown):
    assert files.ods_bytes(shown) == files.ods_bytes(shown) and files.csv_bytes(shown) == files.csv_bytes(shown)


# --- charts ---------------------------------------------------------------------------------------------

SMALL_TOTAL = Table("small_total", "Une ligne de 1 à 4", "Motif", ("Rixes", "Décrochage", "Aucun"), ("Jeunes",),
                    ((3,), (10,), (0,)), chart="bars")


def _svg(grid: render.Grid) -> ET.Element:
    data = charts.bar_chart(grid)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ET.fromstring(data)  # noqa: S314 - our own output; raises if not well-formed


@pytest.mark.parametrize("table", [BY_PURPOSE, BY_ACTION, SMALL_TOTAL], ids=lambda t: t.key)
def test_a_chart_draws_only_the_published_values(table):
    grid = render.grid(table)
    root = _svg(grid)
    assert root.tag == f"{SVG}svg" and int(root.get("width")) > 0 and int(root.get("height")) > 0
    values = [shown for _label, row in grid.bars() for shown in row]
    written = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"]
    masked = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "masked"]
    assert written == [v.text for v in values if v.value is not None]
    assert masked == [f"{v.text} (valeur masquée)" for v in values if v.value is None]
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert len(bars) == len(written)  # a masked value has no bar
    published = [v.value for v in values if v.value is not None]
    widths = [float(r.get("width")) for r in bars]
    top = max([*published, 1])
    assert all(abs(w - 380 * v / top) < 0.1 for w, v in zip(widths, published, strict=True))  # drawn to scale
    assert root.find(f"{SVG}title").text == table.title
    assert not [e for e in root.iter() if e.tag in (f"{SVG}script", f"{SVG}style", f"{SVG}image",
                                                    f"{SVG}foreignObject")]
    assert not [e for e in root.iter() if "style" in e.attrib or any(k.endswith("href") for k in e.attrib)]


def test_a_chart_masks_a_small_count_and_says_so():
    grid = render.grid(SMALL_TOTAL)
    texts = [t.text or "" for t in _svg(grid).iter(f"{SVG}text")]
    assert "< 5 (valeur masquée)" in texts
    hidden = [raw for (raw,), (_label, (shown,)) in zip(SMALL_TOTAL.counts, grid.bars(), strict=True)
              if shown.value is None]
    assert 3 in hidden and not [t for t in texts for raw in hidden if t.split(" ")[0] == str(raw)]
    assert any("« < 5 » : effectif de 1 à 4, masqué et non représenté" in t for t in texts)


# --- the files served are the page's -----------------------------------------------------------------


@pytest.fixture
def world(app):
    return report_world(app)


@pytest.mark.parametrize("slug", ["fipd", "annuel", "objectifs"])
def test_the_downloaded_files_carry_the_page_s_values(world, login_as, monkeypatch, slug):
    stand_in_builders(monkeypatch)
    client = login_as(world.coordinator)
    base = f"/rapports/groupes/{world.gov.group.id}/{slug}"
    tables = page_tables(client.get(f"{base}?annee=2025").text)
    _rows, blocks = _csv_blocks(client.get(f"{base}/fichier.csv?annee=2025").data)
    sheets = _ods_sheets(client.get(f"{base}/fichier.ods?annee=2025").data)
    for table in (BY_PURPOSE, OUTCOMES, BY_ACTION):
        assert blocks[table.title] == [_plain(row) for row in tables[table.title]]
        assert [[text for _t, _v, text in row] for row in sheets[table.key][1:]] == tables[table.title]
    assert "2025" in sheets["Rapport"][2][1][2]  # the period asked for
