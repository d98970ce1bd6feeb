"""frame labels: drop the redundant foreign key from ``frame_labels.dataset_id``.

``frame_labels.dataset_id`` is the frame's dataset, copied so one index answers "frames of
dataset D with label X by pixels". Each row already references its frame (cascading), and
the frame its dataset (cascading), so the second key guarded nothing the first did not;
it cost a lookup per histogram row (on PostgreSQL a locking trigger query, a third of the
index job's ``COPY`` time at 140k frames).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Batch mode: SQLite cannot drop a constraint in place, so the table is rebuilt.
    with op.batch_alter_table("frame_labels") as batch:
        batch.drop_constraint("fk_frame_labels_dataset_id_datasets", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("frame_labels") as batch:
        batch.create_foreign_key(
            "fk_frame_labels_dataset_id_datasets",
            "datasets",
            ["dataset_id"],
            ["id"],
            ondelete="CASCADE",
        )
