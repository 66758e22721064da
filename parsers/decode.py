"""Bytes → str for HTML and text: HTTP charset, then <meta charset>, then BOM, then detection.

GBK and GB2312 are decoded as GB18030 (a superset), which old government sites need.
"""

from __future__ import annotations

import codecs
import re

_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_HTTP = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_\-]+)", re.I)
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_WIDEN = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030", "euc-cn": "gb18030"}


def normalise_charset(name: str) -> str | None:
    """A Python codec name for a declared charset, widened to GB18030 for GBK/GB2312; None if unknown."""
    name = name.strip().lower()
    name = _WIDEN.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def declared_charset(data: bytes, content_type: str = "") -> str | None:
    """The charset named by the HTTP header, else by a <meta> tag, else by a BOM."""
    for match in (_HTTP.search(content_type),):
        if match and (name := normalise_charset(match.group(1))):
            return name
    meta = _META.search(data[:4096])
    if meta and (name := normalise_charset(meta.group(1).decode("ascii", "ignore"))):
        return name
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def decode_bytes(data: bytes, content_type: str = "") -> str:
    """Decode with the declared charset when it decodes cleanly, else UTF-8, GB18030, then detection."""
    declared = declared_charset(data, content_type)
    tried: list[str] = [declared] if declared else []
    tried += ["utf-8-sig", "gb18030"]
    for name in tried:
        try:
            return data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    return data.decode(declared or "gb18030", errors="replace")
