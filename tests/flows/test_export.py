"""The open dataset on a database loaded by hand: SQLite and PostgreSQL (server-side cursors), exported
as Parquet, CSV and JSONL, read back with DuckDB and pyarrow, and published to a local directory and
an S3 bucket under `exports/`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.dataset as ds
import pytest

from flows.export import export_flow, export_open_dataset, export_to_store
from flows.review import fingerprint
from parsers.model import Cell, CellRef, Finding, ParserInfo, Report
from storage import repository
from storage.db import session_scope
from storage.objectstore import LocalObjectStore, S3ObjectStore, open_store

XIXIA = "银川市西夏区教育局"
CITY = "银川市科学技术局"


def report(agency: str | None, year: int, cells: list[Cell], findings: list[Finding] | None = None) -> Report:
    return Report(
        agency=agency,
        year=year,
        format="gov2021",
        title=f"{agency}{year}年政府信息公开工作年度报告",
        parser=ParserInfo(version="test", source_kind="html"),
        cells=cells,
        findings=findings or [],
    )


CELLS_2022 = [
    Cell("requests", "new", "natural_person", 12, "12", 3),
    Cell("requests", "new", "total", 12, "12", 3),
    Cell("requests", "carried_forward", "total", 2, "2", 3),
    Cell("review_litigation", "review", "corrected", 0, "0", 4),
]
CELLS_2023 = [
    Cell("requests", "new", "natural_person", 7, "7", 2),
    Cell("requests", "new", "commercial", None, "/", 2),
    Cell("requests", "new", "total", 7, "7", 2),
    Cell("requests", "carried_over", "total", 3, "3", 2),
    Cell("proactive", "licensing", "issued", None, "/", 1),
    Cell("proactive", "fees", "amount_10k_yuan", 1.25, "1.25", 1),
    Cell("review_litigation", "review", "upheld", 0, "0", 4),
]
CARRY = Finding(
    "history.carry_over",
    "error",
    "requests/carried_over/total",
    "上年结转（总计）3 ≠ 上年报告结转下年度继续办理 2",
    2,
    3,
    (
        CellRef("requests", "carried_forward", "total", "2", 3, 2022),
        CellRef("requests", "carried_over", "total", "3", 2, 2023),
    ),
)


@pytest.fixture
def seaweed_or_none(object_store_config: dict[str, Any], request: pytest.FixtureRequest) -> Any:
    """The S3 server when the store under test is a bucket."""
    if object_store_config["object_store"].startswith("s3://"):
        return request.getfixturevalue("seaweedfs")
    return None


STAT_2018 = Report(
    agency=CITY,
    year=2018,
    format="stat2014",
    title=f"{CITY}2018年政府信息公开工作年度报告",
    parser=ParserInfo(version="test", source_kind="html"),
    cells=[Cell("statistics", "1.1", "value", 5, "5", 2), Cell("statistics", "3.1", "value", None, "—", 2)],
    statistics={
        "1.1": {"label": "（一）主动公开政府信息数", "unit": "条", "value": 5, "values": {"统计数": 5}},
        "3.1": {"label": "（一）收到申请数", "unit": "件", "value": None, "values": {"统计数": None}},
    },
)


def load(settings: Any) -> None:
    with session_scope(settings) as session:
        repository.sync_agencies(
            session,
            [
                {"name": XIXIA, "kind": "department", "region_code": "640105"},
                {"name": CITY, "kind": "department", "region_code": "640100"},
            ],
        )
        agencies = {a.name: a.id for a in repository.all_agencies(session)}
        for number, (agency, parsed) in enumerate(
            [
                (XIXIA, report(XIXIA, 2022, CELLS_2022)),
                (XIXIA, report(XIXIA, 2023, CELLS_2023, [CARRY])),
                (CITY, report(CITY, 2023, CELLS_2022)),
                (None, report(None, 2023, CELLS_2022[:1])),
                (CITY, STAT_2018),
            ]
        ):
            document, _ = repository.record_document(
                session, url=f"http://example.gov.cn/{number}.html", sha256=f"{number:064x}", object_key=""
            )
            repository.replace_report(session, document.id, parsed, agency_id=agencies.get(agency or ""))


def test_export_on_sqlite_and_postgresql_reads_back_exactly(settings: Any, tmp_path: Path) -> None:
    load(settings)
    out = tmp_path / "parquet"
    summary = export_open_dataset(settings, out, "parquet")
    assert summary.rows == {"cells": 18, "reports": 5, "findings": 1, "timeliness": 0}

    cells = duckdb.sql(
        f'SELECT year, region, agency, "table", row, col, value, raw, semantic, unit '
        f"FROM read_parquet('{out}/cells/**/*.parquet', hive_partitioning = true, "
        f"hive_types = {{'year': INTEGER, 'region': VARCHAR}}) ORDER BY year, region, agency, \"table\", row, col"
    ).fetchall()
    xixia_2023 = [c for c in cells if c[:3] == (2023, "640105", XIXIA)]
    assert [c[3:] for c in xixia_2023] == [
        ("proactive", "fees", "amount_10k_yuan", 1.25, "1.25", "number", "万元"),
        ("proactive", "licensing", "issued", None, "/", "not_applicable", "件"),
        ("requests", "carried_over", "total", 3.0, "3", "number", "件"),
        ("requests", "new", "commercial", None, "/", "blank", "件"),
        ("requests", "new", "natural_person", 7.0, "7", "number", "件"),
        ("requests", "new", "total", 7.0, "7", "number", "件"),
        ("review_litigation", "review", "upheld", 0.0, "0", "zero", "件"),
    ]
    # The report that names no agency goes to the null region partition.
    assert [c[:3] for c in cells if c[1] is None] == [(2023, None, None)]

    totals = duckdb.sql(
        f"SELECT year, sum(value), count(*) FILTER (WHERE semantic = 'zero'), "
        f"count(*) FILTER (WHERE value IS NULL) FROM read_parquet('{out}/cells/**/*.parquet', "
        f"hive_partitioning = true) GROUP BY year ORDER BY year"
    ).fetchall()
    assert totals == [(2018, 5.0, 0, 1), (2022, 26.0, 1, 0), (2023, 26.0 + 12 + 18.25, 2, 2)]
    # stat2014 indicators take their labels and units from the report's own table (read mid-stream).
    assert [c[3:] for c in cells if c[0] == 2018] == [
        ("statistics", "1.1", "value", 5.0, "5", "number", "条"),
        ("statistics", "3.1", "value", None, "—", "blank", "件"),
    ]
    labels = duckdb.sql(
        f"SELECT row_label, col_label FROM read_parquet('{out}/cells/year=2018/**/*.parquet') ORDER BY row"
    ).fetchall()
    assert labels == [("（一）主动公开政府信息数", "统计数"), ("（一）收到申请数", "统计数")]

    table = ds.dataset(out / "reports", format="parquet", partitioning="hive").to_table()
    reports = sorted(
        zip(table["agency"].to_pylist(), table["year"].to_pylist(), table["errors"].to_pylist(), strict=True),
        key=str,
    )
    assert reports == sorted(
        [(XIXIA, 2022, 0), (XIXIA, 2023, 1), (CITY, 2023, 0), (None, 2023, 0), (CITY, 2018, 0)], key=str
    )

    finding = duckdb.sql(
        f'SELECT rule, "where", expected, actual, cells, fingerprint, review '
        f"FROM read_parquet('{out}/findings/**/*.parquet', hive_partitioning = true)"
    ).fetchall()
    cells_json = [ref.to_dict() for ref in CARRY.cells]
    assert finding == [
        (
            "history.carry_over",
            "requests/carried_over/total",
            2.0,
            3.0,
            json.dumps(cells_json, ensure_ascii=False),
            fingerprint(XIXIA, 2023, "history.carry_over", "requests/carried_over/total", cells_json),
            None,
        )
    ]

    # A reviewer's decision follows the finding into the next export.
    with session_scope(settings) as session:
        repository.record_review(
            session,
            fingerprint=finding[0][5],
            decision="confirmed",
            note="上年报告另有更正",
            reviewer="tester",
            agency=XIXIA,
            year=2023,
            rule="history.carry_over",
            location="requests/carried_over/total",
        )
    export_open_dataset(settings, out, "jsonl", years=(2023, 2023), region="640105")
    lines = [json.loads(line) for line in (out / "findings/year=2023/region=640105/part-0.jsonl").open()]
    assert [(r["review"], r["review_note"], r["reviewer"]) for r in lines] == [
        ("confirmed", "上年报告另有更正", "tester")
    ]
    assert not (out / "cells/year=2022").exists()
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["rows"] == {"cells": 7, "reports": 1, "findings": 1, "timeliness": 0}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("object_store_config", ["local"], indirect=True)
def test_export_flow_runs_under_prefect(settings: Any, prefect_api: None) -> None:
    load(settings)
    assert export_flow(fmt="jsonl", year="2018") == {
        "format": "jsonl",
        "rows": {"cells": 2, "reports": 1, "findings": 0, "timeliness": 0},
        "objects": 5,
        "prefix": "exports/jsonl/",
    }
    store = open_store(settings)
    assert isinstance(store, LocalObjectStore)
    path = store.root / "exports/jsonl/cells/year=2018/region=640100/part-0.jsonl"
    first = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert (first["row"], first["row_label"], first["unit"], first["value"]) == (
        "1.1",
        "（一）主动公开政府信息数",
        "条",
        5,
    )


def test_export_flow_publishes_under_exports(settings: Any, seaweed_or_none: Any) -> None:
    load(settings)
    result = export_to_store(settings, "csv", years=(2022, 2022))
    assert result["rows"] == {"cells": 4, "reports": 1, "findings": 0, "timeliness": 0}
    store = open_store(settings)
    expected = {
        "exports/csv/cells/year=2022/region=640105/part-0.csv",
        "exports/csv/reports/year=2022/region=640105/part-0.csv",
        "exports/csv/dictionary.json",
        "exports/csv/rules.json",
        "exports/csv/manifest.json",
    }
    if isinstance(store, LocalObjectStore):
        found = {str(p.relative_to(store.root)) for p in (store.root / "exports").rglob("*") if p.is_file()}
        body = (store.root / "exports/csv/cells/year=2022/region=640105/part-0.csv").read_text(
            encoding="utf-8"
        )
    else:
        assert isinstance(store, S3ObjectStore)
        client = seaweed_or_none.client()
        found = {o.object_name for o in client.list_objects(store.bucket, prefix="exports/", recursive=True)}
        response = client.get_object(store.bucket, "exports/csv/cells/year=2022/region=640105/part-0.csv")
        body = response.read().decode("utf-8")
        response.close()
    assert expected <= found
    assert body.splitlines()[1].startswith(
        f"1,{XIXIA},department,640105,2022,gov2021,requests,new,natural_person,"
    )


@pytest.mark.parametrize("key", ["exports/../originals/x", "originals/ab/cd", "exports/a/./b", "exports"])
def test_export_keys_cannot_leave_exports(tmp_path: Path, key: str) -> None:
    from storage.errors import ObjectStoreError

    source = tmp_path / "f.csv"
    source.write_text("a\n")
    with pytest.raises(ObjectStoreError, match="invalid export key"):
        LocalObjectStore(tmp_path / "objects").put_export(key, source)
