"""jobs: what the recovery sweep needs: when a job and each chunk were last sent, a chunk's queue.

Revision ID: 0010f
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010f"
down_revision = "0010m"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("job_chunks") as batch:
        batch.add_column(sa.Column("queue", sa.String(16), nullable=True))
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("job_chunks") as batch:
        batch.drop_column("dispatched_at")
        batch.drop_column("queue")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("sent_at")
