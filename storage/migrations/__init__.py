"""Alembic migrations, shipped inside the package; run them with `storage.db.upgrade(url)`."""
