"""Attribute a report to a registry agency from its title or issuer (pure, no I/O).

Names are compared as (places, body): the leading place names (known from the registry's governments,
e.g. 银川市 · 西夏区, each tied to its region code) and what follows (科学技术和工业信息化局). A text matches
an agency when the bodies are equal (name or alias) and the text's most specific place is the agency's
own region, so 银川市科学技术局 never matches 西夏区科学技术和工业信息化局 and 西夏区人民政府 never takes a
department's report. Ambiguous texts match nothing: the caller lists them as unmatched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Generic, TypeVar

from parsers.metadata import issuer_key, normalise_name
from storage.domain import AgencyLike, region_sig

GOVERNMENT_BODY = "人民政府"
_PLACE_SUFFIXES = (
    "回族自治区",
    "壮族自治区",
    "维吾尔自治区",
    "自治区",
    "自治州",
    "自治县",
    "特别行政区",
    "地区",
    "街道",
    "苏木",
    "省",
    "市",
    "州",
    "盟",
    "县",
    "区",
    "旗",
    "乡",
    "镇",
)
_STEM_SUFFIXES = ("回族自治区", "壮族自治区", "维吾尔自治区", "自治区", "省", "市", "区", "县")
_PLACE_TOKEN = re.compile("^(.+?(?:" + "|".join(_PLACE_SUFFIXES) + "))")
A = TypeVar("A", bound=AgencyLike)


@dataclass(frozen=True)
class _Key:
    sig: str
    places: tuple[str, ...]
    body: str


def _levels(sig: str) -> list[str]:
    """The significant codes of a region and its ancestors, outermost first (64, 6401, 640105)."""
    return [sig[:width] for width in (2, 4, 6, 9, 12) if width <= len(sig)]


def _split_place(place: str) -> list[str]:
    """A place spanning several levels (银川市西夏区) cut at its suffixes: 银川市 · 西夏区."""
    parts: list[str] = []
    while place and (match := _PLACE_TOKEN.match(place)):
        parts.append(match.group(1))
        place = place[len(match.group(1)) :]
    return [*parts, place] if place else parts


class _Places:
    """Place tokens of the registry's governments, each mapped to its region's significant code."""

    def __init__(self, agencies: Sequence[AgencyLike]) -> None:
        self.tokens: dict[str, str] = {}
        governments = sorted(
            (
                a
                for a in agencies
                if a.kind == "government" and normalise_name(a.name).endswith(GOVERNMENT_BODY)
            ),
            key=lambda a: len(region_sig(a.region_code)),
        )
        for gov in governments:
            sig = region_sig(gov.region_code)
            place = normalise_name(gov.name).removesuffix(GOVERNMENT_BODY)
            if not place or not sig:
                continue
            self._add(place, sig)
            parts, levels = _split_place(place), _levels(sig)
            if 1 < len(parts) <= len(levels):
                for part, level in zip(parts, levels[-len(parts) :], strict=True):
                    self._add(part, level)
        self._lengths = sorted({len(token) for token in self.tokens}, reverse=True)

    def _add(self, token: str, sig: str) -> None:
        self.tokens.setdefault(token, sig)
        for suffix in _STEM_SUFFIXES:
            stem = token.removesuffix(suffix)
            if stem != token and len(stem) >= 2:
                self.tokens.setdefault(stem, sig)
                break

    def split(self, text: str) -> tuple[tuple[str, ...], str]:
        """Leading place tokens (longest first) and the remaining body."""
        places: list[str] = []
        while token := self._longest_prefix(text):
            places.append(token)
            text = text[len(token) :]
        return tuple(places), text

    def _longest_prefix(self, text: str) -> str:
        """The longest token `text` starts with ("" for none): one look-up per token length, not a scan
        of every token (two tokens of one length cannot both be a prefix of the same text)."""
        for length in self._lengths:
            if length <= len(text) and text[:length] in self.tokens:
                return text[:length]
        return ""


def _body(body: str) -> str:
    return GOVERNMENT_BODY if body in ("", "政府") else body


def _text_key(text: str, places: _Places) -> _Key | None:
    found, body = places.split(text)
    if not found:
        return _Key("", (), _body(body)) if body else None
    return _Key(places.tokens[found[-1]], found, _body(body))


def _agency_keys(agency: AgencyLike, places: _Places) -> list[_Key]:
    keys = []
    for name in (agency.name, *agency.aliases):
        found, body = places.split(normalise_name(name))
        sig = region_sig(agency.region_code) or (places.tokens[found[-1]] if found else "")
        keys.append(_Key(sig, found, _body(body)))
    return keys


def _compatible(text: _Key, agency: _Key, places: _Places) -> bool:
    if text.body != agency.body:
        return False
    if not text.places:
        return not agency.places or agency.body != GOVERNMENT_BODY
    if text.sig != agency.sig:
        return False
    return all(agency.sig.startswith(places.tokens[p]) for p in text.places)


class AgencyMatcher(Generic[A]):
    """`match_agency` over one registry for many texts: the registry's names, places and keys are
    indexed once (each on first need), so a text costs a few look-ups instead of a pass over every
    agency."""

    def __init__(self, agencies: Sequence[A]) -> None:
        self.agencies: list[A] = list(agencies)

    @cached_property
    def _exact(self) -> dict[str, list[int]]:
        """Normalised names and aliases → the positions of the agencies bearing them (each once)."""
        index: dict[str, list[int]] = {}
        for position, agency in enumerate(self.agencies):
            for name in {normalise_name(n) for n in (agency.name, *agency.aliases)}:
                index.setdefault(name, []).append(position)
        return index

    @cached_property
    def _places(self) -> _Places:
        return _Places(self.agencies)

    @cached_property
    def _keys_by_body(self) -> dict[str, list[tuple[int, _Key]]]:
        """Each agency's (places, body) keys grouped by body: a text can only fit keys of its own body."""
        index: dict[str, list[tuple[int, _Key]]] = {}
        for position, agency in enumerate(self.agencies):
            for key in _agency_keys(agency, self._places):
                index.setdefault(key.body, []).append((position, key))
        return index

    def match(self, name_or_title: str) -> A | None:
        """The registry agency a report title or issuer names, or None when none (or several) fit."""
        issuer = issuer_key(name_or_title)
        if not issuer:
            return None
        exact = self._exact.get(issuer)
        if exact:
            return self.agencies[exact[0]] if len(exact) == 1 else None
        key = _text_key(issuer, self._places)
        if key is None:
            return None
        hits = {p for p, k in self._keys_by_body.get(key.body, ()) if _compatible(key, k, self._places)}
        return self.agencies[hits.pop()] if len(hits) == 1 else None


def match_agency(name_or_title: str, agencies: Sequence[A]) -> A | None:
    """The registry agency a report title or issuer names, or None when none (or several) fit.

    For many texts against one registry, build an `AgencyMatcher` once instead.
    """
    return AgencyMatcher(agencies).match(name_or_title)
