"""ontology: taxonomies, classes, mappings, revisions, audit events.

Revision ID: 0001
Revises: None
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "taxonomies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('source', 'extra')", name="ck_taxonomies_kind"),
        sa.PrimaryKeyConstraint("id", name="pk_taxonomies"),
        sa.UniqueConstraint("name", name="uq_taxonomies_name"),
    )
    op.create_table(
        "taxonomy_classes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taxonomy_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("train_id", sa.Integer(), nullable=True),
        sa.Column("color", sa.String(7), nullable=True),
        sa.Column("category", sa.String(200), nullable=True),
        sa.Column("ignore", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["taxonomy_id"],
            ["taxonomies.id"],
            name="fk_taxonomy_classes_taxonomy_id_taxonomies",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_taxonomy_classes"),
        sa.UniqueConstraint(
            "taxonomy_id", "class_id", name="uq_taxonomy_classes_taxonomy_id_class_id"
        ),
    )
    op.create_index(
        "ix_taxonomy_classes_taxonomy_id", "taxonomy_classes", ["taxonomy_id"], unique=False
    )
    op.create_index(
        "ix_taxonomy_classes_taxonomy_id_name",
        "taxonomy_classes",
        ["taxonomy_id", "name"],
        unique=False,
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_at", "audit_events", ["at"], unique=False)
    op.create_index(
        "ix_audit_events_entity", "audit_events", ["entity", "entity_id"], unique=False
    )
    op.create_table(
        "mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("extra_taxonomy_id", sa.Integer(), nullable=False),
        sa.Column("source_taxonomy_id", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("head_revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["extra_taxonomy_id"],
            ["taxonomies.id"],
            name="fk_mappings_extra_taxonomy_id_taxonomies",
        ),
        sa.ForeignKeyConstraint(
            ["source_taxonomy_id"],
            ["taxonomies.id"],
            name="fk_mappings_source_taxonomy_id_taxonomies",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mappings"),
        sa.UniqueConstraint("name", name="uq_mappings_name"),
    )
    op.create_index(
        "ix_mappings_extra_taxonomy_id", "mappings", ["extra_taxonomy_id"], unique=False
    )
    op.create_index(
        "ix_mappings_source_taxonomy_id", "mappings", ["source_taxonomy_id"], unique=False
    )
    op.create_table(
        "mapping_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mapping_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=True),
        sa.Column("diff", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["mapping_id"],
            ["mappings.id"],
            name="fk_mapping_revisions_mapping_id_mappings",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_mapping_revisions"),
        sa.UniqueConstraint(
            "mapping_id", "number", name="uq_mapping_revisions_mapping_id_number"
        ),
    )
    op.create_index(
        "ix_mapping_revisions_mapping_id", "mapping_revisions", ["mapping_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_mapping_revisions_mapping_id", table_name="mapping_revisions")
    op.drop_table("mapping_revisions")
    op.drop_index("ix_mappings_source_taxonomy_id", table_name="mappings")
    op.drop_index("ix_mappings_extra_taxonomy_id", table_name="mappings")
    op.drop_table("mappings")
    op.drop_index("ix_audit_events_entity", table_name="audit_events")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_index("ix_taxonomy_classes_taxonomy_id_name", table_name="taxonomy_classes")
    op.drop_index("ix_taxonomy_classes_taxonomy_id", table_name="taxonomy_classes")
    op.drop_table("taxonomy_classes")
    op.drop_table("taxonomies")
