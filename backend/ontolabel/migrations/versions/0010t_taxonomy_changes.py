"""taxonomies: taxonomy_changes, each rename / merge / split applied, with what a revert needs.

Revision ID: 0010t
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010t"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taxonomy_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taxonomy_id", sa.Integer(), nullable=False),
        sa.Column("op", sa.String(16), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("classes_before", sa.JSON(), nullable=False),
        sa.Column("classes_after", sa.JSON(), nullable=False),
        sa.Column("version_before", sa.Integer(), nullable=False),
        sa.Column("version_after", sa.Integer(), nullable=False),
        sa.Column("mappings", sa.JSON(), nullable=False),
        sa.Column("carried_verification_ids", sa.JSON(), nullable=False),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reverted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reverted_by", sa.String(64), nullable=True),
        sa.Column("revert_revisions", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["taxonomy_id"],
            ["taxonomies.id"],
            name="fk_taxonomy_changes_taxonomy_id_taxonomies",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_taxonomy_changes"),
    )
    op.create_index(
        "ix_taxonomy_changes_taxonomy_id", "taxonomy_changes", ["taxonomy_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_taxonomy_changes_taxonomy_id", table_name="taxonomy_changes")
    op.drop_table("taxonomy_changes")
