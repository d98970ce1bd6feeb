"""taxonomies: keep the labels.csv columns and spellings the fields do not hold.

``taxonomies.file_columns`` is the header of the file a taxonomy was read from, in order;
``taxonomy_classes.file_cells`` maps a column to the file's text wherever the class's fields
would not write it the same (``categoryId``, ``hasInstances``, the row index, ApolloScape's
padded names). With them an export reproduces the file it was imported from. Both are
NULL for what was not read from a file, as every row is before this revision.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("taxonomies", sa.Column("file_columns", sa.JSON(), nullable=True))
    op.add_column("taxonomy_classes", sa.Column("file_cells", sa.JSON(), nullable=True))


def downgrade() -> None:
    # Batch mode: SQLite before 3.35 cannot drop a column in place.
    with op.batch_alter_table("taxonomy_classes") as batch:
        batch.drop_column("file_cells")
    with op.batch_alter_table("taxonomies") as batch:
        batch.drop_column("file_columns")
