"""Which chain an event goes to: its council's, or the platform's (audit/FORMAT.md, chains).

Each council (CLSPD/CISPD) is the controller of its own trail: the events of a unit of work
acting in a council (set by the access loaders, ``Work.in_council``) go to that council's
chain. A unit acting in no council (a job, an operator command, a service called directly)
sends each event to the chain of the council its target belongs to, looked up here by the
target's type; targets of no council (accounts, the platform, a probed id that names
nothing) go to the platform chain.

The lookups name tables, not models: this layer sits below the domains that own them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Uuid, bindparam, text
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.selectable import TextualSelect

from ccop_cases.auditing.models import PLATFORM_KEY

PLATFORM = PLATFORM_KEY
PLATFORM_NAME = "platform"


def chain_of(council_id: uuid.UUID | None) -> uuid.UUID:
    """The chain of the events of a council (the platform's for none)."""
    return PLATFORM if council_id is None else council_id


def chain_column(council_id: ColumnElement[uuid.UUID] | InstrumentedAttribute[uuid.UUID]) -> ColumnElement[uuid.UUID]:
    """``chain_of`` in SQL, for a query that reads a council's chain (the decision's mark)."""
    return council_id.expression if isinstance(council_id, InstrumentedAttribute) else council_id


def name_of(chain: uuid.UUID) -> str:
    """The chain's name in its entries, checkpoints and exports: ``platform`` or the council's id."""
    return PLATFORM_NAME if chain == PLATFORM else str(chain)


def key_of(name: str) -> uuid.UUID:
    """The chain a name designates (ValueError when it is neither ``platform`` nor an id)."""
    return PLATFORM if name == PLATFORM_NAME else uuid.UUID(name)


def _by(query: str) -> TextualSelect:
    return text(query).bindparams(bindparam("id", type_=Uuid())).columns(council_id=Uuid())


_IN_GROUP = "SELECT g.council_id FROM working_group g JOIN {table} t ON t.group_id = g.id WHERE t.id = :id"
COUNCIL_OF: dict[str, TextualSelect] = {
    "council": _by("SELECT id AS council_id FROM council WHERE id = :id"),
    "working_group": _by("SELECT council_id FROM working_group WHERE id = :id"),
    "fipd_action": _by("SELECT council_id FROM fipd_action WHERE id = :id"),
    "rights_request": _by("SELECT council_id FROM rights_request WHERE id = :id"),
    "case_participant": _by('SELECT g.council_id FROM working_group g JOIN "case" c ON c.group_id = g.id '
                            "JOIN case_participant p ON p.case_id = c.id WHERE p.id = :id"),
    **{table: _by(_IN_GROUP.format(table=f'"{table}"'))
       for table in ("case", "membership", "meeting", "governing_text", "group_objective")},
}


def council_of(session: Session, target_type: str, target_id: str) -> uuid.UUID | None:
    """The council the target belongs to, or None (a target of no council, or no such row)."""
    query = COUNCIL_OF.get(target_type)
    if query is None:
        return None
    try:
        key = uuid.UUID(target_id)
    except ValueError:
        return None  # a probed id that is not one names no council's object
    council: uuid.UUID | None = session.execute(query, {"id": key}).scalar()
    return council
