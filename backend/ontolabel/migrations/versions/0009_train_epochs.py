"""jobs: train_epochs, one row per epoch of a train job (loss, rates, validation, draws).

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "train_epochs",
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("loss", sa.Float(), nullable=True),
        sa.Column("lrs", sa.JSON(), nullable=False),
        sa.Column("val", sa.JSON(), nullable=False),
        sa.Column("fitness", sa.Float(), nullable=True),
        sa.Column("improved", sa.Boolean(), nullable=False),
        sa.Column("draws", sa.JSON(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_train_epochs_job_id_jobs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "epoch", name="pk_train_epochs"),
    )


def downgrade() -> None:
    op.drop_table("train_epochs")
