"""jobs: job_idempotency_keys, the Idempotency-Key of a job creation per user.

Revision ID: 0010i
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010i"
down_revision = "0010f"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "job_idempotency_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_name", sa.String(64), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name="fk_job_idempotency_keys_job_id_jobs",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_job_idempotency_keys"),
        sa.UniqueConstraint("user_name", "key", name="uq_job_idempotency_keys_user_name_key"),
    )
    op.create_index(
        "ix_job_idempotency_keys_job_id", "job_idempotency_keys", ["job_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_job_idempotency_keys_job_id", table_name="job_idempotency_keys")
    op.drop_table("job_idempotency_keys")
