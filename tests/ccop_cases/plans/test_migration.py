"""Revision 0011 turns each council's distinct FIPD references of the funded actions into FIPD
actions and links the actions to them; its downgrade writes the flag and the reference back."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from alembic import command
from apptest import database_url, drop_schema, make_account, make_governance, setup_work
from sqlalchemy import create_engine, inspect, text

from ccop_cases.cases import services as cases
from ccop_cases.identities.services import Identity
from ccop_cases.migrate import alembic_config, upgrade
from ccop_cases.plans import services as plans


def _seed(app) -> dict[str, uuid.UUID]:
    """At head: a group with a situation holding an action funded by FIPD-59-12 and one not funded;
    another council's group with an action funded by its own FIPD-59-12."""
    ids = {}
    for name in ("a", "b"):
        gov = make_governance(app, admin=make_account(app, f"migration.president.{name}"))
        work = setup_work(app, gov.session)
        member = gov.designate(make_account(app, f"migration.membre.{name}"), role="coordonnateur")
        gov.sign_all(member)
        proposal = cases.Proposal(young=Identity("Essai", "Migration", date(2004, 5, 1), "X"), representatives=[],
                                  school_situation="neet", purpose="public_tranquillity", referral_origin="school",
                                  exposure_factors=["neet"], submission_id=uuid.uuid4())
        case, _ = cases.propose(work, gov.group, member, proposal, sees_all=True)
        funded = plans.add_fipd_action(work, gov.council, reference="FIPD-59-12", title="Chantiers éducatifs",
                                       operator="Association Essai", year=2026, amount_cents=1_250_000)
        ids[f"funded_{name}"] = cases.add_action(work, case, member, action_type="citizenship",
                                                 start=date(2026, 2, 1), end=None, outcome="ongoing",
                                                 fipd_action_id=funded.id).id
        ids[f"plain_{name}"] = cases.add_action(work, case, member, action_type="sport_culture",
                                                start=date(2026, 2, 15), end=None, outcome="ongoing").id
        ids[f"council_{name}"] = gov.council.id
        gov.session.commit()
        gov.session.close()
    return ids


def _rows(engine, query: str) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(text(query))]


def test_fipd_references_become_fipd_actions_and_come_back_on_downgrade(settings, tmp_path, new_app):
    url, schema = database_url(tmp_path)
    try:
        upgrade(url)
        app = new_app(replace(settings, database_url=url, migration_database_url=url))
        ids = _seed(app)
        app.extensions["ccop"].database.dispose()
        engine = create_engine(url)

        command.downgrade(alembic_config(url), "0010")
        assert "fipd_action" not in inspect(engine).get_table_names()
        by_id = {uuid.UUID(str(row[0])): row[1:] for row in _rows(
            engine, "SELECT id, fipd_funded, fipd_reference FROM case_action")}
        assert {key: by_id[ids[key]] for key in ("funded_a", "plain_a", "funded_b")} == {
            "funded_a": (True, "FIPD-59-12"), "plain_a": (False, None), "funded_b": (True, "FIPD-59-12")}
        with engine.begin() as conn:  # as a deployment before this revision holds them
            conn.execute(text("UPDATE case_action SET fipd_funded = :yes, fipd_reference = 'FIPD-59-12', "
                              "start_date = '2025-11-03' WHERE id = :id"),
                         {"yes": True, "id": _stored(engine, ids["plain_a"])})
            conn.execute(text("UPDATE case_action SET fipd_funded = :yes, fipd_reference = NULL WHERE id = :id"),
                         {"yes": True, "id": _stored(engine, ids["plain_b"])})

        upgrade(url)
        columns = {c["name"] for c in inspect(engine).get_columns("case_action")}
        assert "fipd_funded" not in columns and "fipd_reference" not in columns
        made = {(uuid.UUID(str(row[0])), row[1]): row[2:] for row in _rows(
            engine, "SELECT council_id, reference, title, operator, year, amount_cents, retired_at FROM fipd_action")}
        assert made == {  # one per council and reference; its year that of the earliest action carrying it
            (ids["council_a"], "FIPD-59-12"): ("FIPD-59-12", "À compléter", 2025, 0, None),
            (ids["council_b"], "FIPD-59-12"): ("FIPD-59-12", "À compléter", 2026, 0, None),
            (ids["council_b"], "SANS-REFERENCE"): ("SANS-REFERENCE", "À compléter", 2026, 0, None),
        }
        linked = {uuid.UUID(str(row[0])): (uuid.UUID(str(row[1])), row[2]) for row in _rows(
            engine, "SELECT a.id, f.council_id, f.reference FROM case_action a JOIN fipd_action f "
                    "ON f.id = a.fipd_action_id")}
        assert linked == {ids["funded_a"]: (ids["council_a"], "FIPD-59-12"),
                          ids["plain_a"]: (ids["council_a"], "FIPD-59-12"),
                          ids["funded_b"]: (ids["council_b"], "FIPD-59-12"),
                          ids["plain_b"]: (ids["council_b"], "SANS-REFERENCE")}
        engine.dispose()
    finally:
        if schema:
            drop_schema(schema)


def _stored(engine, action_id: uuid.UUID) -> str:
    """The id as the database stores it (SQLite: 32 hex digits; PostgreSQL: a uuid)."""
    return action_id.hex if engine.dialect.name == "sqlite" else str(action_id)
