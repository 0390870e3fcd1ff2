"""Closed lists kept in the database, objectives and FIPD actions.

A code in use is never deleted nor renamed in meaning: it is retired (``retired_at``), and
stays readable on the records that carry it. Every change is audited by its service.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccop_cases.db import Base, new_id

# The lists kept in ``list_entry``; the others stay fixed in ``ccop_cases.cases.lists``.
MAINTAINED_LISTS = {"action_type": "Types d’action", "action_outcome": "Résultats d’action",
                    "closing_reason": "Motifs de clôture"}


class ListEntry(Base):
    """One code of a closed list the charter administrator maintains (platform-wide)."""

    __tablename__ = "list_entry"
    __table_args__ = (UniqueConstraint("list_name", "code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    list_name: Mapped[str] = mapped_column(String(24))
    code: Mapped[str] = mapped_column(String(40))  # stored on the records; never reused
    label: Mapped[str] = mapped_column(String(160))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class StrategyObjective(Base):
    """An objective of the national strategy's programmes, with the indicator that measures
    it (a code of ``plans.indicators.INDICATORS``, computed from the cases)."""

    __tablename__ = "strategy_objective"
    __table_args__ = (UniqueConstraint("code"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40))
    programme: Mapped[str] = mapped_column(String(16))  # a code of plans.indicators.PROGRAMMES
    label: Mapped[str] = mapped_column(String(200))
    indicator: Mapped[str] = mapped_column(String(40))
    indicator_parameter: Mapped[str | None] = mapped_column(String(40))  # e.g. an action type code
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class GroupObjective(Base):
    """An objective a working group sets itself for a year, with its target where one fits."""

    __tablename__ = "group_objective"
    __table_args__ = (UniqueConstraint("group_id", "year", "strategy_objective_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_group.id"), index=True)
    year: Mapped[int]
    strategy_objective_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("strategy_objective.id"))
    target: Mapped[int | None]  # a number of young people, of actions…
    target_share: Mapped[int | None]  # a percentage, where the indicator is a share
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]


class FipdAction(Base):
    """An action of the council funded by the FIPD (fonds interministériel de prévention de
    la délinquance): the unit the préfecture and the SG-CIPDR evaluate."""

    __tablename__ = "fipd_action"
    __table_args__ = (UniqueConstraint("council_id", "reference"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    council_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("council.id"), index=True)
    reference: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    operator: Mapped[str] = mapped_column(String(160))  # a structure, never a person
    year: Mapped[int]
    amount_cents: Mapped[int] = mapped_column(BigInteger)  # granted, in euro cents
    created_at: Mapped[datetime]
    retired_at: Mapped[datetime | None]
