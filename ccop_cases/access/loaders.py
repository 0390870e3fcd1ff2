"""Loaders that check access: the decision first, then the objects the view needs.

Every view reaches a group, a case, a session or a console object through here: the
person's ``Standing`` is read, ``decide`` rules, and a refusal is audited (with the probed
id, even when hidden: the DPO must see what was probed) before the answer: 404 when the
object is out of reach, 410 when it was purged, 403 naming the rule otherwise.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

from flask import current_app, g, url_for
from sqlalchemy import bindparam, select
from werkzeug.exceptions import Forbidden, Gone, NotFound
from werkzeug.routing import RequestRedirect

from ccop_cases.access import contacts
from ccop_cases.access import standing as st
from ccop_cases.access.policy import HIDDEN, Decision, decide
from ccop_cases.accounts.services import is_fresh
from ccop_cases.auditing import Auditor
from ccop_cases.cases.models import Case
from ccop_cases.charter.models import Council, Membership, WorkingGroup
from ccop_cases.meetings.models import Meeting
from ccop_cases.rights.models import RightsRequest
from ccop_cases.web import runtime as rt

M = TypeVar("M")


# What the refused person can do themself, as a link on the refusal page.
REMEDIES = {"charter.sign": "Lire et signer les textes en vigueur du groupe",
            "cases.archive_read": "Indiquer le motif de consultation de la situation clôturée",
            "accounts.reauth": "Ressaisir un code de double authentification",
            "accounts.login": "Se connecter"}


class Denied(Forbidden):
    """A refusal of the decision function, already audited; rendered with its rule, whom to
    contact (by name and function) and, when the person can act themself, a link to do so."""

    french = True

    def __init__(self, decision: Decision, contact: contacts.Contact | None = None,
                 remedy: tuple[str, str] | None = None) -> None:
        super().__init__(f"{decision.message} (règle {decision.rule})")
        self.decision = decision
        self.contact = contact
        self.remedy = remedy  # (url, label)


class Purged(Gone):
    """A purged case (R10): the 410 page shows the reference its tombstone keeps, nothing else."""

    def __init__(self, reference: str | None) -> None:
        super().__init__()
        self.reference = reference


class ArchiveReasonNeeded(RequestRedirect):
    """A closed case is read only with a reason code (R10): go and give one."""

    code = 303


def deny(decision: Decision, target_type: str, target_id: object) -> NoReturn:
    """Audit a denial, then answer 404 (hidden), 410 (purged) or 403."""
    rt.work().refuse(decision.rule or "R4", target_type, target_id)
    if decision.hide:
        raise NotFound()
    db = rt.db()
    if decision.gone:  # the French 410 page explains the purge (R10) and shows the reference
        raise Purged(db.scalar(select(Case.reference).where(Case.id == target_id)) if target_type == "case" else None)
    # A refusal decided before reach (not signed in, R21; a platform duty, R17) names no group:
    # whoever is refused there may know nothing of the object (R4, R22).
    group_id = None if decision.rule in ("R21", "R17") else contacts.group_of(db, target_type, target_id)
    raise Denied(decision, contacts.for_refusal(db, g.get("person"), decision.rule, group_id, rt.today()),
                 _remedy(decision, group_id, target_id if target_type == "case" else None))


def _remedy(decision: Decision, group_id: uuid.UUID | None, case_id: Any) -> tuple[str, str] | None:
    """The link to the page where the person can act on the refusal, if it can be built."""
    if decision.remedy not in REMEDIES:
        return None
    rule = next(current_app.url_map.iter_rules(decision.remedy))
    values: dict[str, Any] = {key: value for key, value in (("group_id", group_id), ("case_id", case_id))
                              if key in rule.arguments}
    if len(values) < len(rule.arguments):
        return None
    return url_for(decision.remedy, **values), REMEDIES[decision.remedy]


def require(decision: Decision, target_type: str, target_id: object) -> Decision:
    """The decision if allowed; otherwise audit it and answer (see ``deny``)."""
    if not decision.allowed:
        deny(decision, target_type, target_id)
    return decision


def me() -> st.Standing:
    """The signed-in person's own standing (a fresh code counts for sensitive acts)."""
    record = g.get("web_session")
    return st.of_person(g.get("person"), fresh_code=bool(record and is_fresh(record, rt.now())))


def on_group(action: str, group_id: uuid.UUID) -> Decision:
    return _group(action, group_id)[1]


def _group(action: str, group_id: uuid.UUID) -> tuple[st.Standing, Decision]:
    standing = _acting_in(st.for_group(rt.db(), me(), g.person, group_id))
    return standing, _decided(standing, action, "working_group", group_id)


def _acting_in(standing: st.Standing) -> st.Standing:
    """The unit of work acts in the council of the object decided on: its entries, the
    denial's too, go to that council's chain."""
    if standing.council_id is not None:
        rt.work().in_council(standing.council_id)
    return standing


def _decided(standing: st.Standing, action: str, target_type: str, target_id: uuid.UUID) -> Decision:
    """``decide``; the first standing that allowed an act on the target is kept for
    ``finish_read`` (a later one, read after a change, would not vouch for the first decision)."""
    decision = decide(standing, action, rt.now())
    if decision.allowed and standing.council_id is not None:
        g.setdefault("standings", {}).setdefault((target_type, target_id), standing)
    return decision


def on_case(action: str, case_id: uuid.UUID) -> Decision:
    return _case(action, case_id)[1]


def _case(action: str, case_id: uuid.UUID) -> tuple[st.Standing, Decision]:
    standing = _acting_in(st.for_case(rt.db(), me(), g.person, case_id,
                                      follow_on=rt.today() if action == "case.follow" else None,
                                      rectify=action == "case.rectify"))
    return standing, _decided(standing, action, "case", case_id)


def duty(action: str, council_id: uuid.UUID | None = None) -> Decision:
    """A platform duty (console, oversight), on one council's object when given (R22)."""
    base = me()
    if council_id is not None:
        rt.work().in_council(council_id)
        if base.signed_in:
            base = st.for_council(rt.db(), base, g.person, council_id)
    return decide(base, action, rt.now())


def designation(council_id: uuid.UUID, role: str, username: str) -> Decision:
    """Whether the president may make this designation in one of their groups (R17)."""
    rt.work().in_council(council_id)
    base = st.for_designation(st.of_person(g.get("person")), g.person, role, username)
    return decide(st.for_council(rt.db(), base, g.person, council_id), "console.designate", rt.now())


# The objects an allowed decision names, in one query (the standing gave their ids); objects
# the session already holds are refreshed, as the decision read the database, not the session.
_GROUP_OBJECTS = (select(WorkingGroup, Membership).join(Membership, Membership.group_id == WorkingGroup.id)
                  .where(WorkingGroup.id == bindparam("group_id"), Membership.id == bindparam("membership_id"))
                  .execution_options(populate_existing=True))
_CASE_OBJECTS = (select(Case, WorkingGroup, Membership).join(WorkingGroup, WorkingGroup.id == Case.group_id)
                 .join(Membership, Membership.group_id == Case.group_id)
                 .where(Case.id == bindparam("case_id"), Membership.id == bindparam("membership_id"))
                 .execution_options(populate_existing=True))


def load_group(group_id: uuid.UUID, action: str) -> tuple[WorkingGroup, Membership, Decision]:
    """The group, the person's designation in it and the decision, if it allows ``action``;
    404 when out of reach (a forged id looks like another group's, R22)."""
    standing, decision = _group(action, group_id)
    require(decision, "working_group", group_id)
    group, membership = rt.db().execute(_GROUP_OBJECTS, {"group_id": group_id,
                                                         "membership_id": _designation(standing)}).one()
    return group, membership, decision


def load_case(case_id: uuid.UUID, action: str, *,
              archive_redirect: bool = False) -> tuple[Case, WorkingGroup, Membership, Decision]:
    """The case, its group, the person's designation and the decision, if it allows
    ``action``. With ``archive_redirect``, a closed case sends the reader to the reason
    form (R10)."""
    standing, decision = _case(action, case_id)
    if archive_redirect and decision.remedy == "cases.archive_read":
        raise ArchiveReasonNeeded(url_for("cases.archive_read", case_id=case_id))
    require(decision, "case", case_id)
    case, group, membership = rt.db().execute(_CASE_OBJECTS, {"case_id": case_id,
                                                              "membership_id": _designation(standing)}).one()
    return case, group, membership, decision


def _designation(standing: st.Standing) -> uuid.UUID:
    assert standing.membership is not None  # noqa: S101 - an allowed group or case decision read it
    return standing.membership.id


def load_meeting(meeting_id: uuid.UUID, action: str) -> tuple[Meeting, WorkingGroup, Membership, Decision]:
    """A session of a group, if ``action`` is allowed on its group (404 otherwise)."""
    meeting = rt.db().get(Meeting, meeting_id)
    if meeting is None:
        deny(HIDDEN, "meeting", meeting_id)
    group, membership, decision = load_group(meeting.group_id, action)
    return meeting, group, membership, decision


def load_console(model: type[M], object_id: uuid.UUID) -> M:
    """An object of the console, or 404 with an audited denial (forged ids, or an object of a
    council presided by someone else: the console of one council never reaches another's)."""
    db = rt.db()
    found: Any = db.get(model, object_id)
    table = model.__tablename__  # type: ignore[attr-defined]
    if found is None:
        deny(HIDDEN, table, object_id)
    group = db.get(WorkingGroup, found.group_id) if isinstance(found, Membership) else found
    council_id = group.council_id if isinstance(group, WorkingGroup) else found.id if isinstance(found, Council) \
        else None
    require(duty("console.manage", council_id), table, object_id)
    return found  # type: ignore[no-any-return]


def visible_cases(case_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Those of ``case_ids`` the person may read (open or closed): need-to-know (R4)."""
    return {case_id for case_id in case_ids if on_case("case.read_archive", case_id).allowed}


def finish_read(append: Callable[[Auditor], None], recheck: Callable[[], Decision], target_type: str,
                target_id: uuid.UUID) -> None:
    """End a read-only view's read (``Work.end_read``): its audit entry, then the decision
    taken again, which refuses the page if a revocation committed in between. On
    PostgreSQL, first in one statement: the entry is appended only if the standing the
    decision read on the target is unchanged, and so is its council's chain since (its
    ``write_seq``, under the head's lock)."""
    def again() -> None:
        require(recheck(), target_type, target_id)

    rt.work().end_read(append, again, _one_statement(target_type, target_id))


def _one_statement(target_type: str, target_id: uuid.UUID) -> Callable[[Callable[[Auditor], None]], bool] | None:
    standing = g.get("standings", {}).get((target_type, target_id))
    if standing is None or standing.chain_mark is None or rt.db().get_bind().dialect.name != "postgresql":
        return None  # SQLite, a chain with no entry yet, or a read decided otherwise
    check = st.unchanged(standing, g.person, target_type, target_id)
    if check is None:
        return None

    def append_once(append: Callable[[Auditor], None]) -> bool:
        reader = rt.work().audit.reading(standing.council_id, standing.chain_mark, *check)
        append(reader)
        return reader.appended

    return append_once


def on_report_group(group_id: uuid.UUID) -> Decision:
    """Whether the person may read a group's aggregate reports (``report.group``): the
    administrator presiding the group's council, or the group's coordonnateur."""
    db = rt.db()
    standing = _acting_in(st.for_group(db, me(), g.person, group_id))
    if standing.found and standing.charter_admin:
        council_id = db.scalar(select(WorkingGroup.council_id).where(WorkingGroup.id == group_id))
        standing = st.for_council(db, standing, g.person, council_id)
    return decide(standing, "report.group", rt.now())


def load_report_group(group_id: uuid.UUID) -> WorkingGroup:
    """A group whose reports the person may read; 404 when out of reach (audited, see ``deny``)."""
    require(on_report_group(group_id), "working_group", group_id)
    return rt.db().get_one(WorkingGroup, group_id)


REQUEST_HIDDEN = Decision(False, "R12", "Cette demande n’existe pas ou relève d’un autre conseil.", hide=True)


def on_council_rights(council_id: uuid.UUID, action: str = "rights.manage") -> Decision:
    """Whether the person is the DPO of the council, for ``rights.manage`` or ``rights.record`` (R12)."""
    rt.work().in_council(council_id)
    return decide(st.for_council_dpo(rt.db(), me(), g.person, council_id), action, rt.now())


def load_request(request_id: uuid.UUID, action: str = "rights.manage") -> RightsRequest:
    """A rights request of a council whose DPO the person is (R12); 404 otherwise, audited
    (another council's register is not revealed), or the refusal of ``rights.record``."""
    found = rt.db().get(RightsRequest, request_id)
    if found is None:
        deny(REQUEST_HIDDEN, "rights_request", request_id)
    require(on_council_rights(found.council_id, action), "rights_request", request_id)
    return found
