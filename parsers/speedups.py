"""The PDF reader's hot loops in C (`parsers/_pdf_speedups.c`), or None where the package was installed
without a C compiler: the callers then run their Python loops, which give the same results, about
twice as slow. `pip install` builds the extension (an optional extension module in pyproject.toml)."""

from __future__ import annotations

from types import ModuleType

native: ModuleType | None
try:
    from parsers import _pdf_speedups as native
except ImportError:
    native = None


def chosen(wanted: bool) -> ModuleType | None:
    """The C loops where the caller wants them (`ParseSettings.pdf_speedups`) and they are built; None
    runs the caller's Python loops."""
    return native if wanted else None
