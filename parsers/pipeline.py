"""Document → Report: metadata, sections, tables, findings. Pure functions composed in `build_report`."""

from __future__ import annotations

import time

from parsers import checks, metadata, stat2014
from parsers import templates as t
from parsers.document import Document
from parsers.model import SECTION_KEYS, Cell, Finding, Format, ParserInfo, Report
from parsers.sections import split_sections
from parsers.tables import TableResult, document_candidates, match_tables

VERSION = "0.2.0"
"""0.2.0: spreadsheets, OFD, legacy Word/WPS (converted), OCR of scans with cell confidences."""


def choose_format(signals: dict[str, int], year: int | None, has_statistics: bool) -> tuple[Format, bool]:
    """The format by the tables' own header words; the second value says whether both gov formats show."""
    gov21, gov19 = signals["gov2021"], signals["gov2019"]
    mixed = gov21 >= 2 and gov19 >= 2
    if has_statistics and signals["stat2014"] and not (gov21 or gov19):
        return "stat2014", False
    if gov21 > gov19:
        return "gov2021", mixed
    if gov19 > gov21:
        return "gov2019", mixed
    if gov21:
        return t.table_template("unknown", year).key, mixed
    return "unknown", False


def _missing(result: TableResult, template: t.Template) -> list[Finding]:
    out: list[Finding] = []
    for table in template.tables:
        rows = template.row_keys(table)
        found = result.rows_found.get(table, set())
        if not found:
            out.append(Finding("report.missing_table", "warning", table, f"table {table} not found"))
            continue
        out.extend(
            Finding(
                "report.missing_row", "warning", f"{table}/{row}", f"row {row} of table {table} not printed"
            )
            for row in rows
            if row not in found
        )
    return out


def _metadata_findings(report: Report, text: str, mixed: bool) -> list[Finding]:
    out: list[Finding] = []
    if report.agency is None:
        out.append(
            Finding("report.agency_unknown", "info", "agency", "the report does not name its issuing agency")
        )
    period = metadata.period_year(text)
    if report.year is not None and period is not None and period != report.year:
        out.append(
            Finding(
                "report.year_mismatch",
                "warning",
                "year",
                f"the title says {report.year} but the statistics period is {period}",
                report.year,
                period,
            )
        )
    printed, wanted = t.template(report.format), t.template_for_year(report.year)
    if printed is not None and wanted is not None and printed.age < wanted.age:
        out.append(
            Finding(
                "report.format_outdated",
                "warning",
                "format",
                f"a {report.year} report in the {report.format} format (expected {wanted.key})",
            )
        )
    if mixed:
        out.append(
            Finding("report.format_mixed", "warning", "format", "tables of both gov2019 and gov2021 formats")
        )
    template = t.template(report.format)
    if template is not None and template.applies("report.missing_section"):
        out.extend(
            Finding("report.missing_section", "warning", f"sections/{key}", f"section {key} not found")
            for key in SECTION_KEYS
            if key not in report.sections
        )
    return out


def build_report(doc: Document, *, started: float, version: str = VERSION) -> Report:
    """Everything after reading: metadata, sections, tables, checks."""
    lines = [line.text for line in doc.lines]
    text = doc.text()
    title, title_line = metadata.find_title(lines)
    year = metadata.report_year(title) or metadata.period_year(text)
    agency = metadata.find_agency(title, lines, title_line, text) if title else None

    def info() -> ParserInfo:
        seconds = round(time.perf_counter() - started, 4)
        return ParserInfo(version, doc.kind, doc.pages, seconds, doc.engines)

    if not doc.has_text_layer:
        return Report(agency=None, year=None, format="unknown", title="", parser=info(), status="needs_ocr")
    stat_table = stat2014.find_table(doc)
    fmt, mixed = choose_format(metadata.format_signals(text), year, stat_table is not None)
    cells: list[Cell] = []
    statistics: dict[str, dict[str, object]] = {}
    findings: list[Finding] = []
    printed = t.template(fmt)
    if printed is not None and printed.statistics and stat_table is not None:
        cells, statistics = stat2014.statistics(stat_table, year)
        findings = stat2014.uncertain_findings(stat_table, cells)
    else:
        tables = t.table_template(fmt, year)
        result = match_tables(document_candidates(doc), tables)
        cells = result.cells
        if cells and fmt == "unknown":
            fmt = tables.key
        if cells:
            findings = result.findings + _missing(result, tables)
    if metadata.is_companion(title) or not (cells or (title and metadata.looks_like_report(title, text))):
        return Report(
            agency=agency, year=year, format="unknown", title=title, parser=info(), status="not_a_report"
        )
    report = Report(
        agency=agency,
        year=year,
        format=fmt,
        title=title,
        parser=info(),
        sections=split_sections(lines),
        cells=cells,
        statistics=statistics,
    )
    if printed is not None and printed.statistics and not cells:
        findings.append(
            Finding("report.missing_table", "warning", "statistics", "statistics table not found")
        )
    if fmt == "unknown" and not cells:
        findings.append(Finding("report.missing_table", "warning", "tables", "no standard table found"))
    findings += checks.low_confidence_findings(cells)
    report.findings = (
        _metadata_findings(report, text, mixed)
        + findings
        + checks.table_findings(cells, fmt, checks.uncertain_keys(findings))
    )
    report.findings += checks.check_text_totals(report)
    report.parser = info()
    return report
