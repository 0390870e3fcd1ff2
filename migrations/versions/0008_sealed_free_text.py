"""free texts sealed (minutes, reasons of a member's status), possible duplicates

Session minutes and the reason of a member's suspension or exclusion are free text that may
name a person: they move to ``<field>_enc`` columns sealed under the group's data key (a
unit of its own in ``data_key``, id = the group's id). Existing texts are sealed here, which
needs the key directory: ``ccop db upgrade`` passes it; without it, a database holding such
texts is not upgraded (nothing is dropped unsealed).

``case.duplicate_of``: a member's proposal matching an open situation of the group waits for
the coordonnateur (R4: the proposer is not told which one).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 17:40:00
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# (table, clear column, sealed column, column giving the group)
SEALED = (("meeting", "minutes", "minutes_enc", "group_id"),
          ("membership", "status_reason", "status_reason_enc", "group_id"))


def upgrade() -> None:
    rows = _clear_texts()  # read (and the keys checked) before any change: SQLite's DDL is not transactional
    for table, _clear, sealed, _group in SEALED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column(sealed, sa.LargeBinary(), nullable=True))
    if rows:
        _seal(rows)
    for table, clear, _sealed, _group in SEALED:
        # Blanked before the drop: PostgreSQL's DROP COLUMN does not rewrite the table, so
        # the clear text would stay in its pages (and older row versions stay until
        # ``VACUUM FULL meeting, membership``, which docs/operations.md asks for after this upgrade).
        op.execute(sa.text(f"UPDATE {table} SET {clear} = ''"))  # noqa: S608 (constant names)
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column(clear)
    with op.batch_alter_table('case') as batch_op:
        batch_op.add_column(sa.Column('duplicate_of', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_case_duplicate_of_case'), 'case', ['duplicate_of'], ['id'])


def _clear_texts() -> list[tuple[str, str, uuid.UUID, str, uuid.UUID]]:
    bind = op.get_bind()
    rows = []
    for table, clear, sealed, group in SEALED:
        t = sa.table(table, sa.column("id", sa.Uuid()), sa.column(clear, sa.Text()), sa.column(group, sa.Uuid()))
        found = bind.execute(sa.select(t.c.id, t.c[clear], t.c[group]).where(sa.func.length(t.c[clear]) > 0))
        rows += [(table, sealed, row_id, text, group_id) for row_id, text, group_id in found]
    if rows and context.config.attributes.get("key_dir") is None:
        raise RuntimeError("Des comptes rendus ou des motifs doivent être chiffrés : lancez « ccop db upgrade », "
                           "qui lit le dossier de clés (rien n'a été modifié).")
    return rows


def _seal(rows: list[tuple[str, str, uuid.UUID, str, uuid.UUID]]) -> None:
    from crypto import Context, DataKey, FileKeyProvider  # the migration's only use of keys

    bind = op.get_bind()
    keys = FileKeyProvider.open(Path(context.config.attributes["key_dir"]))
    data_key = sa.table("data_key", sa.column("unit_id", sa.Uuid()), sa.column("kek_id", sa.String()),
                        sa.column("wrapped", sa.LargeBinary()), sa.column("created_at", sa.DateTime(timezone=True)))
    deks: dict[uuid.UUID, DataKey] = {}
    for table, sealed, row_id, text, group_id in rows:
        if group_id not in deks:
            existing = bind.execute(sa.select(data_key.c.kek_id, data_key.c.wrapped)
                                    .where(data_key.c.unit_id == group_id)).first()
            if existing is not None:
                deks[group_id] = DataKey.unwrap(keys, existing.kek_id, existing.wrapped, unit_id=group_id)
            else:
                deks[group_id] = DataKey.generate()
                kek_id, wrapped = deks[group_id].wrap(keys, unit_id=group_id)
                bind.execute(data_key.insert().values(unit_id=group_id, kek_id=kek_id, wrapped=wrapped,
                                                      created_at=datetime.now(UTC)))
        value = deks[group_id].encrypt(text.encode("utf-8"), context=Context(table, sealed, row_id))
        t = sa.table(table, sa.column("id", sa.Uuid()), sa.column(sealed, sa.LargeBinary()))
        bind.execute(t.update().where(t.c.id == row_id).values({sealed: value}))


def downgrade() -> None:
    with op.batch_alter_table('case') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_duplicate_of_case'), type_='foreignkey')
        batch_op.drop_column('duplicate_of')
    # Sealed texts are not written back in clear: a downgrade keeps only their columns' shape.
    with op.batch_alter_table('membership') as batch_op:
        batch_op.add_column(sa.Column('status_reason', sa.String(length=300), nullable=True))
        batch_op.drop_column('status_reason_enc')
    with op.batch_alter_table('meeting') as batch_op:
        batch_op.add_column(sa.Column('minutes', sa.Text(), nullable=False, server_default=''))
        batch_op.drop_column('minutes_enc')
