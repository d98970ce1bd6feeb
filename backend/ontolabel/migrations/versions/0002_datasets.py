"""datasets: datasets, frames, frame labels, label stats, sample sets, verifications.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("root", sa.String(4096), nullable=False),
        sa.Column("taxonomy_id", sa.Integer(), nullable=False),
        sa.Column("preset", sa.String(32), nullable=True),
        sa.Column("image_glob", sa.String(1000), nullable=False),
        sa.Column("image_regex", sa.String(1000), nullable=True),
        sa.Column("label_glob", sa.String(1000), nullable=True),
        sa.Column("label_regex", sa.String(1000), nullable=True),
        sa.Column("label_encoding", sa.String(16), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("frame_count", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("index_job_id", sa.Integer(), nullable=True),
        sa.Column("indexed_at", TZ, nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["taxonomy_id"], ["taxonomies.id"], name="fk_datasets_taxonomy_id_taxonomies"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_datasets"),
        sa.UniqueConstraint("name", name="uq_datasets_name"),
    )
    op.create_index("ix_datasets_taxonomy_id", "datasets", ["taxonomy_id"], unique=False)

    op.create_table(
        "frames",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(1024), nullable=False),
        sa.Column("image_path", sa.String(1024), nullable=True),
        sa.Column("label_path", sa.String(1024), nullable=True),
        sa.Column("split", sa.String(64), nullable=False),
        sa.Column("sequence", sa.String(255), nullable=False),
        sa.Column("frame", sa.String(255), nullable=False),
        sa.Column("camera", sa.String(64), nullable=False),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("seq_pos", sa.Integer(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("image_size", sa.BigInteger(), nullable=True),
        sa.Column("image_mtime_ns", sa.BigInteger(), nullable=True),
        sa.Column("label_size", sa.BigInteger(), nullable=True),
        sa.Column("label_mtime_ns", sa.BigInteger(), nullable=True),
        sa.Column("indexed", sa.Boolean(), nullable=False),
        sa.Column("error_kind", sa.String(32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("unknown_labels", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_frames_dataset_id_datasets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_frames"),
        sa.UniqueConstraint("dataset_id", "key", name="uq_frames_dataset_id_key"),
    )
    op.create_index(
        "ix_frames_dataset_ordinal",
        "frames",
        ["dataset_id", "ordinal", "seq_pos", "camera"],
        unique=False,
    )
    op.create_index("ix_frames_dataset_error", "frames", ["dataset_id", "error_kind"], unique=False)

    op.create_table(
        "frame_labels",
        sa.Column("frame_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("pixels", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["frame_id"], ["frames.id"], name="fk_frame_labels_frame_id_frames", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_frame_labels_dataset_id_datasets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("frame_id", "label_id", name="pk_frame_labels"),
    )
    op.create_index(
        "ix_frame_labels_dataset_label_pixels",
        "frame_labels",
        ["dataset_id", "label_id", "pixels", "frame_id"],
        unique=False,
    )

    op.create_table(
        "dataset_label_stats",
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("label_id", sa.Integer(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("pixels", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_dataset_label_stats_dataset_id_datasets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("dataset_id", "label_id", name="pk_dataset_label_stats"),
    )

    op.create_table(
        "sample_sets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("rule", sa.JSON(), nullable=False),
        sa.Column("frame_ids", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_sample_sets_dataset_id_datasets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sample_sets"),
        sa.UniqueConstraint("dataset_id", "name", name="uq_sample_sets_dataset_id_name"),
    )
    op.create_index("ix_sample_sets_dataset_id", "sample_sets", ["dataset_id"], unique=False)

    op.create_table(
        "verifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("mapping_id", sa.Integer(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("extra_label", sa.String(200), nullable=False),
        sa.Column("decision", sa.String(24), nullable=False),
        sa.Column("row_labels", sa.JSON(), nullable=False),
        sa.Column("dataset_id", sa.Integer(), nullable=True),
        sa.Column("sample_set_id", sa.Integer(), nullable=True),
        sa.Column("frames_reviewed", sa.Integer(), nullable=True),
        sa.Column("evidence_frame_ids", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.CheckConstraint(
            "decision IN ('confirmed', 'wrong', 'absent_confirmed')",
            name="ck_verifications_decision",
        ),
        sa.ForeignKeyConstraint(
            ["mapping_id"], ["mappings.id"], name="fk_verifications_mapping_id_mappings"
        ),
        sa.ForeignKeyConstraint(
            ["dataset_id"],
            ["datasets.id"],
            name="fk_verifications_dataset_id_datasets",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sample_set_id"],
            ["sample_sets.id"],
            name="fk_verifications_sample_set_id_sample_sets",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_verifications"),
    )
    op.create_index(
        "ix_verifications_mapping_row", "verifications", ["mapping_id", "source_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_verifications_mapping_row", table_name="verifications")
    op.drop_table("verifications")
    op.drop_index("ix_sample_sets_dataset_id", table_name="sample_sets")
    op.drop_table("sample_sets")
    op.drop_table("dataset_label_stats")
    op.drop_index("ix_frame_labels_dataset_label_pixels", table_name="frame_labels")
    op.drop_table("frame_labels")
    op.drop_index("ix_frames_dataset_error", table_name="frames")
    op.drop_index("ix_frames_dataset_ordinal", table_name="frames")
    op.drop_table("frames")
    op.drop_index("ix_datasets_taxonomy_id", table_name="datasets")
    op.drop_table("datasets")
