"""The same PDF reads the same on every machine, whatever fonts it has installed.

Each case runs `tests.parsers.pdfium_env` in a fresh process three times: PDFium searching only a
directory that holds a CJK font made by the tests (a machine with a Chinese font installed), only an
empty directory (a fresh Debian machine or the production image), and the machine's own font
directories. Bare PDFium reads a PDF with a non-embedded CJK font differently in the first two states
(it drops characters it has no glyph for); our reader must not: every document, cell and finding is
identical, non-embedded pages go to pdfplumber, embedded ones stay on PDFium, and both agree with the
pdfplumber reference.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from flows.demo import reportgen as g
from tests.fixtures.fonts import build_cjk_font

ROOT = Path(__file__).resolve().parents[2]
LIBREOFFICE = ROOT / "tests" / "fixtures" / "libreoffice"


def _read_in_process(font_dir: Path | None, files: list[Path]) -> dict[str, Any]:
    command = [sys.executable, "-m", "tests.parsers.pdfium_env"]
    if font_dir is not None:
        command += ["--fonts", str(font_dir)]
    done = subprocess.run(
        [*command, *map(str, files)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def cjk_fonts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A font directory holding one CJK font (made by the tests)."""
    fonts = tmp_path_factory.mktemp("cjk-fonts")
    build_cjk_font(fonts / "nianbao-test-hei.ttf")
    return fonts


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory: pytest.TempPathFactory, cjk_fonts: Path) -> dict[str, Path]:
    """Generated reports with a non-embedded CJK font (reportlab's STSong-Light, as many real PDFs
    reference SimSun) and with an embedded one, and LibreOffice exports that embed theirs."""
    out = tmp_path_factory.mktemp("pdfs")
    embedded = cjk_fonts / "nianbao-test-hei.ttf"
    files = {
        "stat2014_not_embedded": g.render_pdf(g.make_spec(43, "stat2014")),
        "gov2021_not_embedded": g.render_pdf(g.make_spec(41, "gov2021"), split_table=True),
        "gov2019_embedded": g.render_pdf(g.make_spec(42, "gov2019", blanks=True), font_file=embedded),
    }
    paths = {name: out / f"{name}.pdf" for name in files}
    for name, data in files.items():
        paths[name].write_bytes(data)
    paths["lo_gov2021_embedded"] = LIBREOFFICE / "lo_gov2021.pdf"
    paths["lo_stat2014_embedded"] = LIBREOFFICE / "lo_stat2014.pdf"
    return paths


@pytest.fixture(scope="module")
def readings(
    tmp_path_factory: pytest.TempPathFactory, pdfs: dict[str, Path], cjk_fonts: Path
) -> dict[str, dict[str, Any]]:
    empty = tmp_path_factory.mktemp("no-fonts")
    files = list(pdfs.values())
    return {
        "cjk_font": _read_in_process(cjk_fonts, files),
        "no_font": _read_in_process(empty, files),
        "machine": _read_in_process(None, files),
    }


def test_bare_pdfium_depends_on_the_installed_fonts(
    readings: dict[str, dict[str, Any]], pdfs: dict[str, Path]
) -> None:
    """The hazard is real: with a CJK font PDFium keeps the lone 件 unit cells, without it drops them."""
    key = str(pdfs["stat2014_not_embedded"])
    with_font = "".join(readings["cjk_font"]["bare"][key])
    without = "".join(readings["no_font"]["bare"][key])
    assert (with_font.count("件"), without.count("件")) == (49, 16)
    embedded = str(pdfs["lo_gov2021_embedded"])
    assert readings["cjk_font"]["bare"][embedded] == readings["no_font"]["bare"][embedded]


def test_our_reading_is_the_same_with_and_without_a_cjk_font(readings: dict[str, dict[str, Any]]) -> None:
    assert readings["cjk_font"]["ours"] == readings["no_font"]["ours"]
    assert readings["machine"]["ours"] == readings["no_font"]["ours"]


@pytest.mark.parametrize(
    ("name", "engine"),
    [
        ("stat2014_not_embedded", "pdfplumber"),
        ("gov2021_not_embedded", "pdfplumber"),
        ("gov2019_embedded", "pdfium"),
        ("lo_gov2021_embedded", "pdfium"),
        ("lo_stat2014_embedded", "pdfium"),
    ],
)
def test_each_page_is_read_by_the_engine_that_reproduces_it(
    readings: dict[str, dict[str, Any]], pdfs: dict[str, Path], name: str, engine: str
) -> None:
    ours = readings["no_font"]["ours"][str(pdfs[name])]
    auto, reference = ours["auto"], ours["pdfplumber"]
    pages = auto["report"]["parser"]["pages"]
    assert auto["engines"] == [engine] * pages
    assert auto["report"]["parser"]["engines"] == [engine] * pages
    assert reference["engines"] == ["pdfplumber"] * pages
    assert auto["blocks"] == reference["blocks"]
    assert auto["report"]["cells"] == reference["report"]["cells"]
    assert auto["report"]["findings"] == reference["report"]["findings"]
    assert auto["report"]["status"] == "parsed"
    assert auto["report"]["cells"]
