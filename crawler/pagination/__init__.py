"""Pagination styles, one module each, registered by the name a source's `pagination:` gives.

Adding a style: a module with a `Pagination` subclass, and one entry in `STYLES` (the registry
validates `pagination:` against it; `auto` tries the detecting styles in the order given here).
"""

from __future__ import annotations

from crawler.pagination.auto import Auto
from crawler.pagination.base import ListPage, Pagination, Walk
from crawler.pagination.go_page import GoPage
from crawler.pagination.hanweb import Hanweb
from crawler.pagination.json_api import JsonApi
from crawler.pagination.next_link import NextLink
from crawler.pagination.trs import Trs

_TRS, _HANWEB, _GO_PAGE, _NEXT_LINK = Trs(), Hanweb(), GoPage(), NextLink()

STYLES: dict[str, Pagination] = {
    style.name: style
    for style in (
        Auto([_HANWEB, _TRS, _GO_PAGE, _NEXT_LINK]),
        _TRS,
        _HANWEB,
        _GO_PAGE,
        _NEXT_LINK,
        JsonApi(),
    )
}
"""Every style by name, in the order `nianbao sources check` lists them."""


def pagination_style(name: str) -> Pagination:
    """The style registered under `name` (the registry has validated it)."""
    return STYLES[name]


__all__ = ["STYLES", "ListPage", "Pagination", "Walk", "pagination_style"]
