"""The open dataset: cells in long format, reports, findings and timeliness, with its dictionary and rules.

Written streaming: the database is read through server-side cursors in batches ordered by year and
region, and each dataset goes to one file per partition (`<dataset>/year=Y/region=R/part-N.<ext>`)
through one open writer at a time, so memory stays flat whatever the size. Parquet files leave the
partition columns to the directory names (Hive style, as DuckDB, pandas, polars and pyarrow read them);
CSV and JSONL files carry them as columns too. A report with no year or no registry region goes to the
`__HIVE_DEFAULT_PARTITION__` partition, which those readers read as null. A blank cell keeps `value`
null and `semantic` "blank": it is never written as 0.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq
from prefect import flow

from parsers import __version__ as PARSER_VERSION
from parsers import templates as t
from parsers.dictionary import data_dictionary, row_label, semantic, unit_of
from parsers.rules import rules_document
from storage.domain import as_utc

FORMATS = ("parquet", "csv", "jsonl")
EXTENSIONS = {"parquet": "parquet", "csv": "csv", "jsonl": "jsonl"}
PARTITIONS = ("year", "region_code")
PARTITION_DIRS = {"year": "year", "region_code": "region"}
NULL_PARTITION = "__HIVE_DEFAULT_PARTITION__"
BATCH_ROWS = 10_000
EXPORT_PREFIX = "exports"
DOCS = Path(__file__).resolve().parents[1] / "docs"
"""Where the committed copies of `dictionary.json` and `rules.json` live."""
_SPAN = re.compile(r"^(\d{4})(?:-(\d{4}))?$")

_TS = pa.timestamp("us", tz="UTC")
CELLS = pa.schema(
    [
        ("report_id", pa.int64()),
        ("agency", pa.string()),
        ("agency_kind", pa.string()),
        ("region_code", pa.string()),
        ("year", pa.int32()),
        ("format", pa.string()),
        ("table", pa.string()),
        ("row", pa.string()),
        ("col", pa.string()),
        ("row_label", pa.string()),
        ("col_label", pa.string()),
        ("unit", pa.string()),
        ("value", pa.float64()),
        ("raw", pa.string()),
        ("semantic", pa.string()),
        ("page", pa.int32()),
        ("url", pa.string()),
        ("sha256", pa.string()),
        ("parser_version", pa.string()),
    ]
)
REPORTS = pa.schema(
    [
        ("report_id", pa.int64()),
        ("agency", pa.string()),
        ("agency_printed", pa.string()),
        ("agency_kind", pa.string()),
        ("region_code", pa.string()),
        ("year", pa.int32()),
        ("format", pa.string()),
        ("status", pa.string()),
        ("title", pa.string()),
        ("published_at", _TS),
        ("published_at_source", pa.string()),
        ("deadline", pa.date32()),
        ("timeliness_status", pa.string()),
        ("days_late", pa.int32()),
        ("findings", pa.int32()),
        ("errors", pa.int32()),
        ("warnings", pa.int32()),
        ("infos", pa.int32()),
        ("parser_version", pa.string()),
        ("source_kind", pa.string()),
        ("url", pa.string()),
        ("sha256", pa.string()),
    ]
)
FINDINGS = pa.schema(
    [
        ("finding_id", pa.int64()),
        ("report_id", pa.int64()),
        ("agency", pa.string()),
        ("region_code", pa.string()),
        ("year", pa.int32()),
        ("format", pa.string()),
        ("rule", pa.string()),
        ("severity", pa.string()),
        ("where", pa.string()),
        ("message", pa.string()),
        ("expected", pa.float64()),
        ("actual", pa.float64()),
        ("cells", pa.string()),
        ("fingerprint", pa.string()),
        ("review", pa.string()),
        ("review_note", pa.string()),
        ("reviewer", pa.string()),
        ("reviewed_at", _TS),
        ("url", pa.string()),
        ("sha256", pa.string()),
    ]
)
TIMELINESS = pa.schema(
    [
        ("agency", pa.string()),
        ("agency_kind", pa.string()),
        ("region_code", pa.string()),
        ("year", pa.int32()),
        ("status", pa.string()),
        ("deadline", pa.date32()),
        ("published_at", _TS),
        ("published_at_source", pa.string()),
        ("days_late", pa.int32()),
        ("report_id", pa.int64()),
        ("checked_at", _TS),
    ]
)
SCHEMAS: dict[str, pa.Schema] = {
    "cells": CELLS,
    "reports": REPORTS,
    "findings": FINDINGS,
    "timeliness": TIMELINESS,
}
COLUMN_DOCS: dict[str, dict[str, str]] = {
    "cells": {
        "agency": "the registry's name of the agency, else the name the report prints",
        "table": "proactive | requests | review_litigation | statistics (see keys)",
        "value": "the number as printed; null when not stated (blank, not applicable or text)",
        "raw": "the cell's text as printed",
        "semantic": "number | zero | blank | not_applicable | text (see semantics)",
        "page": "PDF page, or table index for HTML/DOCX",
        "sha256": "SHA-256 of the original document",
    },
    "reports": {
        "published_at_source": "pubdate (the page's PubDate) | list (the list page's date) | first_seen",
        "timeliness_status": "on_time | late | missing | pending | changed | unchecked (null: not computed)",
        "findings": "number of findings; errors, warnings and infos by severity",
    },
    "findings": {
        "where": "table/row/col path the finding points at",
        "cells": "JSON list of the evidence cells (table, row, col, raw, page, year)",
        "fingerprint": "stable identity (agency, year, rule, where, cells) that review decisions are kept by",
        "review": "confirmed | dismissed | null (not reviewed)",
    },
    "timeliness": {"status": "on_time | late | missing | pending | changed | unchecked"},
}


def parse_span(value: str | None) -> tuple[int, int] | None:
    """`--year 2023` or `2021-2024` as (first, last) years; None for no restriction."""
    if value is None or not value.strip():
        return None
    match = _SPAN.match(value.strip())
    if match is None:
        raise ValueError(f"--year {value!r}: expected YYYY or YYYY-YYYY")
    first, last = int(match.group(1)), int(match.group(2) or match.group(1))
    if last < first:
        raise ValueError(f"--year {value!r}: the range ends before it starts")
    return first, last


def dictionary_document() -> dict[str, Any]:
    """`dictionary.json`: the templates' keys (parsers.dictionary) and the columns of every dataset."""
    document = data_dictionary()
    document["datasets"] = {
        name: [
            {"name": f.name, "type": str(f.type), "description": COLUMN_DOCS.get(name, {}).get(f.name, "")}
            for f in schema
        ]
        for name, schema in SCHEMAS.items()
    }
    document["partitioning"] = {
        "columns": [PARTITION_DIRS[c] for c in PARTITIONS],
        "null": NULL_PARTITION,
        "layout": "<dataset>/year=<year>/region=<region_code>/part-<n>.<ext>",
    }
    return document


def _partition_value(value: Any) -> str:
    return NULL_PARTITION if value is None or value == "" else str(value)


class PartitionedWriter:
    """One dataset in one format: rows go to the file of their (year, region) partition.

    Rows must arrive grouped by partition (the queries order by them): the writer keeps one file open
    and a bounded buffer, closing a partition's file when the next partition starts.
    """

    def __init__(self, root: Path, dataset: str, fmt: str, schema: pa.Schema) -> None:
        self.root, self.dataset, self.fmt, self.schema = root, dataset, fmt, schema
        self.rows = 0
        self.files: list[Path] = []
        self._current: tuple[str, str] | None = None
        self._parts: dict[tuple[str, str], int] = {}
        self._buffer: list[dict[str, Any]] = []
        self._parquet: pq.ParquetWriter | None = None
        self._text: IO[str] | None = None
        self._csv: Any = None
        self._file_schema = (
            pa.schema([f for f in schema if f.name not in PARTITIONS]) if fmt == "parquet" else schema
        )
        (root / dataset).mkdir(parents=True, exist_ok=True)

    def write(self, row: dict[str, Any]) -> None:
        key = (_partition_value(row.get("year")), _partition_value(row.get("region_code")))
        if key != self._current:
            self._close_file()
            self._open_file(key)
        self._buffer.append(row)
        self.rows += 1
        if len(self._buffer) >= BATCH_ROWS:
            self._flush()

    def close(self) -> None:
        self._close_file()

    def _open_file(self, key: tuple[str, str]) -> None:
        part = self._parts.get(key, 0)
        self._parts[key] = part + 1
        directory = self.root / self.dataset / f"year={key[0]}" / f"region={key[1]}"
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"part-{part}.{EXTENSIONS[self.fmt]}"
        self.files.append(path)
        self._current = key
        if self.fmt == "parquet":
            self._parquet = pq.ParquetWriter(path, self._file_schema, compression="zstd")
        else:
            self._text = path.open("w", encoding="utf-8", newline="")
            if self.fmt == "csv":
                self._csv = csv.DictWriter(self._text, fieldnames=self.schema.names)
                self._csv.writeheader()

    def _flush(self) -> None:
        if not self._buffer:
            return
        if self._parquet is not None:
            columns = {name: [row[name] for row in self._buffer] for name in self._file_schema.names}
            self._parquet.write_batch(pa.RecordBatch.from_pydict(columns, schema=self._file_schema))
        elif self._text is not None and self._csv is not None:
            self._csv.writerows(
                {k: _csv_value(row.get(k)) for k in self.schema.names} for row in self._buffer
            )
        elif self._text is not None:
            for row in self._buffer:
                record = {k: _json_value(row.get(k)) for k in self.schema.names}
                self._text.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._buffer.clear()

    def _close_file(self) -> None:
        self._flush()
        if self._parquet is not None:
            self._parquet.close()
            self._parquet = None
        if self._text is not None:
            self._text.close()
            self._text = None
            self._csv = None
        self._current = None


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _csv_value(value: Any) -> Any:
    """CSV text: null as the empty field, numbers without a spurious `.0`."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return _json_value(value)


def _utc(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


@dataclass
class CellLabels:
    """Chinese labels and units of cells, per format, with one report's stat2014 indicators cached."""

    statistics_of: Callable[[int], Mapping[str, Any]]
    _report: int | None = None
    _statistics: Mapping[str, Any] = field(default_factory=dict)
    _known: dict[tuple[str, int | None, str, str, str], tuple[str, str, str]] = field(default_factory=dict)

    def describe(
        self, report_id: int, fmt: str, year: int | None, table: str, row: str, col: str
    ) -> tuple[str, str, str]:
        """(row label, column label, unit) of a cell."""
        if table == "statistics":
            if report_id != self._report:
                self._report, self._statistics = report_id, self.statistics_of(report_id)
            entry = self._statistics.get(row) or {}
            return (
                str(entry.get("label", "")),
                "统计数" if col == "value" else col,
                str(entry.get("unit", "")),
            )
        key = (fmt, year, table, row, col)
        known = self._known.get(key)
        if known is None:
            template = t.table_template(fmt, year)
            known = row_label(template, table, row), template.column_label(table, col), unit_of(table, col)
            self._known[key] = known
        return known


def cell_record(row: Any, labels: CellLabels) -> dict[str, Any]:
    """One `cells` row of the dataset from one `repository.export_cells` row."""
    row_label_text, col_label, unit = labels.describe(
        row.report_id, row.format, row.year, row.table_name, row.row_key, row.col_key
    )
    return {
        "report_id": row.report_id,
        "agency": row.agency or row.agency_name,
        "agency_kind": row.agency_kind,
        "region_code": row.region_code or None,
        "year": row.year,
        "format": row.format,
        "table": row.table_name,
        "row": row.row_key,
        "col": row.col_key,
        "row_label": row_label_text,
        "col_label": col_label,
        "unit": unit,
        "value": row.value,
        "raw": row.raw,
        "semantic": semantic(row.format, row.table_name, row.row_key, row.col_key, row.value, row.raw),
        "page": row.page,
        "url": row.url,
        "sha256": row.sha256,
        "parser_version": row.parser_version,
    }


def report_record(row: Any) -> dict[str, Any]:
    """One `reports` row from one `repository.export_reports` row."""
    return {
        "report_id": row.report_id,
        "agency": row.agency or row.agency_name,
        "agency_printed": row.agency_name,
        "agency_kind": row.agency_kind,
        "region_code": row.region_code or None,
        "year": row.year,
        "format": row.format,
        "status": row.status,
        "title": row.title,
        "published_at": _utc(row.published_at),
        "published_at_source": row.published_at_source or None,
        "deadline": row.deadline,
        "timeliness_status": row.timeliness_status,
        "days_late": row.days_late,
        "findings": int(row.findings),
        "errors": int(row.errors),
        "warnings": int(row.warnings),
        "infos": int(row.infos),
        "parser_version": row.parser_version,
        "source_kind": row.source_kind,
        "url": row.url,
        "sha256": row.sha256,
    }


def finding_records(
    rows: Iterable[Any], reviews_of: Callable[[list[str]], Mapping[str, Any]]
) -> Iterator[dict[str, Any]]:
    """`findings` rows with their fingerprint and the reviewer's decision, looked up a batch at a time."""
    from flows.review import UNKNOWN_AGENCY, fingerprint

    batch: list[dict[str, Any]] = []

    def decided(records: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        reviews = reviews_of([r["fingerprint"] for r in records])
        for record in records:
            review = reviews.get(record["fingerprint"])
            if review is not None:
                record["review"] = review.decision
                record["review_note"] = review.note
                record["reviewer"] = review.reviewer
                record["reviewed_at"] = _utc(review.reviewed_at)
            yield record

    for row in rows:
        agency = row.agency or row.agency_name or UNKNOWN_AGENCY
        cells = list(row.cells or [])
        batch.append(
            {
                "finding_id": row.finding_id,
                "report_id": row.report_id,
                "agency": row.agency or row.agency_name,
                "region_code": row.region_code or None,
                "year": row.year,
                "format": row.format,
                "rule": row.rule,
                "severity": row.severity,
                "where": row.location,
                "message": row.message,
                "expected": _number(row.expected),
                "actual": _number(row.actual),
                "cells": json.dumps(cells, ensure_ascii=False),
                "fingerprint": fingerprint(agency, row.year, row.rule, row.location, cells),
                "review": None,
                "review_note": None,
                "reviewer": None,
                "reviewed_at": None,
                "url": row.url,
                "sha256": row.sha256,
            }
        )
        if len(batch) >= 500:
            yield from decided(batch)
            batch = []
    if batch:
        yield from decided(batch)


def timeliness_record(row: Any) -> dict[str, Any]:
    """One `timeliness` row (one agency-year) from one `repository.export_timeliness` row."""
    return {
        "agency": row.agency,
        "agency_kind": row.agency_kind,
        "region_code": row.region_code or None,
        "year": row.year,
        "status": row.status,
        "deadline": row.deadline,
        "published_at": _utc(row.published_at),
        "published_at_source": row.published_at_source or None,
        "days_late": row.days_late,
        "report_id": row.report_id,
        "checked_at": _utc(row.checked_at),
    }


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: rows per dataset and every file, relative to the output directory."""

    output: str
    format: str
    rows: dict[str, int]
    files: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "output": self.output,
            "format": self.format,
            "rows": dict(self.rows),
            "files": list(self.files),
        }


def write_dataset(out: Path, fmt: str, dataset: str, records: Iterable[dict[str, Any]]) -> PartitionedWriter:
    """Stream `records` of one dataset into partitioned files under `out`."""
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    writer = PartitionedWriter(out, dataset, fmt, SCHEMAS[dataset])
    try:
        for record in records:
            writer.write(record)
    finally:
        writer.close()
    return writer


def _write_json(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def export_open_dataset(
    settings: Any,
    out: Path,
    fmt: str,
    *,
    years: tuple[int, int] | None = None,
    region: str | None = None,
    agency: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ExportSummary:
    """Write cells, reports, findings and timeliness of the selection, `dictionary.json`, `rules.json`
    and `manifest.json` to `out` (any earlier export of the four datasets there is replaced)."""
    from storage import repository
    from storage.db import session_scope

    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: expected one of {', '.join(FORMATS)}")
    out.mkdir(parents=True, exist_ok=True)
    for dataset in SCHEMAS:
        shutil.rmtree(out / dataset, ignore_errors=True)
    selection: dict[str, Any] = {"years": years, "region": region, "agency": agency}
    writers: dict[str, PartitionedWriter] = {}
    with session_scope(settings) as session:
        labels = CellLabels(lambda report_id: repository.statistics_of(session, report_id))
        streams: dict[str, Iterable[dict[str, Any]]] = {
            "cells": (cell_record(r, labels) for r in repository.export_cells(session, **selection)),
            "reports": (report_record(r) for r in repository.export_reports(session, **selection)),
            "findings": finding_records(
                repository.export_findings(session, **selection),
                lambda prints: repository.reviews_by_fingerprint(session, prints),
            ),
            "timeliness": (timeliness_record(r) for r in repository.export_timeliness(session, **selection)),
        }
        for dataset, records in streams.items():
            if progress is not None:
                progress(f"exporting {dataset}")
            writers[dataset] = write_dataset(out, fmt, dataset, records)
    _write_json(out / "dictionary.json", dictionary_document())
    _write_json(out / "rules.json", rules_document())
    rows = {name: writer.rows for name, writer in writers.items()}
    files = [str(path.relative_to(out)) for writer in writers.values() for path in writer.files]
    _write_json(
        out / "manifest.json",
        {
            "format": fmt,
            "selection": {"years": list(years) if years else None, "region": region, "agency": agency},
            "parser_version": PARSER_VERSION,
            "rows": rows,
            "files": files,
        },
    )
    return ExportSummary(str(out), fmt, rows, (*files, "dictionary.json", "rules.json", "manifest.json"))


def upload_export(store: Any, out: Path, files: Iterable[str], prefix: str) -> list[str]:
    """Copy an export's files to the object store under `exports/<prefix>/`; returns the keys."""
    content_types = {
        ".parquet": "application/vnd.apache.parquet",
        ".csv": "text/csv; charset=utf-8",
        ".jsonl": "application/jsonl; charset=utf-8",
        ".json": "application/json; charset=utf-8",
    }
    keys = []
    for relative in files:
        key = f"{EXPORT_PREFIX}/{prefix}/{relative}"
        store.put_export(
            key, out / relative, content_types.get(Path(relative).suffix, "application/octet-stream")
        )
        keys.append(key)
    return keys


def export_to_store(settings: Any, fmt: str, *, years: tuple[int, int] | None = None) -> dict[str, Any]:
    """Export into a temporary directory and publish it to the object store under `exports/<fmt>/`."""
    from storage.objectstore import open_store

    with tempfile.TemporaryDirectory(prefix="nianbao-export-") as tmp:
        summary = export_open_dataset(settings, Path(tmp), fmt, years=years)
        keys = upload_export(open_store(settings), Path(tmp), summary.files, fmt)
    return {"format": fmt, "rows": summary.rows, "objects": len(keys), "prefix": f"{EXPORT_PREFIX}/{fmt}/"}


@flow(name="export", log_prints=True)
def export_flow(fmt: str = "parquet", year: str | None = None) -> dict[str, Any]:
    """The whole open dataset (or the years given, e.g. "2021-2024") to the object store under
    `exports/<fmt>/`; `nianbao serve` runs it on `NIANBAO_EXPORT_CRON`."""
    from storage.settings import get_settings

    return export_to_store(get_settings(), fmt, years=parse_span(year))


def write_dictionary(docs: Path = DOCS) -> None:
    """Regenerate the committed `docs/dictionary.json` and `docs/rules.json` (after a template or rule
    change; tests/parsers/test_dictionary.py compares them with the generated ones)."""
    _write_json(docs / "dictionary.json", dictionary_document())
    _write_json(docs / "rules.json", rules_document())
