"""Decide what kind of document some bytes are, from the bytes first and the name/content type second."""

from __future__ import annotations

import io
import re
import zipfile
from typing import Literal

from parsers.errors import (
    EmptyDocument,
    EncryptedDocument,
    ResourceLimit,
    TruncatedDocument,
    UnsupportedKind,
    WrongKind,
)
from parsers.settings import MB, ParseSettings

Kind = Literal["pdf", "docx", "html", "text", "doc", "xls", "ofd", "image"]
"""`doc` (legacy Word/WPS) is converted to DOCX outside the parsers (flows.convert); `xls` is any
spreadsheet python-calamine reads (.xls, .xlsx, .et); `ofd` is GB/T 33190; `image` (PNG, JPEG, TIFF,
GIF, BMP) is a page picture that only OCR reads (parsers.ocr)."""

_HTML_SNIFF = re.compile(rb"<(!doctype\s+html|html|head|body|meta|title|div|table|p|script)[\s>/]", re.I)
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _claims_pdf(filename: str, content_type: str) -> bool:
    return filename.lower().endswith(".pdf") or "pdf" in content_type.lower()


def detect_kind(
    data: bytes, *, filename: str = "", content_type: str = "", settings: ParseSettings | None = None
) -> Kind:
    """The reader to use; raise a ParseError subclass for kinds we cannot parse or a ResourceLimit for
    input larger than its kind allows (a zip container: by its declared unpacked sizes)."""
    kind = _detect(data, filename, content_type, settings or ParseSettings())
    limit = (settings or ParseSettings()).max_bytes(kind)
    if len(data) > limit:
        raise ResourceLimit(
            f"{kind.upper()} of {len(data) // MB} MB is larger than the limit of {limit // MB} MB"
        )
    return kind


def _detect(data: bytes, filename: str, content_type: str, settings: ParseSettings) -> Kind:
    if not data.strip():
        raise EmptyDocument("empty document (0 bytes of content)")
    head = data[:2048].lstrip()
    if head.startswith(b"%PDF") or data[:1024].find(b"%PDF-") >= 0:
        return "pdf"
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return _zip_kind(data, settings)
    if data.startswith(_OLE2):
        return _ole2_kind(data, filename)
    if data.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*", b"BM")):
        return "image"
    if data.startswith(b"\x1f\x8b") or data.startswith(b"Rar!") or data.startswith(b"7z\xbc\xaf"):
        raise UnsupportedKind("compressed archive, not a report document")
    is_html = bool(_HTML_SNIFF.search(data[:4096].lower()))
    if _claims_pdf(filename, content_type):
        what = "an HTML page" if is_html else "not a PDF"
        raise WrongKind(f"named or typed as PDF but the bytes are {what} (no %PDF header)")
    if is_html:
        return "html"
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnsupportedKind("binary data of an unknown kind")
    return "text"


def check_zip(members: list[zipfile.ZipInfo], packed: int, settings: ParseSettings) -> None:
    """Refuse a zip bomb before unpacking: too many members, too large or too compressed in total.
    Python's zipfile never unpacks more than a member's declared size, so the declared sizes bound it."""
    if len(members) > settings.max_zip_members:
        raise ResourceLimit(f"ZIP container with {len(members)} members (limit {settings.max_zip_members})")
    unpacked = sum(m.file_size for m in members)
    if unpacked > settings.max_unzipped_bytes:
        raise ResourceLimit(
            f"ZIP container unpacks to {unpacked // MB} MB (limit {settings.max_unzipped_bytes // MB} MB)"
        )
    if unpacked > settings.max_zip_ratio * max(packed, 1):
        raise ResourceLimit(
            f"ZIP container unpacks to {unpacked / max(packed, 1):.0f} times its size "
            f"(limit {settings.max_zip_ratio:.0f})"
        )


def _zip_kind(data: bytes, settings: ParseSettings) -> Kind:
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile as exc:
        if b"word/" in data[:4096]:
            raise TruncatedDocument("truncated DOCX (ZIP directory missing)") from exc
        raise UnsupportedKind("damaged ZIP archive") from exc
    check_zip(members, len(data), settings)
    names = [m.filename for m in members]
    if "word/document.xml" in names:
        return "docx"
    if any(n.startswith("xl/") for n in names):
        return "xls"
    if "OFD.xml" in names:
        return "ofd"
    raise UnsupportedKind(f"ZIP archive with {len(names)} files, not a report document")


def _stream(name: str) -> bytes:
    """An OLE2 directory entry name as stored (UTF-16LE)."""
    return name.encode("utf-16-le")


def _ole2_kind(data: bytes, filename: str) -> Kind:
    """An OLE2 compound file by its streams: WordDocument (Word 97–2003 and Kingsoft WPS) or
    Workbook/Book (Excel, WPS 表格); an encrypted OOXML file is an OLE2 file holding EncryptedPackage.
    The stream names are in the directory sectors, so a search of the bytes finds them."""
    if _stream("EncryptedPackage") in data:
        raise EncryptedDocument("password-protected Office document (encrypted package)")
    if _stream("WordDocument") in data:
        return "doc"
    if _stream("Workbook") in data or _stream("Book\x00") in data:
        return "xls"
    if filename.lower().endswith((".doc", ".wps", ".dot", ".wpt")):
        raise UnsupportedKind("legacy Word/WPS (OLE2 .doc/.wps) file without a WordDocument stream")
    raise UnsupportedKind("OLE2 compound file of an unknown kind (not Word, WPS or Excel)")
