"""The one decision point: ``decide(db, person, action, resource, now)``.

Every access to case data, to the administrator console and to the oversight console is
decided here, never in a view or a template. A denial names its rule (RULES.md) and tells
the person what to do; ``hide`` asks the caller to answer 404 so that an object out of
reach is not revealed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ccop_cases.accounts.models import Person


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule: str | None = None
    message: str = ""
    remedy: str | None = None  # endpoint where the person can act on the refusal
    hide: bool = False  # answer 404: do not reveal that the object exists

    def __bool__(self) -> bool:
        return self.allowed


ALLOW = Decision(True)

# Platform duties: never a way to case content (R17).
DUTIES = {
    "console.manage": ("is_charter_admin", "Réservé à l’administrateur de la charte (président ou "
                                          "personne qu’il a désignée)."),
    "oversight.read": ("is_dpo", "Réservé au délégué à la protection des données et aux organismes "
                                 "de contrôle."),
}


def decide(db: Session, person: Person | None, action: str, resource: object = None, *,
           now: datetime) -> Decision:
    """Allow or deny ``action`` on ``resource`` for ``person``, checking rules in order."""
    if person is None or not person.is_active or not person.is_enrolled:
        return Decision(False, "R21", "Connexion avec double authentification requise.",
                        remedy="accounts.login")
    if action in DUTIES:
        flag, message = DUTIES[action]
        return ALLOW if getattr(person, flag) else Decision(False, "R17", message)
    raise ValueError(f"unknown action {action!r}")  # default deny, loudly
