"""Scenarios and the datasets they hold (a dataset saved once however many scenarios use it).

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "datasets",
        sa.Column("digest", sa.String(64), primary_key=True),  # sha256 of the stored bytes
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "scenarios",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("author", sa.String(200)),
        sa.Column("created", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("approved_at", sa.DateTime(timezone=True)),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("label", sa.String(300), nullable=False),
        sa.Column("accounts", sa.Integer, nullable=False),
        sa.Column("reps", sa.Integer, nullable=False),
        sa.Column("settings", sa.Text, nullable=False),  # JSON: the dashboard's settings store
        sa.Column("dataset", sa.String(64), sa.ForeignKey("datasets.digest"), nullable=False),
    )
    op.create_index("scenarios_by_updated", "scenarios", ["updated"])


def downgrade() -> None:
    op.drop_index("scenarios_by_updated", "scenarios")
    op.drop_table("scenarios")
    op.drop_table("datasets")
