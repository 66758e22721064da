"""After `nianbao demo`: the open dataset read back with DuckDB and pyarrow agrees with the database, and
`nianbao compare` marks the demo portal's documented carry-over defect (flows/demo/catalog.py
CARRY_OVER_BREAKS: 银川市卫生健康委员会 2023), in text, JSON and in headless Chromium."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest
from lxml import html as lxml_html

from flows.demo.catalog import CARRY_OVER_BREAKS, report_series
from flows.demo.portal import Expected, start_portal
from tests.browser import FLAGS, dump_dom, require_chromium
from tests.flows.conftest import DemoRuns, nianbao

HEALTH = "银川市卫生健康委员会"


@pytest.fixture
def demo_home(demo_runs: DemoRuns) -> tuple[Path, dict[str, str]]:
    return demo_runs.home, demo_runs.env


@pytest.fixture(scope="module")
def truth() -> Expected:
    with start_portal() as portal:
        return portal.expected


def database(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "var" / "nianbao.db")


def test_the_demos_carry_over_defect_is_in_health_2023() -> None:
    (number, (column, delta)), *others = CARRY_OVER_BREAKS.items()
    assert not others and report_series(HEALTH)[2023].number == number
    assert (column, delta) == ("natural_person", 3)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_export_after_demo_reads_back_as_the_database(
    demo_home: tuple[Path, dict[str, str]], tmp_path: Path, fmt: str
) -> None:
    home, env = demo_home
    out = tmp_path / fmt
    summary = json.loads(
        nianbao(["export", "--format", fmt, "--output", str(out), "--json"], home, env).stdout.splitlines()[
            -1
        ]
    )
    with database(home) as db:
        cell_totals = db.execute(
            "SELECT r.year, count(*), round(sum(c.value), 2), sum(c.value = 0), sum(c.value IS NULL) "
            "FROM report_cells c JOIN reports r ON r.id = c.report_id GROUP BY r.year ORDER BY r.year"
        ).fetchall()
        blanks = db.execute(
            "SELECT r.id, c.table_name, c.row_key, c.col_key, c.raw FROM report_cells c "
            "JOIN reports r ON r.id = c.report_id WHERE c.value IS NULL ORDER BY 1, 2, 3, 4"
        ).fetchall()
        counts = {
            table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("report_cells", "reports", "findings", "timeliness")
        }
        errors = db.execute("SELECT count(*) FROM findings WHERE severity = 'error'").fetchone()[0]
    assert summary["rows"] == {
        "cells": counts["report_cells"],
        "reports": counts["reports"],
        "findings": counts["findings"],
        "timeliness": counts["timeliness"],
    }
    assert blanks and sum(zeros for _, _, _, zeros, _ in cell_totals) > 0

    if fmt == "parquet":
        source = f"read_parquet('{out}/cells/**/*.parquet', hive_partitioning = true)"
    else:
        source = f"read_csv('{out}/cells/**/*.csv', hive_partitioning = false, header = true)"
    exported = duckdb.sql(
        f"SELECT year, count(*), round(sum(value), 2), count(*) FILTER (WHERE semantic = 'zero'), "
        f"count(*) FILTER (WHERE value IS NULL) FROM {source} GROUP BY year ORDER BY year"
    ).fetchall()
    assert [tuple(row) for row in exported] == [tuple(row) for row in cell_totals]
    exported_blanks = duckdb.sql(
        f"SELECT report_id, \"table\", row, col, coalesce(raw, '') FROM {source} WHERE value IS NULL ORDER BY 1, 2, 3, 4"
    ).fetchall()
    assert exported_blanks == blanks
    # A blank is "not stated", kept apart from zero: never 0 in value, never "zero" in semantic.
    assert duckdb.sql(
        f"SELECT count(*) FROM {source} WHERE value IS NULL AND semantic IN ('zero', 'number')"
    ).fetchall() == [(0,)]

    if fmt == "parquet":
        reports = ds.dataset(out / "reports", format="parquet", partitioning="hive").to_table()
        assert reports.num_rows == counts["reports"]
        assert sum(reports["errors"].to_pylist()) == errors
        findings = ds.dataset(out / "findings", format="parquet", partitioning="hive").to_table()
        carry = [
            (a, y, w)
            for a, y, r, w in zip(
                findings["agency"].to_pylist(),
                findings["year"].to_pylist(),
                findings["rule"].to_pylist(),
                findings["where"].to_pylist(),
                strict=True,
            )
            if r == "history.carry_over"
        ]
        assert sorted(carry) == [
            (HEALTH, 2023, "requests/carried_over/natural_person"),
            (HEALTH, 2023, "requests/carried_over/total"),
        ]
    for name in ("dictionary.json", "rules.json", "manifest.json"):
        assert json.loads((out / name).read_text(encoding="utf-8"))


def expected_breaks(truth: Expected) -> set[tuple[int, str]]:
    return {
        (year, where)
        for agency, year, rule, where in truth.defect_findings
        if agency == HEALTH
        if rule == "history.carry_over"
    }


def test_compare_marks_the_carry_over_defect(demo_home: tuple[Path, dict[str, str]], truth: Expected) -> None:
    home, env = demo_home
    args = ["compare", "--agency", HEALTH, "--years", "2021-2023"]
    result = json.loads(nianbao([*args, "--format", "json"], home, env).stdout)
    assert result["years"] == [2021, 2022, 2023] and result["missing_years"] == []
    breaks = {(b["year"], f"{b['table']}/{b['row']}/{b['col']}") for b in result["breaks"]}
    assert (
        breaks
        == expected_breaks(truth)
        == {
            (2023, "requests/carried_over/natural_person"),
            (2023, "requests/carried_over/total"),
        }
    )
    by_key = {f"{f['table']}/{f['row']}/{f['col']}": f for f in result["figures"]}
    carried = by_key["requests/carried_over/natural_person"]["years"]["2023"]
    forward = by_key["requests/carried_forward/natural_person"]["years"]["2022"]
    assert carried["break"]["expected"] == forward["value"]
    assert carried["value"] == forward["value"] + 3
    new = by_key["requests/new/total"]["years"]
    assert new["2023"]["change"] == new["2023"]["value"] - new["2022"]["value"]

    text = nianbao(args, home, env).stdout
    assert text.count("✗ 2023 ") == 2 and "history.carry_over" in text


def test_compare_page_in_chromium(
    demo_home: tuple[Path, dict[str, str]], truth: Expected, tmp_path: Path
) -> None:
    home, env = demo_home
    page = tmp_path / "compare.html"
    nianbao(
        ["compare", "--agency", HEALTH, "--years", "2021-2023", "--format", "html", "--output", str(page)],
        home,
        env,
    )
    tree = lxml_html.fromstring(dump_dom(page.as_uri(), tmp_path / "profile"))
    marked = {
        (int(td.get("data-year")), td.getparent().get("data-key"))
        for td in tree.xpath("//table[@id='figures']//td[@data-break='history.carry_over']")
    }
    assert marked == expected_breaks(truth)
    assert len(tree.xpath("//ul[@id='breaks']/li[@data-rule='history.carry_over']")) == 2
    shot = tmp_path / "compare.png"
    subprocess.run(
        [
            require_chromium(),
            *FLAGS,
            f"--user-data-dir={tmp_path / 'shot'}",
            f"--screenshot={shot}",
            "--window-size=1280,900",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compare_region_ranks_by_requests_received(demo_home: tuple[Path, dict[str, str]]) -> None:
    home, env = demo_home
    result = json.loads(
        nianbao(["compare", "--region", "640100", "--year", "2023", "--format", "json"], home, env).stdout
    )
    with database(home) as db:
        received = dict(
            db.execute(
                "SELECT a.name, c.value FROM report_cells c JOIN reports r ON r.id = c.report_id "
                "JOIN agencies a ON a.id = r.agency_id WHERE a.region_code = '640100' AND r.year = 2023 "
                "AND r.status = 'parsed' AND c.table_name = 'requests' AND c.row_key = 'new' "
                "AND c.col_key = 'total'"
            ).fetchall()
        )
    ranking = [(r["rank"], r["agency"], r["received"]) for r in result["agencies"]]
    expected = sorted(received.items(), key=lambda item: (-item[1], item[0]))
    assert ranking == [(i + 1, name, value) for i, (name, value) in enumerate(expected)]
    assert all(0 <= r["granted_share"] <= 1 for r in result["agencies"])
