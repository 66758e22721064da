"""The object store on a local directory and on a real S3 server (SeaweedFS)."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
import tracemalloc
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from storage.errors import ObjectNotFound, ObjectStoreError
from storage.objectstore import LocalObjectStore, ObjectStore, S3ObjectStore, key_for, open_store
from storage.settings import Settings

SOURCE_URL = "http://www.nx.gov.cn/zwgk/年报/2023年政府信息公开工作年度报告.pdf?id=1&t=%20x"
MIB = 1024 * 1024


class GeneratedStream(io.RawIOBase):
    """`size` bytes made on demand (never all in memory), hashed as they are handed out."""

    def __init__(self, size: int, seed: bytes, on_read: Callable[[int], None] | None = None) -> None:
        self.remaining = size
        self.block = hashlib.sha256(seed).digest() * (MIB // 32)
        self.offset = 0
        self.digest = hashlib.sha256()
        self.on_read = on_read

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self.remaining, len(self.block) - self.offset)
        if count <= 0:
            return 0
        chunk = self.block[self.offset : self.offset + count]
        buffer[:count] = chunk
        self.digest.update(chunk)
        self.offset = (self.offset + count) % len(self.block)
        self.remaining -= count
        if self.on_read is not None:
            self.on_read(self.remaining)
        return count


def stored_keys(store: ObjectStore, config: dict[str, Any], seaweed: Any) -> list[str]:
    """Every object actually present, listed behind the store's back."""
    if isinstance(store, LocalObjectStore):
        root = store.root / "originals"
        return sorted(
            str(p.relative_to(store.root))
            for p in root.rglob("*")
            if p.is_file() and not p.name.endswith(".json")
        )
    assert isinstance(store, S3ObjectStore)
    client = seaweed.client()
    return sorted(o.object_name for o in client.list_objects(store.bucket, recursive=True))


@pytest.fixture
def seaweed_or_none(object_store_config: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    return (
        request.getfixturevalue("seaweedfs")
        if object_store_config["object_store"].startswith("s3://")
        else None
    )


def test_put_get_stat_with_metadata(object_store: ObjectStore) -> None:
    data = "银川市2023年政府信息公开工作年度报告".encode() * 100
    metadata = {
        "source-url": SOURCE_URL,
        "Source_ID": "nx-yinchuan",
        "fetched-at": "2024-01-20T08:00:00+08:00",
    }
    info = object_store.put(data, metadata=metadata, content_type="application/pdf")
    digest = hashlib.sha256(data).hexdigest()
    expected_meta = {
        "source-url": SOURCE_URL,
        "source-id": "nx-yinchuan",
        "fetched-at": "2024-01-20T08:00:00+08:00",
    }
    assert info.key == key_for(digest) == f"originals/{digest[:2]}/{digest}"
    assert (info.size, info.sha256, info.content_type, info.metadata) == (
        len(data),
        digest,
        "application/pdf",
        expected_meta,
    )
    assert object_store.get(info.key) == data
    assert object_store.exists(info.key)
    stat = object_store.stat(info.key)
    assert (stat.key, stat.size, stat.sha256, stat.content_type, stat.metadata) == (
        info.key,
        len(data),
        digest,
        "application/pdf",
        expected_meta,
    )
    with object_store.open(info.key) as stream:
        assert stream.read(10) == data[:10]
        assert stream.read() == data[10:]


def test_same_bytes_twice_are_one_object(
    object_store: ObjectStore, object_store_config: dict[str, Any], seaweed_or_none: Any
) -> None:
    first = object_store.put(b"%PDF-1.7 report", metadata={"source-url": "http://a.gov.cn/1.pdf"})
    second = object_store.put(
        io.BytesIO(b"%PDF-1.7 report"), metadata={"source-url": "http://b.gov.cn/2.pdf"}
    )
    other = object_store.put(b"%PDF-1.7 another report")
    assert second == first
    assert object_store.stat(first.key).metadata == {"source-url": "http://a.gov.cn/1.pdf"}
    assert stored_keys(object_store, object_store_config, seaweed_or_none) == sorted([first.key, other.key])


def test_missing_object(object_store: ObjectStore) -> None:
    key = key_for("0" * 64)
    assert object_store.exists(key) is False
    with pytest.raises(ObjectNotFound, match=f"no object {key} in "):
        object_store.get(key)
    with pytest.raises(ObjectNotFound):
        object_store.stat(key)
    with pytest.raises(ObjectNotFound), object_store.open(key):
        pass


@pytest.mark.parametrize(
    "key",
    [
        "../../etc/passwd",
        "originals/../../../etc/passwd",
        "originals/aa/../../../../etc/passwd",
        f"originals/ab/{'a' * 64}",
        f"originals/AA/{'A' * 64}",
        f"/originals/aa/{'a' * 64}",
        f"originals/aa/{'a' * 64}/../x",
        f"originals/aa/{'a' * 64}.meta.json",
    ],
)
def test_keys_other_than_content_keys_are_rejected(object_store: ObjectStore, key: str) -> None:
    for operation in (object_store.get, object_store.exists, object_store.stat, object_store.url):
        with pytest.raises(ObjectStoreError, match="invalid object key"):
            operation(key)
    with pytest.raises(ObjectStoreError, match="invalid object key"), object_store.open(key):
        pass


def test_local_store_cannot_read_outside_its_root(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password")
    store = LocalObjectStore(tmp_path / "objects")
    for key in ("../secret.txt", "originals/../../secret.txt", str(secret)):
        with pytest.raises(ObjectStoreError, match="invalid object key"):
            store.get(key)


def test_key_for_validates_the_digest() -> None:
    assert key_for("ab" + "0" * 62) == "originals/ab/ab" + "0" * 62
    for bad in ("", "ab", "g" * 64, "A" * 64, "a" * 65, "../" + "a" * 61):
        with pytest.raises(ObjectStoreError, match="not a SHA-256 hex digest"):
            key_for(bad)


def test_bad_metadata_key_is_rejected(object_store: ObjectStore) -> None:
    with pytest.raises(ObjectStoreError, match="invalid metadata key 'source url'"):
        object_store.put(b"x", metadata={"source url": "http://a"})


def test_failing_source_stream_leaves_nothing(
    object_store: ObjectStore, object_store_config: dict[str, Any], seaweed_or_none: Any
) -> None:
    def explode(remaining: int) -> None:
        if remaining < 7 * MIB:
            raise OSError("connection reset by the government site")

    with pytest.raises(OSError, match="connection reset"):
        object_store.put(GeneratedStream(10 * MIB, b"broken", on_read=explode))
    if isinstance(object_store, S3ObjectStore):
        object_store.ensure_bucket()
    else:
        assert list((Path(object_store_config["object_store"]) / ".tmp").iterdir()) == []
    assert stored_keys(object_store, object_store_config, seaweed_or_none) == []


def test_url_opens_the_object(object_store: ObjectStore) -> None:
    data = b"<html>2023\xe5\xb9\xb4\xe6\x8a\xa5</html>"
    info = object_store.put(data, content_type="text/html")
    url = object_store.url(info.key)
    if isinstance(object_store, LocalObjectStore):
        assert url == (object_store.root / info.key).as_uri()
    else:
        assert url.startswith(f"http://{object_store.endpoint}/{object_store.bucket}/{info.key}?")
        assert "X-Amz-Signature=" in url
    with urllib.request.urlopen(url, timeout=10) as response:  # loopback or a local file
        assert response.read() == data


def test_local_store_detects_a_corrupted_original(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    info = store.put(b"original bytes")
    (tmp_path / info.key).write_bytes(b"tampered bytes")
    with pytest.raises(ObjectStoreError, match="is corrupt"):
        store.get(info.key)


def test_large_stream_keeps_memory_bounded(object_store: ObjectStore) -> None:
    """100 MB in and out with a peak of Python allocations far below the object size."""
    size = 100 * MIB
    stream = GeneratedStream(size, b"bounded-memory")
    tracemalloc.start()
    try:
        info = object_store.put(stream, content_type="application/pdf")
        _, put_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        digest = hashlib.sha256()
        total = 0
        with object_store.open(info.key) as reader:
            while chunk := reader.read(MIB):
                digest.update(chunk)
                total += len(chunk)
        _, get_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.sha256 == stream.digest.hexdigest()
    assert (info.size, total, digest.hexdigest()) == (size, size, info.sha256)
    assert object_store.stat(info.key).size == size
    assert put_peak < 40 * MIB, f"put peaked at {put_peak / MIB:.1f} MiB"
    assert get_peak < 40 * MIB, f"get peaked at {get_peak / MIB:.1f} MiB"


def test_open_store_uses_bucket_and_prefix(seaweedfs: Any) -> None:
    fields = seaweedfs.settings_fields("nianbao-prefixed")
    fields["object_store"] = "s3://nianbao-prefixed/archive/originals-v1"
    store = open_store(Settings(**fields))
    info = store.put(b"prefixed")
    assert store.describe() == f"S3 http://{seaweedfs.endpoint} bucket nianbao-prefixed/archive/originals-v1"
    names = [o.object_name for o in seaweedfs.client().list_objects("nianbao-prefixed", recursive=True)]
    assert names == [f"archive/originals-v1/{info.key}"]
    assert store.get(info.key) == b"prefixed"


def test_local_store_from_file_uri(tmp_path: Path) -> None:
    store = open_store(Settings(object_store=(tmp_path / "store dir").as_uri()))
    assert isinstance(store, LocalObjectStore)
    info = store.put(b"x")
    assert (tmp_path / "store dir" / info.key).read_bytes() == b"x"


def test_wrong_credentials_are_one_line(seaweedfs: Any) -> None:
    store = S3ObjectStore(
        "nianbao-denied", endpoint=seaweedfs.endpoint, access_key=seaweedfs.access_key, secret_key="wrong"
    )
    with pytest.raises(ObjectStoreError) as caught:
        store.put(b"x")
    message = str(caught.value)
    assert message == (
        f"creating bucket failed at S3 http://{seaweedfs.endpoint} bucket nianbao-denied: AccessDenied: Access denied"
    )


def _dat_bytes(directory: Path) -> int:
    """Bytes in the server's volume files (they sit directly in its data directory)."""
    with os.scandir(directory) as entries:
        return sum(entry.stat().st_size for entry in entries if entry.name.endswith(".dat"))


@pytest.mark.s3
def test_s3_server_stopped_mid_upload(weed_factory: Callable[[], Any]) -> None:
    """Killing the server during a multipart upload: one-line error, and no object under the key."""
    server = weed_factory()
    store = S3ObjectStore(
        "nianbao-crash",
        endpoint=server.endpoint,
        access_key=server.access_key,
        secret_key=server.secret_key,
        part_size=5 * MIB,
    )
    store.ensure_bucket()
    baseline = _dat_bytes(server.data_dir)
    stream = GeneratedStream(100 * MIB, b"crash")
    stream_done = threading.Event()
    killed_after = threading.Event()
    received: list[int] = []

    def kill_when_parts_arrive() -> None:
        """Kill -9 the server once a first part has reached its volumes, i.e. mid-upload."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not stream_done.is_set():
            grown = _dat_bytes(server.data_dir) - baseline
            if grown >= 5 * MIB:
                received.append(grown)
                server.kill()
                killed_after.set()
                return
            time.sleep(0.02)

    watcher = threading.Thread(target=kill_when_parts_arrive)
    watcher.start()
    try:
        with pytest.raises(ObjectStoreError) as caught:
            store.put(stream)
    finally:
        stream_done.set()
        watcher.join(timeout=60)
    assert killed_after.is_set(), "the upload finished before the server could be stopped"
    assert 5 * MIB <= received[0] < 100 * MIB
    message = str(caught.value)
    assert message.startswith(
        f"storing {key_for(stream.digest.hexdigest())} failed: S3 http://{server.endpoint} "
    )
    assert "unreachable" in message and "\n" not in message

    server.start()
    key = key_for(stream.digest.hexdigest())
    fresh = S3ObjectStore(
        "nianbao-crash", endpoint=server.endpoint, access_key=server.access_key, secret_key=server.secret_key
    )
    assert fresh.exists(key) is False
    assert [o.object_name for o in server.client().list_objects("nianbao-crash", recursive=True)] == []
    assert fresh.put(b"after restart").key in [
        o.object_name for o in server.client().list_objects("nianbao-crash", recursive=True)
    ]


@pytest.mark.s3
def test_s3_server_down_fails_fast_with_endpoint(weed_factory: Callable[[], Any]) -> None:
    server = weed_factory()
    store = S3ObjectStore(
        "nianbao-down", endpoint=server.endpoint, access_key=server.access_key, secret_key=server.secret_key
    )
    info = store.put(b"before")
    server.stop()
    for operation in (
        lambda: store.put(b"after"),
        lambda: store.stat(info.key),
        lambda: store.exists(info.key),
        lambda: store.get(info.key),
    ):
        with pytest.raises(ObjectStoreError) as caught:
            operation()
        assert not isinstance(caught.value, ObjectNotFound)
        message = str(caught.value)
        assert f"S3 http://{server.endpoint} bucket nianbao-down unreachable" in message
        assert "\n" not in message
