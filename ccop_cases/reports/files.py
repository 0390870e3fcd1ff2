"""The downloads of a report: CSV as French spreadsheets expect it, and an OpenDocument
spreadsheet (ODS), both written from the published report (``render.ShownReport``) only.

- CSV: UTF-8 with a byte order mark (so that a spreadsheet reads the accents), ``;`` between
  fields, CRLF line ends; one block per table, its title on the line before its header;
  counts as plain whole numbers, masked values as shown on the page (« < 5 », « s »),
  measures as the page writes them (decimal comma, unit).
- ODS (OpenDocument 1.2, ISO/IEC 26300): a zip whose first entry is the uncompressed
  ``mimetype``, then ``META-INF/manifest.xml``, ``styles.xml`` and ``content.xml``: a first
  sheet « Rapport » (title, scope, period, legend, measures), then one sheet per table named
  by its key; counts as numbers (``office:value-type="float"``), masked values as text.

Written with the standard library (``csv``, ``zipfile``, ``xml.etree``): the format needs
no more, and no dependency sees the data.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from xml.etree import ElementTree as ET

from ccop_cases.reports.render import LEGEND, NO_ROW, Grid, ShownReport
from ccop_cases.reports.suppression import Shown

ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
CSV_MIMETYPE = "text/csv; charset=utf-8"
NS = {
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
    "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0",
}
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same report gives the same bytes

Row = list[str | Shown]


def heading(report: ShownReport) -> list[Row]:
    """The lines that open every file: title, scope, period and the legend of the secret."""
    legend: list[Row] = [[f"« {mark} »", meaning] for mark, meaning in LEGEND]
    return [[report.title], [report.scope], ["Période", report.period.label], *legend]


def grid_rows(grid: Grid) -> Iterator[Row]:
    """The header, then each line: its label, its text columns, then its counts as published."""
    if grid.empty:
        yield [NO_ROW]
        return
    yield list(grid.header)
    for line in grid.lines:
        yield [line.label, *line.extra, *line.cells]


def _texts(rows: Iterator[Row]) -> Iterator[list[str]]:
    """For a spreadsheet: a published count as a plain whole number (the page's « 1 234 »
    would be read as text), a masked one as the page shows it, « < 5 » or « s »; a text
    that a spreadsheet would take for a formula (a FIPD action's title typed « =… ») is
    opened by an apostrophe, so that it stays text."""
    for row in rows:
        yield [_plain(value) if isinstance(value, Shown) else _inert(value) for value in row]


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _inert(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _plain(shown: Shown) -> str:
    return shown.text if shown.value is None else str(shown.value)


def csv_bytes(report: ShownReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    rows: list[Row] = list(heading(report))
    for section in report.sections:
        rows += [[], [section.title]]
        if section.note:
            rows.append([section.note])
        if section.measures:
            rows.append(["Indicateur", "Valeur"])
            rows += [[label, value] for label, value in section.measures]
        for grid in section.grids:
            rows += [[], [grid.title], *grid_rows(grid)]
    writer.writerows(_texts(iter(rows)))  # every line, titles and measures too, through _inert
    return out.getvalue().encode("utf-8-sig")


def _root(name: str, *prefixes: str) -> ET.Element:
    """A document's root element, declaring the namespaces it uses with the specification's
    prefixes (elements are then named ``prefix:local`` as the specification writes them)."""
    version = f"{name.split(':')[0]}:version"
    return ET.Element(name, {**{f"xmlns:{prefix}": NS[prefix] for prefix in prefixes}, version: "1.2"})


def _cell(row: ET.Element, value: str | Shown) -> None:
    """A published count as a number (its text as shown), anything else, a masked count
    included, as text."""
    if isinstance(value, Shown) and value.value is not None:
        cell = ET.SubElement(row, "table:table-cell", {"office:value-type": "float", "office:value": str(value.value)})
    else:
        cell = ET.SubElement(row, "table:table-cell", {"office:value-type": "string"})
    ET.SubElement(cell, "text:p").text = value.text if isinstance(value, Shown) else value


def _sheet(spreadsheet: ET.Element, name: str, rows: list[Row]) -> None:
    table = ET.SubElement(spreadsheet, "table:table", {"table:name": name})
    width = max((len(row) for row in rows), default=1)
    ET.SubElement(table, "table:table-column", {"table:number-columns-repeated": str(width)})
    for values in rows:
        row = ET.SubElement(table, "table:table-row")
        for value in values:
            _cell(row, value)
        if not values:
            ET.SubElement(row, "table:table-cell")


def _summary(report: ShownReport) -> list[Row]:
    rows = heading(report)
    for section in report.sections:
        rows += [[], [section.title]]
        rows += [[section.note]] if section.note else []
        rows += [[label, value] for label, value in section.measures]
        rows += [[f"Tableau « {grid.title} » : feuille {grid.key}"] for grid in section.grids]
    return rows


def _xml(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + bytes(ET.tostring(root, encoding="utf-8"))


def ods_bytes(report: ShownReport) -> bytes:
    content = _root("office:document-content", "office", "table", "text")
    spreadsheet = ET.SubElement(ET.SubElement(content, "office:body"), "office:spreadsheet")
    _sheet(spreadsheet, "Rapport", _summary(report))
    for section in report.sections:
        for grid in section.grids:
            _sheet(spreadsheet, grid.key, [[grid.title], *grid_rows(grid)])
    styles = _root("office:document-styles", "office")
    manifest = _root("manifest:manifest", "manifest")
    for path, media in (("/", ODS_MIMETYPE), ("content.xml", "text/xml"), ("styles.xml", "text/xml")):
        ET.SubElement(manifest, "manifest:file-entry", {"manifest:full-path": path,
                                                              "manifest:media-type": media})
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        # The mimetype first and stored uncompressed, so that it is readable at a fixed offset.
        archive.writestr(zipfile.ZipInfo("mimetype", _FIXED_TIME), ODS_MIMETYPE, zipfile.ZIP_STORED)
        for name, root in (("META-INF/manifest.xml", manifest), ("styles.xml", styles), ("content.xml", content)):
            archive.writestr(zipfile.ZipInfo(name, _FIXED_TIME), _xml(root), zipfile.ZIP_DEFLATED)
    return out.getvalue()
