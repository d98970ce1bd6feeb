"""frame query indexes: listings, summary and seeded sampling at 140k frames.

Covering indexes (with ``id``) for frame-order and per-sequence listings, the summary's
group-bys and counts, and the pseudo-random order "at least k per label" walks.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# datasets.tables.shuffle_key_sql("id") as of this revision (kept verbatim here).
_H = "(((id + 4294967296) * 1103515245 + 12345) & 2147483647)"
SHUFFLE_KEY = f"(((({_H} * {_H}) >> 31) * 48271 + {_H}) & 2147483647)"
UNKNOWN = sa.text("unknown_labels IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_frames_dataset_ordinal", table_name="frames")
    op.create_index(
        "ix_frames_dataset_ordinal",
        "frames",
        ["dataset_id", "ordinal", "seq_pos", "camera", "id"],
        unique=False,
    )
    op.create_index(
        "ix_frames_dataset_sequence",
        "frames",
        ["dataset_id", "sequence", "camera", "split", "ordinal", "seq_pos", "id"],
        unique=False,
    )
    op.drop_index("ix_frames_dataset_error", table_name="frames")
    op.create_index(
        "ix_frames_dataset_error", "frames", ["dataset_id", "error_kind", "indexed"], unique=False
    )
    op.create_index(
        "ix_frames_dataset_shuffle",
        "frames",
        ["dataset_id", sa.text(SHUFFLE_KEY), "id"],
        unique=False,
    )
    # Last: without ANALYZE statistics SQLite picks, among indexes that match equally,
    # the one created last; this one must win for the summary's count.
    op.create_index(
        "ix_frames_dataset_unknown",
        "frames",
        ["dataset_id"],
        unique=False,
        postgresql_where=UNKNOWN,
        sqlite_where=UNKNOWN,
    )


def downgrade() -> None:
    op.drop_index("ix_frames_dataset_shuffle", table_name="frames")
    op.drop_index("ix_frames_dataset_unknown", table_name="frames")
    op.drop_index("ix_frames_dataset_error", table_name="frames")
    op.create_index("ix_frames_dataset_error", "frames", ["dataset_id", "error_kind"], unique=False)
    op.drop_index("ix_frames_dataset_sequence", table_name="frames")
    op.drop_index("ix_frames_dataset_ordinal", table_name="frames")
    op.create_index(
        "ix_frames_dataset_ordinal",
        "frames",
        ["dataset_id", "ordinal", "seq_pos", "camera"],
        unique=False,
    )
