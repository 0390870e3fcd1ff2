"""The reports' pages (issue 15): the FIPD evaluation per council, and each group's FIPD
evaluation, annual report (R16) and objectives; each with its charts (SVG files), a print
view and its downloads (CSV, ODS), every download audited with codes only.

Access first (a council through the console's decision on it, a group through
``report.group``), then the period; a bad period is a French 400 and nothing is computed.
Everything shown or exported goes through ``render.show``: small cells suppressed.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, g, render_template, request, url_for
from sqlalchemy import select
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from ccop_cases.access.loaders import duty, load_console, load_report_group, on_report_group
from ccop_cases.access.permissions import permission
from ccop_cases.charter.models import Council, Membership, WorkingGroup
from ccop_cases.reports import charts, files, render, services
from ccop_cases.reports.model import KINDS, Period, Report
from ccop_cases.security.inputs import BadInput
from ccop_cases.web import runtime as rt

bp = Blueprint("reports", __name__, url_prefix="/rapports")
Page = str | Response | tuple[str, int]

# The URL's word for each kind of report, and the start of its files' names.
SLUGS = {"fipd": "fipd", "annuel": "annual", "objectifs": "objectives"}
FILE_NAMES = {"fipd": "bilan-fipd", "annual": "rapport-annuel", "objectives": "objectifs"}
FORMATS = {"csv": files.CSV_MIMETYPE, "ods": files.ODS_MIMETYPE}
FIRST_YEAR = 2000
PERIOD_ARGS = ("du", "au", "annee")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
          "novembre", "décembre")
_MONTH = re.compile(r"([0-9]{4})-(0[1-9]|1[0-2])")
_YEAR = re.compile(r"[0-9]{4}")


class BadPeriod(BadInput):
    """A period the report cannot be computed for: its French message names the field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Choice:
    """The period asked for: whole months (the FIPD report) or a calendar year."""

    period: Period
    year: int | None  # the annual and objectives reports: a calendar year
    args: dict[str, str]  # as the query string gives it again (links, form)

    @property
    def codes(self) -> dict[str, str]:
        """The period as the trail and the file names keep it: months, or a year."""
        if self.year is not None:
            return {"year": str(self.year)}
        return {"start": f"{self.period.start:%Y-%m}", "end": f"{self.period.end:%Y-%m}"}


def _month_end(first: date) -> date:
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _month(args: Mapping[str, str], name: str) -> date | None:
    raw = args.get(name, "")
    if not raw:
        return None
    found = _MONTH.fullmatch(raw)
    if found is None or int(found.group(1)) < FIRST_YEAR:
        raise BadPeriod(f"Période invalide : « {name} » s’écrit comme un mois AAAA-MM, par exemple 2026-01 "
                        f"(à partir de {FIRST_YEAR}).", name)
    return date(int(found.group(1)), int(found.group(2)), 1)


def _year(args: Mapping[str, str], today: date) -> int:
    raw = args.get("annee", "")
    if not raw:
        return today.year
    if not _YEAR.fullmatch(raw) or int(raw) < FIRST_YEAR:
        raise BadPeriod(f"Année invalide : « annee » s’écrit avec quatre chiffres, par exemple {today.year} "
                        f"(à partir de {FIRST_YEAR}).", "annee")
    if int(raw) > today.year:
        raise BadPeriod(f"L’année {raw} n’est pas encore commencée : choisissez une année jusqu’à {today.year}.",
                        "annee")
    return int(raw)


def choose_period(args: Mapping[str, str], kind: str, today: date) -> Choice:
    """The period of the query string (``du``/``au`` as months, or ``annee``), by default the
    current year to date; a French 400 (``BadPeriod``) for a malformed, reversed or future one.

    The FIPD report takes months or a year; the annual and objectives reports a year only."""
    given = {name: value for name, value in args.items() if name in PERIOD_ARGS and value}
    this_month = today.replace(day=1)
    months = {"du", "au"} & given.keys()
    if months and kind != "fipd":
        raise BadPeriod("Ce rapport porte sur une année civile : indiquez « annee » (par exemple "
                        f"annee={today.year}), pas de mois « du » ni « au ».", sorted(months)[0])
    if months and "annee" in given:
        raise BadPeriod("Indiquez soit une année (« annee »), soit des mois (« du » et « au »), pas les deux.",
                        "annee")
    if not months:
        year = _year(given, today)
        end = date(year, 12, 31) if year < today.year else _month_end(this_month)
        period = Period(date(year, 1, 1), end)
        if kind == "fipd":
            return Choice(period, None, {"du": f"{period.start:%Y-%m}", "au": f"{period.end:%Y-%m}"})
        return Choice(period, year, {"annee": str(year)})
    start, last = _month(given, "du"), _month(given, "au")
    start = start or (last or this_month).replace(month=1)
    last = last or min(start.replace(month=12), this_month)
    if start > this_month:
        raise BadPeriod(f"Période dans le futur : « du » ({start:%Y-%m}) est après le mois en cours "
                        f"({MONTHS[today.month - 1]} {today.year}).", "du")
    if last > this_month:
        raise BadPeriod(f"Période dans le futur : « au » ({last:%Y-%m}) est après le mois en cours "
                        f"({MONTHS[today.month - 1]} {today.year}).", "au")
    if start > last:
        raise BadPeriod(f"Période inversée : « du » ({start:%Y-%m}) est après « au » ({last:%Y-%m}).", "au")
    return Choice(Period(start, _month_end(last)), None, {"du": f"{start:%Y-%m}", "au": f"{last:%Y-%m}"})


@dataclass(frozen=True)
class Subject:
    """What a report is about: a council (its FIPD report) or one group, as reached."""

    kind: str
    council: Council
    group: WorkingGroup | None

    @property
    def target(self) -> tuple[str, uuid.UUID]:
        """The trail's target: the group, or the council."""
        return ("working_group", self.group.id) if self.group else ("council", self.council.id)

    def url(self, endpoint: str, **values: Any) -> str:
        if self.group is None:
            return url_for(f"reports.council{endpoint}", council_id=self.council.id, **values)
        return url_for(f"reports.group{endpoint}", group_id=self.group.id, slug=_slug(self.kind), **values)


def _slug(kind: str) -> str:
    return next(slug for slug, known in SLUGS.items() if known == kind)


def _titles() -> dict[str, str]:
    """Each kind's title, by its URL word."""
    return {slug: KINDS[kind] for slug, kind in SLUGS.items()}


def _council(council_id: uuid.UUID) -> Subject:
    """A council's FIPD report: the administrator presiding it (404 for another council's)."""
    return Subject("fipd", load_console(Council, council_id), None)


def _group(group_id: uuid.UUID, slug: str) -> Subject:
    """A group's report: the administrator presiding its council, or its coordonnateur."""
    group = load_report_group(group_id)
    return Subject(SLUGS[slug], rt.db().get_one(Council, group.council_id), group)


def _build(subject: Subject, choice: Choice) -> Report:
    work, group = rt.work(), subject.group
    if subject.kind == "fipd":
        return services.fipd(work, subject.council.id, choice.period, group_id=group.id if group else None)
    # The other kinds are a group's, for a calendar year (``choose_period``).
    assert group is not None and choice.year is not None  # noqa: S101
    builder = services.annual if subject.kind == "annual" else services.objectives
    return builder(work, group.id, choice.year)


def _period_args() -> dict[str, str]:
    """The period's parameters of the query string, each given once."""
    for name in PERIOD_ARGS:
        if len(request.args.getlist(name)) > 1:
            raise BadPeriod(f"Période invalide : « {name} » est indiqué deux fois.", name)
    return {name: request.args[name] for name in PERIOD_ARGS if name in request.args}


def _shown(subject: Subject) -> tuple[render.ShownReport, Choice]:
    choice = choose_period(_period_args(), subject.kind, rt.today())
    return render.show(_build(subject, choice)), choice


def _page(subject: Subject, template: str) -> Page:
    today = rt.today()
    values: dict[str, Any] = {
        "subject": subject, "title": KINDS[subject.kind], "legend": render.LEGEND, "no_row": render.NO_ROW,
        "kinds": _titles(),
        "name": subject.group.name if subject.group else subject.council.name, "slug": _slug(subject.kind),
        "years": range(today.year, max(FIRST_YEAR, today.year - 9) - 1, -1), "this_month": f"{today:%Y-%m}",
        "first_year": FIRST_YEAR}
    try:
        report, choice = _shown(subject)
    except BadPeriod as exc:
        if template != "reports/report.html":
            raise
        return render_template(template, report=None, error=exc.description, error_field=exc.field,
                               asked=request.args, args={}, **values), 400
    return render_template(template, report=report, error=None, error_field=None, asked=choice.args,
                           args=choice.args, printed_at=rt.now(), **values)


def _chart(subject: Subject, key: str) -> Response:
    report, _choice = _shown(subject)
    grid = report.grid(key)
    if grid is None or grid.chart is None or grid.empty:
        raise NotFound()
    return Response(charts.bar_chart(grid), mimetype="image/svg+xml")


def _file(subject: Subject, fmt: str) -> Response:
    """The report as a file, its download audited in the same transaction (committed as the view returns)."""
    report, choice = _shown(subject)
    body = files.csv_bytes(report) if fmt == "csv" else files.ods_bytes(report)
    target_type, target_id = subject.target
    rt.work().audit.record("report.downloaded", target_type, target_id, kind=subject.kind, format=fmt,
                           **choice.codes)
    period = "-".join(choice.codes.values())
    name = f"{FILE_NAMES[subject.kind]}-{period}-{str(target_id)[:8]}.{fmt}"
    response = Response(body, mimetype=FORMATS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/")
@permission("authenticated")
def index() -> Page:
    """The reports the person may open: their councils' and groups' (administrator), their
    groups' (coordonnateur)."""
    db = rt.db()
    councils = [c for c in db.scalars(select(Council).where(Council.president_id == g.person.id)
                                      .order_by(Council.name)) if duty("console.manage", c.id).allowed]
    presided = [c.id for c in councils]
    candidates = db.scalars(select(WorkingGroup).where(
        WorkingGroup.council_id.in_(presided) | WorkingGroup.id.in_(
            select(Membership.group_id).where(Membership.person_id == g.person.id)))
        .order_by(WorkingGroup.name)).all()
    groups = [group for group in candidates if on_report_group(group.id).allowed]
    return render_template("reports/index.html", councils=councils, groups=groups, kinds=_titles())


@bp.route("/conseils/<uuid:council_id>/fipd")
@permission("console")
def council(council_id: uuid.UUID) -> Page:
    """The council's FIPD report: every group's actions funded by the FIPD, for the préfecture."""
    return _page(_council(council_id), "reports/report.html")


@bp.route("/conseils/<uuid:council_id>/fipd/impression")
@permission("console")
def council_print(council_id: uuid.UUID) -> Page:
    """The council's FIPD report to print."""
    return _page(_council(council_id), "reports/print.html")


@bp.route("/conseils/<uuid:council_id>/fipd/graphique/<key>.svg")
@permission("console")
def council_chart(council_id: uuid.UUID, key: str) -> Response:
    """A chart of the council's FIPD report (SVG, published values only)."""
    return _chart(_council(council_id), key)


@bp.route("/conseils/<uuid:council_id>/fipd/fichier.<any(csv, ods):fmt>")
@permission("console")
def council_file(council_id: uuid.UUID, fmt: str) -> Response:
    """Download the council's FIPD report (audited)."""
    return _file(_council(council_id), fmt)


@bp.route("/groupes/<uuid:group_id>/<any(fipd, annuel, objectifs):slug>")
@permission("authenticated")
def group(group_id: uuid.UUID, slug: str) -> Page:
    """A group's report: its FIPD actions, its annual report (R16) or its objectives."""
    return _page(_group(group_id, slug), "reports/report.html")


@bp.route("/groupes/<uuid:group_id>/<any(fipd, annuel, objectifs):slug>/impression")
@permission("authenticated")
def group_print(group_id: uuid.UUID, slug: str) -> Page:
    """A group's report to print."""
    return _page(_group(group_id, slug), "reports/print.html")


@bp.route("/groupes/<uuid:group_id>/<any(fipd, annuel, objectifs):slug>/graphique/<key>.svg")
@permission("authenticated")
def group_chart(group_id: uuid.UUID, slug: str, key: str) -> Response:
    """A chart of a group's report (SVG, published values only)."""
    return _chart(_group(group_id, slug), key)


@bp.route("/groupes/<uuid:group_id>/<any(fipd, annuel, objectifs):slug>/fichier.<any(csv, ods):fmt>")
@permission("authenticated")
def group_file(group_id: uuid.UUID, slug: str, fmt: str) -> Response:
    """Download a group's report (audited)."""
    return _file(_group(group_id, slug), fmt)
