"""Governance: councils (CLSPD/CISPD), their information-exchange working groups, charter
and rules-of-procedure versions, memberships, signatures, and the deployment mode (R20)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ccop_cases.db import Base, new_id

COUNCIL_KINDS = {"CLSPD": "Conseil local (CLSPD)", "CISPD": "Conseil intercommunal (CISPD)"}
LEGAL_BASES = {"L132-5": "Art. L132-5 CSI (CLSPD)", "L132-13": "Art. L132-13 CSI (CISPD)"}
VOCATIONS = {"territorial": "Territoriale (périmètre)", "thematic": "Thématique"}
TERRITORY_LABELS = {"ZSP": "ZSP", "QRR": "QRR", "QPV": "QPV", "other": "Autre"}


class GroupStatus(StrEnum):
    DRAFT = "draft"
    CONSTITUTED = "constituted"  # the only status in which members exchange (R1)
    SUSPENDED = "suspended"
    DISSOLVED = "dissolved"


class Role(StrEnum):
    MEMBER = "member"
    COORDONNATEUR = "coordonnateur"  # sees every situation of the group (R4, R17)
    PRESIDENT = "president"
    DPO = "dpo"


class MembershipStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    EXCLUDED = "excluded"


GROUP_STATUSES: dict[str, str] = {GroupStatus.DRAFT: "En préparation", GroupStatus.CONSTITUTED: "Constitué",
                  GroupStatus.SUSPENDED: "Suspendu", GroupStatus.DISSOLVED: "Dissous"}
TEXT_KINDS = {"charter": "Charte déontologique", "rules": "Règlement intérieur"}
ROLES: dict[str, str] = {Role.MEMBER: "Membre", Role.COORDONNATEUR: "Coordonnateur", Role.PRESIDENT: "Président",
         Role.DPO: "Délégué à la protection des données"}
MEMBERSHIP_STATUSES: dict[str, str] = {MembershipStatus.ACTIVE: "Active", MembershipStatus.SUSPENDED: "Suspendue",
                       MembershipStatus.EXCLUDED: "Exclue"}
INSTITUTIONS = {
    "mairie": "Mairie", "police_nationale": "Police nationale", "gendarmerie": "Gendarmerie",
    "police_municipale": "Police municipale", "education_nationale": "Éducation nationale",
    "departement_ase": "Département (action sociale, ASE)", "pjj": "Protection judiciaire de la jeunesse",
    "spip": "SPIP", "parquet": "Parquet", "prefecture": "Préfecture", "mission_locale": "Mission locale",
    "bailleur": "Bailleur social", "prevention_specialisee": "Prévention spécialisée",
    "association": "Association", "transport": "Opérateur de transport", "other": "Autre",
}


class Council(Base):
    __tablename__ = "council"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(String(160))
    communes: Mapped[str] = mapped_column(Text)  # "INSEE name" per line
    president_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    # The DPO who answers the persons' requests about the council's situations (R12), and
    # how many years the register keeps a request after its answer.
    dpo_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("person.id"))
    rights_keep_years: Mapped[int] = mapped_column(default=3)
    created_at: Mapped[datetime]


class WorkingGroup(Base):
    __tablename__ = "working_group"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    council_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("council.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    legal_basis: Mapped[str] = mapped_column(String(8))
    vocation: Mapped[str] = mapped_column(String(16))
    perimeter: Mapped[str] = mapped_column(Text, default="")  # territorial vocation
    theme: Mapped[str] = mapped_column(String(200), default="")  # thematic vocation
    is_ccop: Mapped[bool] = mapped_column(default=True)
    territory_label: Mapped[str] = mapped_column(String(8), default="other")
    act_date: Mapped[date | None]
    act_reference: Mapped[str | None] = mapped_column(String(120))
    act_sha256: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    status_changed_at: Mapped[datetime]


class GoverningText(Base):
    """A version of the group's charter or rules of procedure, identified by its hash."""

    __tablename__ = "governing_text"
    __table_args__ = (UniqueConstraint("group_id", "kind", "version"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_group.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    adopted_on: Mapped[date]
    recorded_at: Mapped[datetime]


class Membership(Base):
    """A person designated by their institution to one group (R4)."""

    __tablename__ = "membership"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    person_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("person.id"), index=True)
    group_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("working_group.id"), index=True)
    institution: Mapped[str] = mapped_column(String(32))
    function: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    designation_reference: Mapped[str] = mapped_column(String(120))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason_enc: Mapped[bytes | None] = mapped_column(LargeBinary)  # free text: sealed (group key)
    status_changed_at: Mapped[datetime]


class Signature(Base):
    """A member's signature of a charter version, or acknowledgement of rules (R2, R3)."""

    __tablename__ = "signature"
    __table_args__ = (UniqueConstraint("membership_id", "text_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    membership_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("membership.id"), index=True)
    text_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("governing_text.id"), index=True)
    text_sha256: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime]


class Deployment(Base):
    """The single row saying whether this deployment is still a pilot (R20)."""

    __tablename__ = "deployment"

    id: Mapped[int] = mapped_column(primary_key=True)
    mode: Mapped[str] = mapped_column(String(16), default="pilot")
    aipd_reference: Mapped[str | None] = mapped_column(String(120))
    dpo_designation: Mapped[str | None] = mapped_column(String(160))
    register_entry: Mapped[str | None] = mapped_column(String(120))
    changed_at: Mapped[datetime | None]
