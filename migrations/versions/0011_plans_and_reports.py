"""plans and reports: maintained closed lists, objectives, FIPD actions, purge-time counters

The action types, action outcomes and closing reasons move from the code to ``list_entry``,
seeded with the codes the code held (same codes, same labels), so that the charter
administrator can add and retire codes. The national strategy's objectives, the groups'
objectives per year and the council's FIPD actions get their tables; a situation and an
action may be linked to an objective, an action to a FIPD action. ``report_counter`` keeps,
when a case is purged, the aggregates the reports need about it.

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


def downgrade() -> None:
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
