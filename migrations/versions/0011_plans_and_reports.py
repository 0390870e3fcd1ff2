"""plans and reports: maintained closed lists, objectives, FIPD actions, purge-time counters

The action types, action outcomes and closing reasons move from the code to ``list_entry``,
seeded with the codes the code held (same codes, same labels), so that the charter
administrator can add and retire codes. The national strategy's objectives, the groups'
objectives per year and the council's FIPD actions get their tables; a situation and an
action may be linked to an objective, an action to a FIPD action. ``report_counter`` keeps,
when a case is purged, the aggregates the reports need about it.

An action's FIPD funding was a flag and a free reference (``fipd_funded``,
``fipd_reference``): each distinct reference of a council becomes one of its FIPD actions
(its title the reference, its operator « À compléter », its year that of the earliest action
carrying it, its amount 0, for the administrator to complete), the actions are linked to it
and the two columns go. The downgrade writes them back from the link.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 21:00:00
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

# The codes the code held until this revision (same codes, same labels, same order).
LISTS = {
    'action_type': {
        'citizenship': 'Action de citoyenneté',
        'educational_worksite': 'Chantier éducatif',
        'educational_stay': 'Séjour éducatif',
        'sport_culture': 'Sport ou culture encadrés',
        'mission_locale_referral': 'Orientation vers la mission locale',
        'employment_support': "Accompagnement vers l'emploi ou la formation",
        'integration_worksite': "Chantier d'insertion",
        'second_chance': 'Dispositif de deuxième chance',
        'referent': "Désignation d'un référent de parcours",
        'global_support': 'Accompagnement global',
        'parenting_support': 'Soutien à la parentalité',
        'cddf_referral': 'Orientation vers le CDDF',
        'rappel_a_l_ordre': "Rappel à l'ordre par le maire (mineur : parents présents)",
        'tig_reparation': 'TIG ou mesure de réparation',
        'sentence_support': 'Accompagnement pendant une peine',
        'care_referral': 'Orientation vers le soin',
        'social_mediation': 'Médiation sociale',
        'victim_support': "Orientation vers l'aide aux victimes",
    },
    'action_outcome': {
        'ongoing': 'En cours',
        'done': 'Réalisée',
        'interrupted': 'Interrompue',
        'refused': 'Refusée par le jeune',
        'unavailable': 'Indisponible',
    },
    'closing_reason': {
        'objectives_met': 'Objectifs atteints',
        'handed_over': 'Relais par les services de droit commun',
        'refused': 'Refus de participer',
        'moved_away': 'Déménagement',
        'judicial_only': 'Suivi exclusivement judiciaire',
        'age_limit': "Limite d'âge",
        'not_retained': 'Proposition non retenue',
        'other': 'Autre',
    },
}
# The first objectives of the national strategy's three programmes (the administrator adds
# and retires others): code, programme, label, indicator, parameter.
OBJECTIVES = [
    ('p1_follow', 'P1', 'Suivre individuellement les jeunes exposés à la délinquance', 'young_people_followed', None),
    ('p1_remobilise', 'P1', 'Remobiliser les jeunes vers l’emploi ou la formation', 'young_people_with_action',
     'employment_support'),
    ('p1_citizenship', 'P1', 'Prévenir la récidive par la citoyenneté et la réparation', 'young_people_with_action',
     'citizenship'),
    ('p1_parenting', 'P1', 'Soutenir les parents dans leur rôle éducatif', 'young_people_with_action',
     'parenting_support'),
    ('p1_hand_over', 'P1', 'Passer le relais aux services de droit commun', 'closed_with_reason', 'handed_over'),
    ('p1_families', 'P1', 'Associer les familles dès la proposition', 'families_informed', None),
    ('p2_victims', 'P2', 'Orienter les jeunes victimes vers l’aide aux victimes', 'young_people_with_action',
     'victim_support'),
    ('p3_mediation', 'P3', 'Apaiser l’espace public par la médiation sociale', 'young_people_with_action',
     'social_mediation'),
]


def upgrade() -> None:
    op.create_table(
        'list_entry',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('list_name', sa.String(length=24), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('label', sa.String(length=160), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_list_entry')),
        sa.UniqueConstraint('list_name', 'code', name=op.f('uq_list_entry_list_name')),
    )
    op.create_table(
        'strategy_objective',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('code', sa.String(length=40), nullable=False),
        sa.Column('programme', sa.String(length=16), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('indicator', sa.String(length=40), nullable=False),
        sa.Column('indicator_parameter', sa.String(length=40), nullable=True),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_strategy_objective')),
        sa.UniqueConstraint('code', name=op.f('uq_strategy_objective_code')),
    )
    op.create_table(
        'group_objective',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('group_id', sa.Uuid(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('strategy_objective_id', sa.Uuid(), nullable=False),
        sa.Column('target', sa.Integer(), nullable=True),
        sa.Column('target_share', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['group_id'], ['working_group.id'],
                                name=op.f('fk_group_objective_group_id_working_group')),
        sa.ForeignKeyConstraint(['strategy_objective_id'], ['strategy_objective.id'],
                                name=op.f('fk_group_objective_strategy_objective_id_strategy_objective')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_group_objective')),
        sa.UniqueConstraint('group_id', 'year', 'strategy_objective_id', name=op.f('uq_group_objective_group_id')),
    )
    op.create_index(op.f('ix_group_objective_group_id'), 'group_objective', ['group_id'])
    op.create_table(
        'fipd_action',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('council_id', sa.Uuid(), nullable=False),
        sa.Column('reference', sa.String(length=40), nullable=False),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('operator', sa.String(length=160), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['council_id'], ['council.id'], name=op.f('fk_fipd_action_council_id_council')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_fipd_action')),
        sa.UniqueConstraint('council_id', 'reference', name=op.f('uq_fipd_action_council_id')),
    )
    op.create_index(op.f('ix_fipd_action_council_id'), 'fipd_action', ['council_id'])
    op.create_table(
        'report_counter',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('group_id', sa.Uuid(), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('metric', sa.String(length=40), nullable=False),
        sa.Column('dimension', sa.String(length=200), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['group_id'], ['working_group.id'],
                                name=op.f('fk_report_counter_group_id_working_group')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_report_counter')),
        sa.UniqueConstraint('group_id', 'month', 'metric', 'dimension', name=op.f('uq_report_counter_group_id')),
    )
    op.create_index(op.f('ix_report_counter_group_id'), 'report_counter', ['group_id'])
    with op.batch_alter_table('case') as batch:
        batch.add_column(sa.Column('objective_id', sa.Uuid(), nullable=True))
        batch.create_foreign_key(op.f('fk_case_objective_id_group_objective'), 'group_objective',
                                 ['objective_id'], ['id'])
    with op.batch_alter_table('case_action') as batch:
        batch.add_column(sa.Column('fipd_action_id', sa.Uuid(), nullable=True))
        batch.add_column(sa.Column('objective_id', sa.Uuid(), nullable=True))
        batch.create_foreign_key(op.f('fk_case_action_fipd_action_id_fipd_action'), 'fipd_action',
                                 ['fipd_action_id'], ['id'])
        batch.create_foreign_key(op.f('fk_case_action_objective_id_group_objective'), 'group_objective',
                                 ['objective_id'], ['id'])
        batch.create_index(op.f('ix_case_action_fipd_action_id'), ['fipd_action_id'])
    now = datetime.now(UTC)
    _fipd_actions_from_references(now)
    with op.batch_alter_table('case_action') as batch:
        batch.drop_column('fipd_reference')
        batch.drop_column('fipd_funded')
    entries = sa.table('list_entry', sa.column('id', sa.Uuid()), sa.column('list_name', sa.String()),
                       sa.column('code', sa.String()), sa.column('label', sa.String()),
                       sa.column('position', sa.Integer()), sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(entries, [
        {'id': uuid.uuid4(), 'list_name': name, 'code': code, 'label': label, 'position': position,
         'created_at': now}
        for name, codes in LISTS.items() for position, (code, label) in enumerate(codes.items(), 1)])
    objectives = sa.table('strategy_objective', sa.column('id', sa.Uuid()), sa.column('code', sa.String()),
                          sa.column('programme', sa.String()), sa.column('label', sa.String()),
                          sa.column('indicator', sa.String()), sa.column('indicator_parameter', sa.String()),
                          sa.column('position', sa.Integer()), sa.column('created_at', sa.DateTime(timezone=True)))
    op.bulk_insert(objectives, [
        {'id': uuid.uuid4(), 'code': code, 'programme': programme, 'label': label, 'indicator': indicator,
         'indicator_parameter': parameter, 'position': position, 'created_at': now}
        for position, (code, programme, label, indicator, parameter) in enumerate(OBJECTIVES, 1)])


# The tables the FIPD step reads and writes, as they stand at this revision.
_ACTION = sa.table('case_action', sa.column('id', sa.Uuid()), sa.column('case_id', sa.Uuid()),
                   sa.column('start_date', sa.Date()), sa.column('fipd_funded', sa.Boolean()),
                   sa.column('fipd_reference', sa.String()), sa.column('fipd_action_id', sa.Uuid()))
_CASE = sa.table('case', sa.column('id', sa.Uuid()), sa.column('group_id', sa.Uuid()))
_GROUP = sa.table('working_group', sa.column('id', sa.Uuid()), sa.column('council_id', sa.Uuid()))
_FIPD = sa.table('fipd_action', sa.column('id', sa.Uuid()), sa.column('council_id', sa.Uuid()),
                 sa.column('reference', sa.String()), sa.column('title', sa.String()),
                 sa.column('operator', sa.String()), sa.column('year', sa.Integer()),
                 sa.column('amount_cents', sa.BigInteger()), sa.column('created_at', sa.DateTime(timezone=True)),
                 sa.column('retired_at', sa.DateTime(timezone=True)))
NO_REFERENCE = 'SANS-REFERENCE'  # an action flagged as funded without a reference (never refused by the schema)


def _fipd_actions_from_references(now: datetime) -> None:
    """One FIPD action per council and distinct reference of the funded actions; link them."""
    bind = op.get_bind()
    reference = sa.func.coalesce(sa.func.nullif(sa.func.trim(_ACTION.c.fipd_reference), ''), NO_REFERENCE)
    funded = (sa.select(_GROUP.c.council_id, reference.label('reference'), sa.func.min(_ACTION.c.start_date))
              .select_from(_ACTION.join(_CASE, _CASE.c.id == _ACTION.c.case_id)
                           .join(_GROUP, _GROUP.c.id == _CASE.c.group_id))
              .where(_ACTION.c.fipd_funded.is_(True)).group_by(_GROUP.c.council_id, reference))
    for council_id, ref, earliest in bind.execute(funded).all():
        fipd_id = uuid.uuid4()
        bind.execute(sa.insert(_FIPD).values(id=fipd_id, council_id=council_id, reference=ref[:40], title=ref,
                                             operator='À compléter', year=_year(earliest), amount_cents=0,
                                             created_at=now, retired_at=None))
        in_council = sa.select(_CASE.c.id).join(_GROUP, _GROUP.c.id == _CASE.c.group_id).where(
            _GROUP.c.council_id == council_id)
        bind.execute(sa.update(_ACTION).where(_ACTION.c.fipd_funded.is_(True), reference == ref,
                                              _ACTION.c.case_id.in_(in_council)).values(fipd_action_id=fipd_id))


def _year(earliest: object) -> int:
    """The year of a date as the driver returns it (a date; a string on some SQLite paths)."""
    return int(str(earliest)[:4])


def _references_from_fipd_actions() -> None:
    """The downgrade's step: each linked action is funded, with its FIPD action's reference."""
    bind = op.get_bind()
    linked = sa.select(_FIPD.c.reference).where(_FIPD.c.id == _ACTION.c.fipd_action_id).scalar_subquery()
    bind.execute(sa.update(_ACTION).where(_ACTION.c.fipd_action_id.is_not(None))
                 .values(fipd_funded=True, fipd_reference=linked))


def downgrade() -> None:
    with op.batch_alter_table('case_action') as batch:
        batch.add_column(sa.Column('fipd_funded', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('fipd_reference', sa.String(length=40), nullable=True))
    _references_from_fipd_actions()
    with op.batch_alter_table('case_action') as batch:
        batch.alter_column('fipd_funded', server_default=None)
    with op.batch_alter_table('case_action') as batch:
        batch.drop_index(op.f('ix_case_action_fipd_action_id'))
        batch.drop_constraint(op.f('fk_case_action_objective_id_group_objective'), type_='foreignkey')
        batch.drop_constraint(op.f('fk_case_action_fipd_action_id_fipd_action'), type_='foreignkey')
        batch.drop_column('objective_id')
        batch.drop_column('fipd_action_id')
    with op.batch_alter_table('case') as batch:
        batch.drop_constraint(op.f('fk_case_objective_id_group_objective'), type_='foreignkey')
        batch.drop_column('objective_id')
    op.drop_table('report_counter')
    op.drop_table('fipd_action')
    op.drop_table('group_objective')
    op.drop_table('strategy_objective')
    op.drop_table('list_entry')
