"""Every parser failure is a ParseError: mutated PDF, DOCX and HTML reports, and a hostile corpus."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from parsers import parse
from parsers.errors import CorruptDocument, ParseError, ResourceLimit
from tests.parsers import hostile

ROOT = Path(__file__).resolve().parents[2]


def test_fuzz_parse_raises_only_parse_errors() -> None:
    """360 deterministic mutations (120 per kind) in a child process under a 2 GB address-space
    limit and a 300 s timeout: no other exception type, no case over 10 s, peak memory under 600 MB."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.parsers.fuzz", "--cases", "360", "--seed", "0", "--memory-mb", "2048"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\nfuzz: {result}")
    assert result["escaped"] == []
    assert result["cases"] == sum(result["counts"].values()) == 360
    assert result["counts"]["parsed"] > 0 and result["counts"]["CorruptDocument"] > 0
    assert result["slowest_seconds"] < 10
    assert result["peak_rss_mb"] < 600


@pytest.mark.parametrize(
    ("make", "filename", "error", "message"),
    [
        (
            hostile.docx_giant_span,
            "r.docx",
            ResourceLimit,
            "DOCX table cell spans 1000000000 columns (limit 64)",
        ),
        (hostile.docx_zip_bomb, "r.docx", ResourceLimit, "ZIP container unpacks to 300 MB (limit 200 MB)"),
        (hostile.html_huge, "r.html", ResourceLimit, "HTML of 50 MB is larger than the limit of 8 MB"),
        (hostile.html_deep, "r.html", ResourceLimit, "HTML nested more than 200 elements deep"),
        (
            hostile.html_giant_span,
            "r.html",
            ResourceLimit,
            "HTML table cell spans 1000000000 rows or columns (limit 64)",
        ),
        (hostile.html_many_spans, "r.html", ResourceLimit, "HTML table with more than 40000 slots"),
        (
            hostile.docx_bad_xml,
            "r.docx",
            CorruptDocument,
            "damaged DOCX: XMLSyntaxError: Namespace prefix x on body is not defined, line 2, column 1190 "
            "(<string>, line 2)",
        ),
        (
            hostile.docx_bad_deflate,
            "r.docx",
            CorruptDocument,
            "damaged DOCX: error: Error -3 while decompressing data: invalid code -- missing end-of-block",
        ),
    ],
)
def test_hostile_file_is_a_one_line_parse_error(
    make: Callable[[], bytes], filename: str, error: type[ParseError], message: str
) -> None:
    with pytest.raises(error) as caught:
        parse(make(), filename=filename)
    assert str(caught.value) == message


def test_library_exception_from_our_code_is_a_parser_fault() -> None:
    """An exception raised in the parsers package (not a library) names where, as a ParserFault."""
    from parsers import html
    from parsers.errors import ParserFault, as_parse_error

    try:
        html.grid_of(None, 0)
    except AttributeError as exc:
        fault = as_parse_error(exc, "html")
    assert isinstance(fault, ParserFault)
    assert str(fault).startswith(
        "parser fault on this HTML: AttributeError: 'NoneType' object has no attribute"
    )
    assert "at parsers/html.py:" in str(fault)
