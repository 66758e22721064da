"""Storage errors: each message is one line an operator can act on, never a credential."""

from __future__ import annotations


class StorageError(Exception):
    """Base of every error raised by `storage`."""


class DatabaseError(StorageError):
    """The database cannot be reached or used; the message names host and database, not the password."""


class RecordNotFound(StorageError):
    """A row asked for by id does not exist."""


class ObjectStoreError(StorageError):
    """The object store failed; the message names the endpoint/bucket or the directory."""


class ObjectNotFound(ObjectStoreError):
    """No object is stored under the key."""


class DocumentClaimed(StorageError):
    """Another live run is ingesting the document (storage/claims.py)."""
