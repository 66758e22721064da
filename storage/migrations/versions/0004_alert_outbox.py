"""Alerts are an outbox: each row is `pending` until delivered (`sent`), with its delivery attempts
and when the next one is due (exponential backoff).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "alerts",
        sa.Column("status", sa.String(length=10), nullable=False, server_default=sa.text("'pending'")),
    )
    op.add_column("alerts", sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")))
    op.add_column("alerts", sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
    # Alerts delivered before this revision are sent; the others are still to send.
    op.execute("UPDATE alerts SET status = 'sent' WHERE sent_at IS NOT NULL")
    op.create_index("ix_alerts_status", "alerts", ["status"])


def downgrade() -> None:
    op.drop_index("ix_alerts_status", table_name="alerts")
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("next_attempt_at")
        batch.drop_column("attempts")
        batch.drop_column("status")
