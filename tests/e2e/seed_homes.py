"""Run after ``ccop demo seed`` on the instance of tests/e2e/test_homes.py (environment: the
server's): a second group of the demo council, « CCOP Tableau de bord (essai) », where every
line of every home has something to count, built through the services.

- demo.coordination is its coordonnateur; demo.police and demo.prevention its members, holding
  the seven situations of ``todotest.seed_to_do``; demo.prevention's designation ends in 10
  days; demo.nouveau is designated and has not signed the texts; a session is set in 3 days;
- the trail: three refusals (R4 twice, R15 once), a signed checkpoint, an export.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from todotest import seed_to_do

from ccop_cases import create_app
from ccop_cases.access.standing import pending_texts
from ccop_cases.auditing import PLATFORM
from ccop_cases.charter import services as charter
from ccop_cases.charter.models import Council
from ccop_cases.meetings import services as meetings
from ccop_cases.oversight import services as oversight
from ccop_cases.web import runtime as rt

GROUP = "CCOP Tableau de bord (essai)"


def main() -> None:
    app = create_app()
    with app.app_context():
        with rt.operator_work("e2e-seed") as work:
            db, now = work.session, work.now()
            today = now.date()
            council = db.scalars(select(Council)).one()
            group = charter.create_group(work, council, name=GROUP, legal_basis="L132-5", vocation="territorial",
                                         perimeter="Quartier fictif du tableau de bord", theme="", is_ccop=True,
                                         territory_label="QPV")
            charter.record_act(work, group, act_date=today - timedelta(days=90), reference="DEL-ESSAI-002",
                               document="Délibération fictive constituant le groupe d’essai.")
            for kind in ("charter", "rules"):
                charter.adopt_text(work, group, kind=kind, text=f"Texte fictif ({kind}) du groupe d’essai.",
                                   adopted_on=today - timedelta(days=90))
            charter.change_status(work, group, "constitute", reason="")
            memberships = {}
            for username, role, end, signs in (
                    ("demo.coordination", "coordonnateur", None, True), ("demo.police", "member", None, True),
                    ("demo.prevention", "member", today + timedelta(days=10), True),
                    ("demo.nouveau", "member", None, False)):
                membership, _ = charter.designate(work, group, charter.Designation(
                    username, "mairie", "Fonction fictive", role, "DESIGNATION-ESSAI",
                    date(today.year - 1, 1, 1), end))
                for text in pending_texts(db, membership) if signs else []:
                    charter.sign(work, membership, text)
                memberships[username] = membership
            made = seed_to_do(work, group, memberships["demo.coordination"], memberships["demo.police"],
                              memberships["demo.prevention"])
            meetings.schedule(work, group, memberships["demo.coordination"],
                              (now + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0))
            for rule in ("R4", "R4", "R15"):  # as ``Work.refuse`` records a refusal
                work.audit.record("access.denied", "case", made["expired"].id, outcome="denied", rule=rule)
        with rt.operator_work("e2e-seed") as work:
            oversight.checkpoint(work)
        with rt.operator_work("e2e-seed") as work, tempfile.TemporaryDirectory() as directory:
            oversight.export(work, Path(directory) / "bundle", PLATFORM, start=None, end=None)


if __name__ == "__main__":
    main()
