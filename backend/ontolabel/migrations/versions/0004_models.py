"""models: models, evaluations.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "models",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("taxonomy_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('hf_dir', 'checkpoint', 'ontolabel', 'hub')", name="ck_models_kind"
        ),
        sa.ForeignKeyConstraint(
            ["taxonomy_id"], ["taxonomies.id"], name="fk_models_taxonomy_id_taxonomies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_models"),
        sa.UniqueConstraint("name", name="uq_models_name"),
    )
    op.create_index("ix_models_taxonomy_id", "models", ["taxonomy_id"], unique=False)
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=True),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("class_names", sa.JSON(), nullable=False),
        sa.Column("mean_iou", sa.Float(), nullable=True),
        sa.Column("per_class_iou", sa.JSON(), nullable=False),
        sa.Column("confusion", sa.JSON(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name="fk_evaluations_job_id_jobs", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["models.id"], name="fk_evaluations_model_id_models", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_evaluations"),
    )
    op.create_index("ix_evaluations_job_id", "evaluations", ["job_id"], unique=False)
    op.create_index("ix_evaluations_model_id", "evaluations", ["model_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_evaluations_model_id", table_name="evaluations")
    op.drop_index("ix_evaluations_job_id", table_name="evaluations")
    op.drop_table("evaluations")
    op.drop_index("ix_models_taxonomy_id", table_name="models")
    op.drop_table("models")
