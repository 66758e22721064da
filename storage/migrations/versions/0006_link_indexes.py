"""Index the links national-scale work follows: a document's previous version and its page (the
crawl's "newest version of each URL", `latest_versions_of_source`, is a NOT EXISTS on
`previous_version_id`; the ingest's cover-page check, `has_attachments`, reads `parent_id`) and a
timeliness row's report (every report a re-ingest or reparse replaces sets it NULL there). Without them
each of these scanned the whole table; tests/bench/bench_documents.py times them with and without.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_documents_previous_version_id", "documents", ["previous_version_id"])
    op.create_index("ix_documents_parent_id", "documents", ["parent_id"])
    op.create_index("ix_timeliness_report_id", "timeliness", ["report_id"])


def downgrade() -> None:
    op.drop_index("ix_timeliness_report_id", table_name="timeliness")
    op.drop_index("ix_documents_parent_id", table_name="documents")
    op.drop_index("ix_documents_previous_version_id", table_name="documents")
