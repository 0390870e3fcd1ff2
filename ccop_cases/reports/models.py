"""Counters kept when a case is purged, so that a report of a past period stays right after
the case's data is gone: aggregates only (a metric, a dimension of codes, a month, a count)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccop_cases.db import Base, new_id


class ReportCounter(Base):
    __tablename__ = "report_counter"
    __table_args__ = (UniqueConstraint("group_id", "month", "metric", "dimension"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_group.id"), index=True)
    month: Mapped[date]  # the first day of the month the counted event fell in (Paris)
    metric: Mapped[str] = mapped_column(String(40))
    dimension: Mapped[str] = mapped_column(String(200), default="")  # codes and ids, never personal
    value: Mapped[int] = mapped_column(BigInteger, default=0)
