"""Any published file → Report: legacy Word/WPS (OLE2 .doc/.wps) converted to DOCX by LibreOffice
headless, image-only PDFs and pictures OCR'd, everything else through `parsers.parse`.

The conversion is a subprocess, so it lives here and not in the pure `parsers` package: ingest and
`nianbao parse` call `parse_document`, which converts a legacy Word file first and hands the DOCX to
`parsers.parse(..., source_kind="doc")`, and hands a `needs_ocr` result to `parsers.ocr.parse_scan`.

Each conversion runs in its own throwaway directory with its own LibreOffice profile
(`-env:UserInstallation`), so conversions never share state or lock each other out, under a time
limit (the whole process group is killed when it passes) and a size cap on input and output. A
file LibreOffice cannot open (password-protected, damaged) or a machine without LibreOffice ends in
an `UnsupportedKind`/`EncryptedDocument`/`ParseTimeout` with a one-line reason, which ingest records
as an unreadable report (published, no cells).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import parsers
from parsers.detect import detect_kind
from parsers.errors import EncryptedDocument, ParseTimeout, ResourceLimit, UnsupportedKind
from parsers.model import Report
from parsers.ocr import ocr_available, parse_scan
from parsers.settings import ParseSettings

SOFFICE_NAMES = ("soffice", "libreoffice")


@dataclass(frozen=True)
class ConvertSettings:
    """Limits of one LibreOffice conversion (seconds, input and output bytes) and of the heavy work
    on one host: at most `slots` conversions or OCR runs at once (NIANBAO_HEAVY_SLOTS, default 1),
    each waiting at most `slot_wait` seconds for its turn."""

    timeout: float = 90.0
    max_input_bytes: int = 50 * 1024 * 1024
    max_output_bytes: int = 50 * 1024 * 1024
    slots: int = field(default_factory=lambda: max(1, int(os.environ.get("NIANBAO_HEAVY_SLOTS", "1"))))
    slot_wait: float = 240.0


def slot_directory() -> Path:
    """Where the heavy-work slot locks live: `<NIANBAO_HOME>/locks` (shared by every process of a host)."""
    return Path(os.environ.get("NIANBAO_HOME", "var")) / "locks"


@contextmanager
def heavy_slot(settings: ConvertSettings) -> Iterator[int]:
    """One of `settings.slots` host-wide slots for a conversion or an OCR run (an flock on
    `<home>/locks/heavy-N.lock`, released when the process dies), so a batch of scans or .doc files
    can take at most that many cores and ordinary ingest (text PDFs, DOCX, HTML), which takes no slot,
    is never starved; ParseTimeout after `slot_wait` seconds without one."""
    import fcntl
    import time

    directory = slot_directory()
    directory.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + settings.slot_wait
    while True:
        for number in range(settings.slots):
            handle = (directory / f"heavy-{number}.lock").open("a+")
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                continue
            try:
                yield number
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
                handle.close()
            return
        if time.monotonic() >= deadline:
            raise ParseTimeout(
                f"no OCR/conversion slot free within {settings.slot_wait:g} s ({settings.slots} on this host)"
            )
        time.sleep(0.2)


def soffice_path() -> str | None:
    """The LibreOffice binary (NIANBAO_SOFFICE overrides the PATH lookup), None when not installed."""
    override = os.environ.get("NIANBAO_SOFFICE", "").strip()
    if override:
        return override if Path(override).exists() else None
    return next((found for name in SOFFICE_NAMES if (found := shutil.which(name))), None)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """Kill LibreOffice and the children it started (oosplash → soffice.bin)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def libreoffice_convert(
    data: bytes, *, source_suffix: str, target: str, settings: ConvertSettings | None = None
) -> bytes:
    """`data` (a file ending in `source_suffix`) converted by LibreOffice headless to `target` (a
    `--convert-to` argument, "suffix:Filter name"), in a throwaway directory and profile; raises a
    ParseError subclass when LibreOffice is missing, too slow or writes nothing."""
    settings = settings or ConvertSettings()
    if len(data) > settings.max_input_bytes:
        raise ResourceLimit(
            f"{source_suffix.upper()} file of {len(data)} bytes is larger than the conversion limit "
            f"of {settings.max_input_bytes} bytes"
        )
    soffice = soffice_path()
    if soffice is None:
        raise UnsupportedKind(
            f"{source_suffix.upper()} document needs LibreOffice (soffice), which is not installed"
        )
    suffix = target.split(":", 1)[0]
    with tempfile.TemporaryDirectory(prefix="nianbao-convert-") as work:
        root = Path(work)
        source = root / "in" / f"report.{source_suffix}"
        out = root / "out"
        source.parent.mkdir()
        out.mkdir()
        source.write_bytes(data)
        command = [
            soffice,
            "--headless",
            "--norestore",
            "--nologo",
            "--nolockcheck",
            "--nodefault",
            f"-env:UserInstallation={(root / 'profile').as_uri()}",
            "--convert-to",
            target,
            "--outdir",
            str(out),
            str(source),
        ]
        env = {**os.environ, "HOME": str(root), "TMPDIR": str(root)}
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            process.communicate(timeout=settings.timeout)
        except subprocess.TimeoutExpired as exc:
            _kill_group(process)
            raise ParseTimeout(
                f"LibreOffice did not convert the {source_suffix.upper()} file within {settings.timeout:g} s"
            ) from exc
        result = out / f"report.{suffix}"
        if not result.is_file():
            raise UnsupportedKind(
                f"{source_suffix.upper()} document LibreOffice cannot convert (exit {process.returncode})"
            )
        if result.stat().st_size > settings.max_output_bytes:
            raise ResourceLimit(
                f"the {suffix.upper()} converted from a {source_suffix.upper()} file is larger than "
                f"{settings.max_output_bytes // 2**20} MB"
            )
        return result.read_bytes()


def doc_to_docx(data: bytes, settings: ConvertSettings | None = None) -> bytes:
    """The DOCX LibreOffice writes for a legacy Word/WPS file (always named .doc: LibreOffice picks
    its Word 97 filter by the bytes, and a Kingsoft .wps is a Word 97 file)."""
    if _is_encrypted(data):
        raise EncryptedDocument("password-protected legacy Word/WPS document")
    try:
        return libreoffice_convert(
            data, source_suffix="doc", target="docx:MS Word 2007 XML", settings=settings
        )
    except UnsupportedKind as exc:
        raise UnsupportedKind(f"legacy Word/WPS (OLE2 .doc/.wps) document: {exc}") from exc


def _is_encrypted(data: bytes) -> bool:
    """A Word 97 file whose FIB says fEncrypted (bit 0x0100 of the flags at offset 10 of the
    WordDocument stream), found by its magic 0xA5EC at the start of a 512-byte sector."""
    for offset in range(512, len(data), 512):
        if data[offset : offset + 2] == b"\xec\xa5":
            return bool(int.from_bytes(data[offset + 10 : offset + 12], "little") & 0x0100)
    return False


def parse_document(
    data: bytes,
    *,
    filename: str = "",
    content_type: str = "",
    settings: ParseSettings | None = None,
    convert: ConvertSettings | None = None,
    ocr: bool | None = None,
) -> Report:
    """`parsers.parse` for any file a portal publishes: a legacy Word/WPS file is converted to DOCX by
    LibreOffice first and reported with `source_kind` "doc"; an image-only PDF or a picture is OCR'd
    when the `[ocr]` extra is installed and `ocr` (default: NIANBAO_OCR, on unless "0") allows it,
    else it stays `needs_ocr`."""
    convert = convert or ConvertSettings()
    if detect_kind(data, filename=filename, content_type=content_type) == "doc":
        with heavy_slot(convert):
            docx = doc_to_docx(data, convert)
        return parsers.parse(docx, filename="converted.docx", settings=settings, source_kind="doc")
    report = parsers.parse(data, filename=filename, content_type=content_type, settings=settings)
    if ocr is None:
        ocr = os.environ.get("NIANBAO_OCR", "1").strip().lower() not in ("0", "false", "no", "off")
    if report.status == "needs_ocr" and ocr and ocr_available():
        with heavy_slot(convert):
            scanned = parse_scan(data, filename=filename, content_type=content_type, settings=settings)
        # OCR that makes no report of the page (an unreadable scan) leaves it needs_ocr, which still
        # counts as published, rather than not_a_report.
        return scanned if scanned.status == "parsed" else report
    return report
