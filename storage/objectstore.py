"""Content-addressed storage of original documents: a local directory or any S3 API server.

Keys are `originals/<sha256[:2]>/<sha256>`; storing the same bytes twice is a no-op. Nothing is
ever visible under a final key before all its bytes are: the local store renames a finished temp
file into place, the S3 store hashes a stream into a bounded spool file first and only then
uploads (a multipart upload is invisible until it completes).

Metadata keys are normalised as S3 header names are (lower case, `_` → `-`); values are any
text, including Chinese URLs.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, BinaryIO, Protocol, runtime_checkable
from urllib.parse import quote, unquote, urlsplit

from storage.errors import ObjectNotFound, ObjectStoreError
from storage.settings import Settings, get_settings

if TYPE_CHECKING:
    from minio import Minio

KEY_PREFIX = "originals"
KEY_PATTERN = re.compile(r"^originals/([0-9a-f]{2})/(\1[0-9a-f]{62})$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
EXPORT_PREFIX = "exports"
# Published files of the open dataset: exports/<path>, each part letters, digits, "_", "-", "." or "=".
EXPORT_KEY_PATTERN = re.compile(r"^exports(?:/(?!\.{1,2}(?:/|$))[A-Za-z0-9_.=-]+)+$")
METADATA_KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*$")
DEFAULT_CONTENT_TYPE = "application/octet-stream"
CHUNK_SIZE = 1024 * 1024
SPOOL_MEMORY_LIMIT = 4 * 1024 * 1024
DEFAULT_PART_SIZE = 8 * 1024 * 1024
S3_TIMEOUT_SECONDS = 10.0
S3_RETRIES = 2
NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject", "ResourceNotFound", "NoSuchBucket"})


def key_for(sha256: str) -> str:
    """The object key of content with this SHA-256 (64 lower-case hex digits)."""
    if not SHA256_PATTERN.match(sha256):
        raise ObjectStoreError(f"not a SHA-256 hex digest: {sha256[:80]!r}")
    return f"{KEY_PREFIX}/{sha256[:2]}/{sha256}"


def sha256_of_key(key: str) -> str:
    """The digest a key is named after; rejects anything that is not a content key (no traversal)."""
    match = KEY_PATTERN.match(key)
    if match is None:
        raise ObjectStoreError(f"invalid object key {key[:120]!r}: expected originals/<aa>/<sha256>")
    return match.group(2)


def check_export_key(key: str) -> str:
    """A key under `exports/` for a named (not content-addressed) file; rejects traversal."""
    if not EXPORT_KEY_PATTERN.match(key):
        raise ObjectStoreError(f"invalid export key {key[:120]!r}: expected exports/<path>")
    return key


def normalise_metadata(metadata: Mapping[str, str] | None) -> dict[str, str]:
    """Metadata with S3-style keys (lower case, dashes); rejects keys S3 cannot carry."""
    result: dict[str, str] = {}
    for raw_key, value in (metadata or {}).items():
        key = str(raw_key).strip().lower().replace("_", "-")
        if not METADATA_KEY_PATTERN.match(key):
            raise ObjectStoreError(f"invalid metadata key {raw_key!r}: use letters, digits and dashes")
        result[key] = str(value)
    return result


@dataclass
class ObjectInfo:
    """What is known about a stored object."""

    key: str
    size: int
    sha256: str
    content_type: str
    metadata: dict[str, str] = field(default_factory=dict)


@runtime_checkable
class ObjectStore(Protocol):
    """The operations the pipeline needs from an object store."""

    def put(
        self,
        data: bytes | BinaryIO,
        metadata: Mapping[str, str] | None = None,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> ObjectInfo: ...

    def get(self, key: str) -> bytes: ...

    def open(self, key: str) -> AbstractContextManager[BinaryIO]: ...

    def exists(self, key: str) -> bool: ...

    def stat(self, key: str) -> ObjectInfo: ...

    def url(self, key: str, expires: timedelta = timedelta(days=7)) -> str: ...

    def describe(self) -> str: ...

    def put_export(self, key: str, path: Path, content_type: str = DEFAULT_CONTENT_TYPE) -> None:
        """Write a local file under a named key in `exports/`, replacing what was there."""
        ...


def _chunks(data: bytes | IO[bytes]) -> Iterator[bytes]:
    if isinstance(data, bytes | bytearray | memoryview):
        yield bytes(data)
        return
    while True:
        chunk = data.read(CHUNK_SIZE)
        if not chunk:
            return
        if not isinstance(chunk, bytes):
            raise ObjectStoreError("put() needs a binary stream (read() returned text)")
        yield chunk


def _check_digest(info_key: str, data: bytes, where: str) -> bytes:
    if hashlib.sha256(data).hexdigest() != sha256_of_key(info_key):
        raise ObjectStoreError(f"object {info_key} in {where} is corrupt: its bytes do not match its SHA-256")
    return data


class LocalObjectStore:
    """Objects as files under `root` (the embedded default), metadata in a `.meta.json` sidecar."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).expanduser().resolve()

    def describe(self) -> str:
        return f"local directory {self.root}"

    def _path(self, key: str) -> Path:
        sha256_of_key(key)
        return self.root / key

    @staticmethod
    def _sidecar(path: Path) -> Path:
        return path.with_name(path.name + ".meta.json")

    def _tmp_dir(self) -> Path:
        tmp = self.root / ".tmp"
        try:
            tmp.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ObjectStoreError(f"cannot write to {self.describe()}: {exc.strerror or exc}") from None
        return tmp

    def _write_atomic(self, target: Path, chunks: Iterator[bytes]) -> None:
        fd, tmp_name = tempfile.mkstemp(dir=self._tmp_dir(), prefix="put-")
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, target)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Disk failures (full, read-only, permissions) as one-line `ObjectStoreError`s."""
        try:
            yield
        except OSError as exc:
            raise ObjectStoreError(f"cannot write to {self.describe()}: {exc.strerror or exc}") from None

    def put(
        self,
        data: bytes | BinaryIO,
        metadata: Mapping[str, str] | None = None,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> ObjectInfo:
        """Store the bytes; errors of the caller's stream propagate unchanged, disk errors are ours."""
        meta = normalise_metadata(metadata)
        digest = hashlib.sha256()
        size = 0
        with self._writing():
            fd, tmp_name = tempfile.mkstemp(dir=self._tmp_dir(), prefix="put-")
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in _chunks(data):
                    digest.update(chunk)
                    size += len(chunk)
                    with self._writing():
                        handle.write(chunk)
                with self._writing():
                    handle.flush()
                    os.fsync(handle.fileno())
            key = key_for(digest.hexdigest())
            path = self.root / key
            if path.exists():
                return self.stat(key)
            info = ObjectInfo(key, size, digest.hexdigest(), content_type or DEFAULT_CONTENT_TYPE, meta)
            sidecar = {
                "size": size,
                "sha256": info.sha256,
                "content_type": info.content_type,
                "metadata": meta,
            }
            payload = json.dumps(sidecar, ensure_ascii=False, sort_keys=True).encode()
            with self._writing():
                path.parent.mkdir(parents=True, exist_ok=True)
                # The sidecar first: a data file under its final key always has its metadata beside it.
                self._write_atomic(self._sidecar(path), iter([payload]))
                os.replace(tmp_path, path)
            return info
        finally:
            tmp_path.unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def put_export(self, key: str, path: Path, content_type: str = DEFAULT_CONTENT_TYPE) -> None:
        target = self.root / check_export_key(key)
        with self._writing(), path.open("rb") as source:
            self._write_atomic(target, iter(lambda: source.read(CHUNK_SIZE), b""))

    def stat(self, key: str) -> ObjectInfo:
        path = self._path(key)
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key} in {self.describe()}") from None
        try:
            sidecar: dict[str, Any] = json.loads(self._sidecar(path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            sidecar = {}
        return ObjectInfo(
            key=key,
            size=size,
            sha256=sha256_of_key(key),
            content_type=str(sidecar.get("content_type") or DEFAULT_CONTENT_TYPE),
            metadata={str(k): str(v) for k, v in dict(sidecar.get("metadata") or {}).items()},
        )

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        path = self._path(key)
        try:
            handle = path.open("rb")
        except FileNotFoundError:
            raise ObjectNotFound(f"no object {key} in {self.describe()}") from None
        with handle:
            yield handle

    def get(self, key: str) -> bytes:
        with self.open(key) as handle:
            return _check_digest(key, handle.read(), self.describe())

    def url(self, key: str, expires: timedelta = timedelta(days=7)) -> str:
        return self._path(key).as_uri()


def _encode_meta(value: str) -> str:
    """Percent-encode a metadata value so any text survives an HTTP header (decoded by `stat`)."""
    return quote(value, safe="/:;,=?&@+!*'()~$[]")


class S3ObjectStore:
    """Objects in an S3 bucket (MinIO, SeaweedFS, Ceph, AWS) through the `minio` client."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint: str = "127.0.0.1:8333",
        access_key: str = "",
        secret_key: str = "",
        region: str = "us-east-1",
        secure: bool = False,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        timeout: float = S3_TIMEOUT_SECONDS,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.endpoint = endpoint
        self.secure = secure
        self.part_size = max(part_size, 5 * 1024 * 1024)
        self._bucket_ready = False
        self._client = self._make_client(access_key, secret_key, region, timeout)

    def _make_client(self, access_key: str, secret_key: str, region: str, timeout: float) -> Minio:
        import urllib3
        from minio import Minio

        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=timeout, read=timeout),
            maxsize=10,
            retries=urllib3.Retry(
                total=S3_RETRIES, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
        )
        try:
            return Minio(
                self.endpoint,
                access_key=access_key or None,
                secret_key=secret_key or None,
                secure=self.secure,
                region=region or None,
                http_client=http,
            )
        except ValueError as exc:
            raise ObjectStoreError(f"invalid S3 endpoint {self.endpoint!r}: {exc}") from None

    def describe(self) -> str:
        scheme = "https" if self.secure else "http"
        where = f"{self.bucket}/{self.prefix}" if self.prefix else self.bucket
        return f"S3 {scheme}://{self.endpoint} bucket {where}"

    def _name(self, key: str) -> str:
        sha256_of_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    @contextmanager
    def _errors(self, action: str, key: str = "") -> Iterator[None]:
        """Turn client and connection failures into one-line `ObjectStoreError`s naming the endpoint."""
        import urllib3
        from minio.error import MinioException, S3Error

        target = f" {key}" if key else ""
        try:
            yield
        except S3Error as exc:
            if exc.code in NOT_FOUND_CODES:
                raise ObjectNotFound(f"no object {key} in {self.describe()}") from None
            raise ObjectStoreError(
                f"{action}{target} failed at {self.describe()}: {exc.code}: {exc.message}"
            ) from None
        except ValueError as exc:
            raise ObjectStoreError(f"{action}{target} failed at {self.describe()}: {exc}") from None
        except (MinioException, OSError, urllib3.exceptions.HTTPError) as exc:
            raise ObjectStoreError(
                f"{action}{target} failed: {self.describe()} unreachable: {_short_reason(exc)}"
            ) from None

    def ensure_bucket(self) -> None:
        """Create the bucket if it does not exist yet (once per store object)."""
        if self._bucket_ready:
            return
        with self._errors("creating bucket"):
            if not self._client.bucket_exists(self.bucket):
                from minio.error import S3Error

                try:
                    self._client.make_bucket(self.bucket)
                except S3Error as exc:
                    if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                        raise
        self._bucket_ready = True

    def put(
        self,
        data: bytes | BinaryIO,
        metadata: Mapping[str, str] | None = None,
        content_type: str = DEFAULT_CONTENT_TYPE,
    ) -> ObjectInfo:
        meta = normalise_metadata(metadata)
        content_type = content_type or DEFAULT_CONTENT_TYPE
        if isinstance(data, bytes | bytearray | memoryview):
            body = bytes(data)
            return self._upload(
                io.BytesIO(body), len(body), hashlib.sha256(body).hexdigest(), meta, content_type
            )
        with tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY_LIMIT) as spool:
            digest = hashlib.sha256()
            size = 0
            for chunk in _chunks(data):
                digest.update(chunk)
                size += len(chunk)
                spool.write(chunk)
            spool.seek(0)
            return self._upload(spool, size, digest.hexdigest(), meta, content_type)

    def _upload(
        self, stream: IO[bytes], size: int, sha256: str, meta: dict[str, str], content_type: str
    ) -> ObjectInfo:
        key = key_for(sha256)
        self.ensure_bucket()
        try:
            return self.stat(key)
        except ObjectNotFound:
            pass
        headers = {name: _encode_meta(value) for name, value in meta.items()}
        with self._errors("storing", key):
            self._client.put_object(
                self.bucket,
                self._name(key),
                stream,  # type: ignore[arg-type]
                length=size,
                content_type=content_type,
                metadata=headers,  # type: ignore[arg-type]
                part_size=self.part_size,
                num_parallel_uploads=1,
            )
        return ObjectInfo(key, size, sha256, content_type, meta)

    def stat(self, key: str) -> ObjectInfo:
        name = self._name(key)
        with self._errors("reading", key):
            result = self._client.stat_object(self.bucket, name)
        prefix = "x-amz-meta-"
        meta = {
            header[len(prefix) :].lower(): unquote(value)
            for header, value in (result.metadata or {}).items()
            if header.lower().startswith(prefix)
        }
        return ObjectInfo(
            key=key,
            size=int(result.size or 0),
            sha256=sha256_of_key(key),
            content_type=result.content_type or DEFAULT_CONTENT_TYPE,
            metadata=meta,
        )

    def exists(self, key: str) -> bool:
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    @contextmanager
    def open(self, key: str) -> Iterator[BinaryIO]:
        name = self._name(key)
        with self._errors("reading", key):
            response = self._client.get_object(self.bucket, name)
        try:
            yield io.BufferedReader(_S3Reader(self, key, response), buffer_size=CHUNK_SIZE)
        finally:
            response.close()
            response.release_conn()

    def get(self, key: str) -> bytes:
        with self.open(key) as stream:
            data = stream.read()
        return _check_digest(key, data, self.describe())

    def put_export(self, key: str, path: Path, content_type: str = DEFAULT_CONTENT_TYPE) -> None:
        name = check_export_key(key)
        name = f"{self.prefix}/{name}" if self.prefix else name
        self.ensure_bucket()
        with self._errors("storing", key):
            self._client.fput_object(
                self.bucket, name, str(path), content_type=content_type, part_size=self.part_size
            )

    def url(self, key: str, expires: timedelta = timedelta(days=7)) -> str:
        with self._errors("signing a URL for", key):
            return self._client.presigned_get_object(self.bucket, self._name(key), expires=expires)


class _S3Reader(io.RawIOBase):
    """A raw stream over an S3 response whose read failures are one-line `ObjectStoreError`s."""

    def __init__(self, store: S3ObjectStore, key: str, response: Any) -> None:
        self._store = store
        self._key = key
        self._response = response

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with self._store._errors("reading", self._key):
            data = self._response.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _short_reason(exc: BaseException) -> str:
    """A one-line reason from a nested urllib3/minio error (the innermost cause is the useful one)."""
    reason: BaseException = exc
    inner = getattr(reason, "reason", None)
    while isinstance(inner, BaseException) and inner is not reason:
        reason = inner
        inner = getattr(reason, "reason", None)
    text = str(reason).splitlines()[0] if str(reason) else type(reason).__name__
    text = re.sub(r"<[^>]*object at 0x[0-9a-f]+>:?\s*", "", text).strip()
    return text or type(reason).__name__


def open_store(settings: Settings | None = None) -> ObjectStore:
    """The object store named by `settings.object_store`: `s3://bucket/prefix` or a directory."""
    settings = settings or get_settings()
    location = settings.resolved_object_store
    if location.startswith("s3://"):
        parts = urlsplit(location)
        endpoint, secure = settings.s3_endpoint, settings.s3_secure
        if "://" in endpoint:
            scheme, _, endpoint = endpoint.partition("://")
            secure = scheme == "https"
            endpoint = endpoint.rstrip("/")
        if not endpoint:
            raise ObjectStoreError(f"object store {location} needs NIANBAO_S3_ENDPOINT (host:port)")
        return S3ObjectStore(
            bucket=parts.netloc,
            prefix=parts.path.strip("/"),
            endpoint=endpoint,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
            secure=secure,
        )
    if location.startswith("file://"):
        return LocalObjectStore(Path(unquote(urlsplit(location).path)))
    return LocalObjectStore(Path(location))
