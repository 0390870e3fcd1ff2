"""The reports' charts, drawn on the server as SVG files from the published values only.

A chart is an image (``<img src>``) of its own route, under the page's Content-Security-Policy:
no script, no ``style`` attribute or element (only SVG presentation attributes), no external
reference. A value hidden by the secret statistique is not drawn: its place is left empty
with its mark (« < 5 » or « s ») and a legend saying the value is masked. The table beside
the chart on the page carries the same values for those who do not see the image.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET

from ccop_cases.reports.render import Grid
from ccop_cases.reports.suppression import SECRET, SMALL

SVG = "http://www.w3.org/2000/svg"
WIDTH = 760
LABEL_WIDTH = 300  # the rows' labels, left of the bars (MAX_LABEL characters at 12 px fit)
BAR_AREA = 380
BAR = 16
GAP = 12
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Arial, sans-serif"
INK, MUTED = "#161616", "#3a3a3a"
# Contrasted colours (each against white at least 3:1), one per series.
COLOURS = ("#000091", "#18753c", "#a94645", "#6e445a", "#716043", "#3558a2")
MAX_LABEL = 40
CHART_LEGEND = (f"« {SMALL} » : effectif de 1 à 4, masqué et non représenté (secret statistique).",
                f"« {SECRET} » : valeur masquée pour protéger un petit effectif, non représentée.")


def _text(parent: ET.Element, x: float, y: float, content: str, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, "text", {"x": f"{x:g}", "y": f"{y:g}", "fill": INK, "font-size": "13",
                                             **attributes})
    element.text = content
    return element


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[:MAX_LABEL - 1].rstrip() + "…"


def bar_chart(grid: Grid) -> bytes:
    """One horizontal bar per row and series, its published value written beside it."""
    series, bars = grid.series, grid.bars()
    values = [shown.value for _label, shown_values in bars for shown in shown_values if shown.value is not None]
    scale = BAR_AREA / max([*values, 1])
    top = 40 + (24 if len(series) > 1 else 0)
    row_height = len(series) * (BAR + 2) + GAP
    height = top + len(bars) * row_height + 56
    root = ET.Element("svg", {"xmlns": SVG, "width": str(WIDTH), "height": str(height),
                              "viewBox": f"0 0 {WIDTH} {height}", "role": "img", "aria-labelledby": "t d",
                              "font-family": FONT})
    ET.SubElement(root, "title", {"id": "t"}).text = grid.title
    ET.SubElement(root, "desc", {"id": "d"}).text = (
        "Diagramme en barres des valeurs publiées du tableau « " + grid.title + " » ; les valeurs masquées "
        "par le secret statistique ne sont pas représentées.")
    ET.SubElement(root, "rect", {"width": str(WIDTH), "height": str(height), "fill": "#ffffff"})
    _text(root, 8, 24, grid.title, **{"font-size": "15", "font-weight": "bold"})
    if len(series) > 1:
        _series_legend(root, series)
    y = top
    for label, shown_values in bars:
        label_element = _text(root, LABEL_WIDTH - 8, y + BAR - 3, _short(label),
                              **{"text-anchor": "end", "font-size": "12"})
        if _short(label) != label:
            ET.SubElement(label_element, "title").text = label
        for index, shown in enumerate(shown_values):
            bar_y = y + index * (BAR + 2)
            if shown.value is None:  # masked: nothing drawn, its mark in the gap
                _text(root, LABEL_WIDTH + 4, bar_y + BAR - 3, f"{shown.text} (valeur masquée)", fill=MUTED,
                      **{"font-style": "italic", "class": "masked"})
                continue
            width = shown.value * scale
            ET.SubElement(root, "rect", {"x": str(LABEL_WIDTH), "y": f"{bar_y:g}", "width": f"{width:.1f}",
                                         "height": str(BAR), "fill": COLOURS[index % len(COLOURS)],
                                         "class": "bar"})
            _text(root, LABEL_WIDTH + width + 6, bar_y + BAR - 3, shown.text, **{"class": "value"})
        y += row_height
    ET.SubElement(root, "line", {"x1": str(LABEL_WIDTH), "y1": str(top - 6), "x2": str(LABEL_WIDTH),
                                 "y2": f"{y - GAP + 6:g}", "stroke": MUTED, "stroke-width": "1"})
    for number, line in enumerate(CHART_LEGEND):
        _text(root, 8, y + 16 + number * 18, line, fill=MUTED, **{"font-size": "12"})
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + bytes(ET.tostring(root, encoding="utf-8"))


def _series_legend(root: ET.Element, series: tuple[str, ...]) -> None:
    x = 8.0
    for index, name in enumerate(series):
        ET.SubElement(root, "rect", {"x": f"{x:g}", "y": "38", "width": "12", "height": "12",
                                     "fill": COLOURS[index % len(COLOURS)]})
        _text(root, x + 16, 49, name, **{"font-size": "12"})
        x += 28 + 7 * len(name)
