"""Reading and maintaining the closed lists, objectives and FIPD actions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ccop_cases.plans.models import ListEntry


def labels(session: Session, list_name: str, *, retired: bool = True) -> dict[str, str]:
    """The list's codes and French labels, in the administrator's order; ``retired=False``
    keeps only the codes a new record may take (a retired code stays readable)."""
    query = select(ListEntry.code, ListEntry.label).where(ListEntry.list_name == list_name)
    if not retired:
        query = query.where(ListEntry.retired_at.is_(None))
    return dict(session.execute(query.order_by(ListEntry.position, ListEntry.code)).all())
