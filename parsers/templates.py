"""The standard tables of the 2019 and 2021 formats: canonical keys with their printed labels.

These are data, shared by the parsers (to match rows and columns) and by the report generator
(to render them). Sources: 国办公开办函〔2021〕30号, 国办公开办函〔2019〕60号, ../shared/DOMAIN.md.
"""

from __future__ import annotations

from dataclasses import dataclass


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

# Rows whose sum is （七）总计 (everything between 二 and （七）).
RESULT_ROWS_2021: tuple[str, ...] = tuple(r.key for r in REQUEST_ROWS_2021[2:-2])
RESULT_ROWS_2019: tuple[str, ...] = tuple(r.key for r in REQUEST_ROWS_2019[2:-2])

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


def request_rows(fmt: str) -> tuple[Row, ...]:
    """Table 3 template rows for a format (gov2019 has one 其他处理 row)."""
    return REQUEST_ROWS_2019 if fmt == "gov2019" else REQUEST_ROWS_2021


def result_rows(fmt: str) -> tuple[str, ...]:
    """Row keys that add up to （七）总计 in a format."""
    return RESULT_ROWS_2019 if fmt == "gov2019" else RESULT_ROWS_2021


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
