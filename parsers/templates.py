"""The report formats as objects: one `Template` per format with its tables, keys and labels.

A `Template` (gov2021, gov2019, stat2014) owns its tables' row and column keys with their printed
Chinese labels, its section headings, the report years it is the statutory format for, and the
rule ids that apply to it. Everything else asks the template (`template(fmt)`, `template_for_year`)
instead of comparing format strings, so a 2025 or a provincial variant is one more object here.
The module-level tuples are the templates' building blocks, shared by the parsers (to match rows and
columns) and the report generator (to render them). Sources: 国办公开办函〔2021〕30号,
国办公开办函〔2019〕60号, 国办发〔2014〕32号, ../shared/DOMAIN.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parsers.model import Format


@dataclass(frozen=True)
class Row:
    """A template row: its key, its label as printed, and the merged group label above it if any."""

    key: str
    label: str
    group: str = ""


REQUEST_COLUMNS: tuple[tuple[str, str], ...] = (
    ("natural_person", "自然人"),
    ("commercial", "商业企业"),
    ("research", "科研机构"),
    ("social_welfare", "社会公益组织"),
    ("legal_service", "法律服务机构"),
    ("other_org", "其他"),
    ("total", "总计"),
)
APPLICANT_COLUMNS: tuple[str, ...] = tuple(key for key, _ in REQUEST_COLUMNS[:-1])

_RESULTS = "三、本年度办理结果"
_WITHHELD = "（三）不予公开"
_UNAVAILABLE = "（四）无法提供"
_REJECTED = "（五）不予处理"
_OTHER = "（六）其他处理"

_REQUEST_HEAD: tuple[Row, ...] = (
    Row("new", "一、本年新收政府信息公开申请数量"),
    Row("carried_over", "二、上年结转政府信息公开申请数量"),
    Row("granted", "（一）予以公开", _RESULTS),
    Row("partly_granted", "（二）部分公开（区分处理的，只计这一情形，不计其他情形）", _RESULTS),
    Row("withheld_state_secret", "1.属于国家秘密", _WITHHELD),
    Row("withheld_prohibited_by_law", "2.其他法律行政法规禁止公开", _WITHHELD),
    Row("withheld_three_securities", "3.危及“三安全一稳定”", _WITHHELD),
    Row("withheld_third_party", "4.保护第三方合法权益", _WITHHELD),
    Row("withheld_internal_affairs", "5.属于三类内部事务信息", _WITHHELD),
    Row("withheld_process_info", "6.属于四类过程性信息", _WITHHELD),
    Row("withheld_enforcement_file", "7.属于行政执法案卷", _WITHHELD),
    Row("withheld_inquiry", "8.属于行政查询事项", _WITHHELD),
    Row("unavailable_not_held", "1.本机关不掌握相关政府信息", _UNAVAILABLE),
    Row("unavailable_needs_creation", "2.没有现成信息需要另行制作", _UNAVAILABLE),
    Row("unavailable_unclear", "3.补正后申请内容仍不明确", _UNAVAILABLE),
    Row("rejected_petition", "1.信访举报投诉类申请", _REJECTED),
    Row("rejected_duplicate", "2.重复申请", _REJECTED),
    Row("rejected_publication", "3.要求提供公开出版物", _REJECTED),
    Row("rejected_excessive", "4.无正当理由大量反复申请", _REJECTED),
    Row("rejected_confirmation", "5.要求行政机关确认或重新出具已获取信息", _REJECTED),
)
_REQUEST_TAIL: tuple[Row, ...] = (
    Row("total", "（七）总计", _RESULTS),
    Row("carried_forward", "四、结转下年度继续办理"),
)

REQUEST_ROWS_2021: tuple[Row, ...] = (
    *_REQUEST_HEAD,
    Row("other_no_correction", "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请", _OTHER),
    Row(
        "other_fee_unpaid", "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请", _OTHER
    ),
    Row("other", "3.其他", _OTHER),
    *_REQUEST_TAIL,
)
REQUEST_ROWS_2019: tuple[Row, ...] = (
    *_REQUEST_HEAD,
    Row("other", "（六）其他处理", _RESULTS),
    *_REQUEST_TAIL,
)

# Table 2. Each row lists the columns it carries in that format.
PROACTIVE_COLUMNS_2021: tuple[tuple[str, str], ...] = (
    ("issued", "本年制发件数"),
    ("repealed", "本年废止件数"),
    ("in_force", "现行有效件数"),
    ("decisions", "本年处理决定数量"),
    ("amount_10k_yuan", "本年收费金额（单位：万元）"),
)
PROACTIVE_ROWS_2021: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("regulations", "规章", ("issued", "repealed", "in_force")),
    ("normative_documents", "行政规范性文件", ("issued", "repealed", "in_force")),
    ("licensing", "行政许可", ("decisions",)),
    ("penalty", "行政处罚", ("decisions",)),
    ("coercion", "行政强制", ("decisions",)),
    ("fees", "行政事业性收费", ("amount_10k_yuan",)),
)
PROACTIVE_COLUMNS_2019: tuple[tuple[str, str], ...] = (
    ("produced", "本年新制作数量"),
    ("published", "本年新公开数量"),
    ("total_public", "对外公开总数量"),
    ("prev_year_items", "上一年项目数量"),
    ("change", "本年增/减"),
    ("decisions", "处理决定数量"),
    ("items", "采购项目数量"),
    ("amount", "采购总金额"),
)
PROACTIVE_ROWS_2019: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("regulations", "规章", ("produced", "published", "total_public")),
    ("normative_documents", "规范性文件", ("produced", "published", "total_public")),
    ("licensing", "行政许可", ("prev_year_items", "change", "decisions")),
    ("other_services", "其他对外管理服务事项", ("prev_year_items", "change", "decisions")),
    ("penalty", "行政处罚", ("prev_year_items", "change", "decisions")),
    ("coercion", "行政强制", ("prev_year_items", "change", "decisions")),
    ("fees", "行政事业性收费", ("prev_year_items", "change")),
    ("procurement", "政府集中采购", ("items", "amount")),
)

# Table 4: three blocks of five cells, one data row.
REVIEW_BLOCKS: tuple[tuple[str, str], ...] = (
    ("review", "行政复议"),
    ("suit_direct", "未经复议直接起诉"),
    ("suit_after_review", "复议后起诉"),
)
REVIEW_COLUMNS: tuple[tuple[str, str], ...] = (
    ("upheld", "结果维持"),
    ("corrected", "结果纠正"),
    ("other", "其他结果"),
    ("pending", "尚未审结"),
    ("total", "总计"),
)
REVIEW_PARTS: tuple[str, ...] = tuple(key for key, _ in REVIEW_COLUMNS[:-1])

# Section headings (canonical key, the standard wording; real headings vary).
SECTIONS: tuple[tuple[str, str], ...] = (
    ("overview", "总体情况"),
    ("proactive", "主动公开政府信息情况"),
    ("requests", "收到和处理政府信息公开申请情况"),
    ("review_litigation", "政府信息公开行政复议、行政诉讼情况"),
    ("problems", "存在的主要问题及改进情况"),
    ("other", "其他需要报告的事项"),
)


ARITHMETIC_RULES: tuple[str, ...] = (
    "requests.balance",
    "requests.total_sum",
    "requests.row_total",
    "review_litigation.block_total",
)
"""The in-report sums of tables 3 and 4 (parsers/checks.py)."""
_GOV_RULES: tuple[str, ...] = (
    *ARITHMETIC_RULES,
    "report.text_mismatch",
    "report.missing_section",
    "report.missing_table",
    "report.missing_row",
    "history.carry_over",
    "history.duplicate_of_previous",
)

ProactiveRow = tuple[str, str, tuple[str, ...]]
Labelled = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Template:
    """One report format: what its tables print and which rules read them.

    `first_year`/`last_year` bound the report years it is the statutory format for (None: open);
    `age` orders formats from oldest to newest (an older format than the year calls for is
    `report.format_outdated`); `statistics` says the format has the stat2014 indicator table
    instead of tables 2–4."""

    key: Format
    defined_by: str
    age: int
    first_year: int | None
    last_year: int | None
    proactive_columns: Labelled = ()
    proactive_rows: tuple[ProactiveRow, ...] = ()
    request_columns: Labelled = ()
    request_rows: tuple[Row, ...] = ()
    review_blocks: Labelled = ()
    review_columns: Labelled = ()
    sections: Labelled = ()
    statistics: bool = False
    rules: tuple[str, ...] = field(default=())

    @property
    def tables(self) -> tuple[str, ...]:
        """The standard tables a report in this format prints."""
        if self.statistics:
            return ("statistics",)
        return ("proactive", "requests", "review_litigation")

    @property
    def applicant_columns(self) -> tuple[str, ...]:
        """Table 3's columns that add up to its 总计 column."""
        return tuple(key for key, _ in self.request_columns if key != "total")

    @property
    def review_parts(self) -> tuple[str, ...]:
        """Table 4's columns that add up to each block's 总计."""
        return tuple(key for key, _ in self.review_columns if key != "total")

    @property
    def result_rows(self) -> tuple[str, ...]:
        """Row keys of table 3 that add up to （七）总计 (everything between 二 and （七））."""
        return tuple(r.key for r in self.request_rows[2:-2])

    def row_keys(self, table: str) -> tuple[str, ...]:
        """The row keys a complete report prints in `table` (for report.missing_row)."""
        rows: dict[str, tuple[str, ...]] = {
            "proactive": tuple(key for key, _, _ in self.proactive_rows),
            "requests": tuple(row.key for row in self.request_rows),
            "review_litigation": tuple(key for key, _ in self.review_blocks),
        }
        return rows.get(table, ())

    def row_label(self, table: str, key: str) -> str:
        """The printed label of a row key (the key itself when the template has no such row)."""
        labels: dict[str, dict[str, str]] = {
            "proactive": {k: label for k, label, _ in self.proactive_rows},
            "requests": {row.key: row.label for row in self.request_rows},
            "review_litigation": dict(self.review_blocks),
        }
        return labels.get(table, {}).get(key, key)

    def column_label(self, table: str, key: str) -> str:
        """The printed label of a column key (the key itself when the template has no such column)."""
        labels: dict[str, Labelled] = {
            "proactive": self.proactive_columns,
            "requests": self.request_columns,
            "review_litigation": self.review_columns,
        }
        return dict(labels.get(table, ())).get(key, key)

    def applies(self, rule: str) -> bool:
        return rule in self.rules

    def covers(self, year: int) -> bool:
        """Whether this is the statutory format for a report on `year`."""
        return (self.first_year is None or year >= self.first_year) and (
            self.last_year is None or year <= self.last_year
        )


GOV2021 = Template(
    key="gov2021",
    defined_by="国办公开办函〔2021〕30号",
    age=2,
    first_year=2021,
    last_year=None,
    proactive_columns=PROACTIVE_COLUMNS_2021,
    proactive_rows=PROACTIVE_ROWS_2021,
    request_columns=REQUEST_COLUMNS,
    request_rows=REQUEST_ROWS_2021,
    review_blocks=REVIEW_BLOCKS,
    review_columns=REVIEW_COLUMNS,
    sections=SECTIONS,
    rules=(*_GOV_RULES, "history.in_force"),
)
GOV2019 = Template(
    key="gov2019",
    defined_by="国办公开办函〔2019〕60号",
    age=1,
    first_year=2019,
    last_year=2020,
    proactive_columns=PROACTIVE_COLUMNS_2019,
    proactive_rows=PROACTIVE_ROWS_2019,
    request_columns=REQUEST_COLUMNS,
    request_rows=REQUEST_ROWS_2019,
    review_blocks=REVIEW_BLOCKS,
    review_columns=REVIEW_COLUMNS,
    sections=SECTIONS,
    rules=_GOV_RULES,
)
STAT2014 = Template(
    key="stat2014",
    defined_by="国办发〔2014〕32号 政府信息公开情况统计表",
    age=0,
    first_year=None,
    last_year=2018,
    statistics=True,
    rules=("report.text_mismatch", "report.missing_table", "history.duplicate_of_previous"),
)
TEMPLATES: tuple[Template, ...] = (STAT2014, GOV2019, GOV2021)
"""Every format, oldest first."""
_BY_KEY: dict[str, Template] = {tpl.key: tpl for tpl in TEMPLATES}


def template(fmt: str) -> Template | None:
    """The template of a format id, None for "unknown"."""
    return _BY_KEY.get(fmt)


def template_for_year(year: int | None) -> Template | None:
    """The statutory format of a report on `year` (DOMAIN.md: ≤2018 stat2014, 2019–2020 gov2019,
    from 2021 gov2021); None when the year is unknown."""
    if year is None:
        return None
    return next(tpl for tpl in TEMPLATES if tpl.covers(year))


def table_template(fmt: str, year: int | None) -> Template:
    """The template whose tables 2–4 to match: the format's own, else the year's, else the newest."""
    for candidate in (template(fmt), template_for_year(year)):
        if candidate is not None and not candidate.statistics:
            return candidate
    return GOV2021


# Other wordings seen in real reports, matched in addition to the standard labels (additive).
PROACTIVE_ALIASES: dict[str, tuple[str, ...]] = {
    "normative_documents": ("规范性文件", "行政规范性文件"),
    "other_services": ("其他对外管理服务事项",),
}
REQUEST_ALIASES: dict[str, tuple[str, ...]] = {
    "new": ("本年新收政府信息公开申请数量", "一、本年新收申请数量"),
    "carried_over": ("上年结转政府信息公开申请数量",),
    "carried_forward": ("结转下年度继续办理",),
    "withheld_prohibited_by_law": ("2.其他法律行政法规禁止公开",),
}
