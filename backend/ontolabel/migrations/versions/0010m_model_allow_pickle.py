"""models.allow_pickle: an admin's explicit trust in a checkpoint file's pickles.

Revision ID: 0010m
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010m"
down_revision = "0010t"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.add_column(
            sa.Column("allow_pickle", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("models") as batch:
        batch.drop_column("allow_pickle")
