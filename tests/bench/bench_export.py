"""Benchmark: the open dataset's `cells` export on generated cell rows of N gov2021 reports.

Run: .venv/bin/python -m tests.bench.bench_export [N] [FORMAT]   (N reports, default 100000; FORMAT
parquet (default), csv or jsonl)

Each generated report has the 200 cells of a complete gov2021 report (parsers.dictionary.template_cells),
a few of them blank, spread over 7 years and 20 regions in the order the database query returns them
(year, region, report). Rows are made on demand, shaped as `storage.repository.export_cells` rows, and go
through the same path as `nianbao export`: `flows.export.cell_record` (labels, units, semantics) and the
partitioned writer. Printed: rows, seconds, rows/s, files, bytes written, and memory as the peak RSS
(`ru_maxrss`, which includes pyarrow's native buffers) against the RSS after the first 1% of rows, to show
that memory stays flat whatever N. Asserts nothing: timings are not tests.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from flows.export import CellLabels, cell_record, write_dataset
from parsers import templates as t
from parsers.dictionary import template_cells

YEARS = tuple(range(2019, 2026))
REGIONS = tuple(f"6401{n:02d}" for n in range(20))


class CellRow(NamedTuple):
    """The columns of a `repository.export_cells` row."""

    report_id: int
    agency: str | None
    agency_name: str | None
    agency_kind: str | None
    region_code: str | None
    year: int | None
    format: str
    table_name: str
    row_key: str
    col_key: str
    value: float | None
    raw: str
    page: int | None
    url: str
    sha256: str
    parser_version: str


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generated_rows(reports: int, marks: list[float]) -> Iterator[CellRow]:
    """Cell rows of `reports` reports grouped by year and region, as the export query orders them."""
    cells = template_cells(t.GOV2021)
    per_partition = max(1, reports // (len(YEARS) * len(REGIONS)))
    report_id = 0
    checkpoint = max(1, reports // 100)
    while report_id < reports:
        for year in YEARS:
            for region in REGIONS:
                for _ in range(per_partition):
                    if report_id >= reports:
                        return
                    report_id += 1
                    if report_id == checkpoint:
                        marks.append(_rss_mb())
                    agency = f"银川市第{report_id % 500}局"
                    url = f"http://www.example.gov.cn/zfxxgknb/{report_id}.html"
                    sha = f"{report_id:064x}"
                    for index, (table, row, col) in enumerate(cells):
                        blank = (report_id + index) % 37 == 0
                        value = None if blank else float((report_id * 7 + index) % 113)
                        yield CellRow(
                            report_id,
                            agency,
                            agency,
                            "department",
                            region,
                            year,
                            "gov2021",
                            table,
                            row,
                            col,
                            value,
                            "/" if value is None else str(int(value)),
                            1 + index // 60,
                            url,
                            sha,
                            "bench",
                        )


def main(argv: list[str]) -> None:
    reports = int(argv[1]) if len(argv) > 1 else 100_000
    fmt = argv[2] if len(argv) > 2 else "parquet"
    marks: list[float] = []
    labels = CellLabels(lambda report_id: {})
    with tempfile.TemporaryDirectory(prefix="nianbao-bench-export-") as tmp:
        out = Path(tmp)
        started = time.perf_counter()
        writer = write_dataset(
            out, fmt, "cells", (cell_record(r, labels) for r in generated_rows(reports, marks))
        )
        seconds = time.perf_counter() - started
        size = sum(p.stat().st_size for p in writer.files)
    peak = _rss_mb()
    early = marks[0] if marks else peak
    print(f"reports      {reports}")
    print(f"format       {fmt}")
    print(f"rows         {writer.rows}")
    print(f"seconds      {seconds:.1f}")
    print(f"rows/s       {writer.rows / seconds:,.0f}")
    print(f"files        {len(writer.files)}  ({size / 1e6:.1f} MB)")
    print(f"peak RSS     {peak:.0f} MB  (after 1% of the rows: {early:.0f} MB, growth {peak - early:.0f} MB)")


if __name__ == "__main__":
    main(sys.argv)
