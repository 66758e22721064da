"""Attributing report titles and issuers to registry agencies."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from flows.timeliness.matching import match_agency
from parsers.metadata import issuer_key
from storage.domain import region_sig


@dataclass(frozen=True)
class Ag:
    name: str
    kind: str
    region_code: str
    aliases: tuple[str, ...] = field(default_factory=tuple)


REGISTRY = (
    Ag("宁夏回族自治区人民政府", "government", "640000"),
    Ag("银川市人民政府", "government", "640100"),
    Ag("银川市科学技术局", "department", "640100"),
    Ag("银川市西夏区人民政府", "government", "640105"),
    Ag("银川市西夏区科学技术和工业信息化局", "department", "640105", ("西夏区科信局",)),
    Ag("银川市西夏区教育局", "department", "640105"),
    Ag("银川市兴庆区人民政府", "government", "640104"),
    Ag("银川市兴庆区教育局", "department", "640104"),
    Ag("镇北堡镇人民政府", "government", "640105100"),
)


def name_of(text: str) -> str | None:
    found = match_agency(text, REGISTRY)
    return found.name if found else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # full names, with years and the report phrase stripped
        (
            "银川市西夏区科学技术和工业信息化局2023年政府信息公开工作年度报告",
            "银川市西夏区科学技术和工业信息化局",
        ),
        (
            "银川市西夏区科学技术和工业信息化局 2023年度政府信息公开工作年度报告",
            "银川市西夏区科学技术和工业信息化局",
        ),
        (
            "2023年银川市西夏区科学技术和工业信息化局政府信息公开工作年度报告",
            "银川市西夏区科学技术和工业信息化局",
        ),
        (
            "【银川市西夏区科学技术和工业信息化局】政府信息公开工作年度报告（2023年）",
            "银川市西夏区科学技术和工业信息化局",
        ),
        # short name (registry alias) and the 市 prefix dropped
        ("西夏区科信局2023年度政府信息公开工作年度报告", "银川市西夏区科学技术和工业信息化局"),
        ("西夏区科学技术和工业信息化局2023年政府信息公开年报", "银川市西夏区科学技术和工业信息化局"),
        ("银川市西夏区科学技术和工业信息化局", "银川市西夏区科学技术和工业信息化局"),
        ("宁夏银川市西夏区教育局2022年政府信息公开工作年度报告", "银川市西夏区教育局"),
        ("银川西夏区教育局2022年报", "银川市西夏区教育局"),
        # a city department is not the district's
        ("银川市科学技术局2023年政府信息公开工作年度报告", "银川市科学技术局"),
        ("银川市科学技术和工业信息化局2023年政府信息公开工作年度报告", None),
        ("西夏区科学技术局2023年政府信息公开工作年度报告", None),
        # the district government by name, by 政府, or by the bare place
        ("银川市西夏区人民政府2023年政府信息公开工作年度报告", "银川市西夏区人民政府"),
        ("西夏区人民政府2023年政府信息公开工作年度报告", "银川市西夏区人民政府"),
        ("银川市西夏区2023年政府信息公开工作年度报告", "银川市西夏区人民政府"),
        ("西夏区政府信息公开工作年度报告（2023年）", "银川市西夏区人民政府"),
        ("银川市2023年政府信息公开工作年度报告", "银川市人民政府"),
        ("宁夏回族自治区2023年政府信息公开工作年度报告", "宁夏回族自治区人民政府"),
        ("镇北堡镇人民政府2023年政府信息公开工作年度报告", "镇北堡镇人民政府"),
        # same department name in two districts: the place decides, no place is ambiguous
        ("兴庆区教育局2023年政府信息公开工作年度报告", "银川市兴庆区教育局"),
        ("西夏区教育局2023年政府信息公开工作年度报告", "银川市西夏区教育局"),
        ("教育局2023年政府信息公开工作年度报告", None),
        # a department the registry does not know, or nothing at all
        ("永宁县科学技术局2023年报", None),
        ("银川市西夏区财政局2023年政府信息公开工作年度报告", None),
        ("2023年政府信息公开工作年度报告", None),
        ("", None),
    ],
)
def test_match_agency(text: str, expected: str | None) -> None:
    assert name_of(text) == expected


def test_district_government_never_takes_its_departments_reports() -> None:
    only_government = (Ag("银川市西夏区人民政府", "government", "640105"),)
    assert (
        match_agency("银川市西夏区科学技术和工业信息化局2023年政府信息公开工作年度报告", only_government)
        is None
    )
    assert match_agency("西夏区教育局2023年度报告", only_government) is None


def test_unique_body_without_place_matches_when_unambiguous() -> None:
    found = match_agency("科学技术和工业信息化局2023年政府信息公开工作年度报告", REGISTRY)
    assert found is REGISTRY[4]
    # Without governments the registry names no places, so only names and aliases match.
    registry = (Ag("银川市西夏区科学技术和工业信息化局", "department", "640105", ("西夏区科信局",)),)
    assert match_agency("科学技术和工业信息化局2023年政府信息公开工作年度报告", registry) is None


def test_alias_without_governments_in_registry() -> None:
    registry = (Ag("银川市西夏区科学技术和工业信息化局", "department", "640105", ("西夏区科信局",)),)
    assert match_agency("西夏区科信局2023年报", registry) is registry[0]


@pytest.mark.parametrize(
    ("title", "issuer"),
    [
        (
            "银川市西夏区科学技术和工业信息化局2023年政府信息公开工作年度报告",
            "银川市西夏区科学技术和工业信息化局",
        ),
        ("西夏区科信局关于2023年度政府信息公开工作的报告", "西夏区科信局"),
        ("西夏区科信局２０２３年度政府信息公开工作年度报告", "西夏区科信局"),
        ("二〇二三年西夏区科信局政务公开年报", "西夏区科信局"),
    ],
)
def test_issuer_key(title: str, issuer: str) -> None:
    assert issuer_key(title) == issuer


@pytest.mark.parametrize(
    ("code", "sig"),
    [
        ("640000", "64"),
        ("640100", "6401"),
        ("640105", "640105"),
        ("640105100", "640105100"),
        ("640105000", "640105"),
        ("640105100000", "640105100"),
    ],
)
def test_region_sig(code: str, sig: str) -> None:
    assert region_sig(code) == sig
