"""Index the documents' links to their previous version and to their page: the crawl's "newest
version of each URL" (`latest_versions_of_source`, a NOT EXISTS on `previous_version_id`) and the
cover-page check (`has_attachments`, on `parent_id`) scanned every document without them
(tests/bench/bench_documents.py, 100,000 documents: on SQLite 156 ms a source and 25 ms a document
without, 1.9 ms and 0.27 ms with; on PostgreSQL 22 and 12 ms without, 4.2 and 0.66 ms with).

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


def downgrade() -> None:
    op.drop_index("ix_documents_parent_id", table_name="documents")
    op.drop_index("ix_documents_previous_version_id", table_name="documents")
