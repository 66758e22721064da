"""The source registry loader: the shipped file, deadline resolution and one-line errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from crawler.registry import SHIPPED_SOURCES_DIR, AgencyConfig, RegistryError, load_registry

VALID = """\
region: "640000"
name: 宁夏回族自治区
region_deadlines:
  "6401": {department: "02-20"}
  "640105": {department: "02-10", government: "03-15"}
sources:
  - id: yinchuan-xixia
    name: 银川市西夏区人民政府
    region_code: "640105"
    start_urls: ["http://www.ycxixia.gov.cn/xxgk/zfxxgknb/index.html"]
    pagination: trs
    title_exclude: ["解读"]
agencies:
  - name: 银川市西夏区科学技术和工业信息化局
    aliases: [西夏区科信局]
    kind: department
    region_code: "640105"
    source: yinchuan-xixia
  - name: 银川市科学技术局
    kind: department
    region_code: "640100"
  - name: 银川市兴庆区人民政府
    kind: government
    region_code: "640104"
  - name: 银川市西夏区教育局
    kind: department
    region_code: "640105"
    deadline_override: "01-20"
"""


def write(tmp_path: Path, text: str, name: str = "ningxia.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_shipped_registry_loads() -> None:
    registry = load_registry(SHIPPED_SOURCES_DIR)
    assert [s.id for s in registry.sources] == [
        "yinchuan-gov",
        "yinchuan-kjj",
        "yinchuan-xixia",
        "yinchuan-jinfeng",
        "zhongwei-shapotou",
    ]
    assert all(not s.verified for s in registry.sources)
    names = {a.name for a in registry.agencies}
    assert {
        "银川市科学技术局",
        "中卫市沙坡头区科学技术局",
        "银川市金凤区科学技术局",
        "银川市西夏区科学技术和工业信息化局",
    } <= names
    xixia = registry.source("yinchuan-xixia")
    assert xixia.allowed_domains == ("www.ycxixia.gov.cn",)
    assert xixia.pagination == "auto"
    assert xixia.max_pages == 50


def test_defaults_and_deadlines(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, VALID))
    source = registry.source("yinchuan-xixia")
    assert source.allowed_domains == ("www.ycxixia.gov.cn",)
    assert source.title_exclude == ("解读",)
    assert source.line == 7
    by_name = {a.name: a for a in registry.agencies}
    assert registry.deadline_override_for(by_name["银川市西夏区科学技术和工业信息化局"]) == "02-10"
    assert registry.deadline_override_for(by_name["银川市科学技术局"]) == "02-20"
    assert registry.deadline_override_for(by_name["银川市兴庆区人民政府"]) is None
    assert registry.deadline_override_for(by_name["银川市西夏区教育局"]) == "01-20"
    government = AgencyConfig(name="x", kind="government", region_code="640105")
    assert registry.deadline_override_for(government) == "03-15"


def test_unknown_source_lookup(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, VALID))
    with pytest.raises(RegistryError, match=r"^unknown source 'nope' \(known: yinchuan-xixia\)$"):
        registry.source("nope")


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "pagination: trs",
            "pagination: infinite",
            r"ningxia\.yaml:11: sources\[0\]\.pagination: unknown pagination style 'infinite' \(expected one of "
            r"auto, trs, hanweb, go_page, next_link, json_api\)$",
        ),
        (
            "source: yinchuan-xixia",
            "source: yinchuan-nowhere",
            r"ningxia\.yaml:18: agencies\[0\]\.source: agency '银川市西夏区科学技术和工业信息化局' points at "
            r"unknown source 'yinchuan-nowhere'$",
        ),
        (
            '    region_code: "640100"',
            "    region_code: 64010",
            r"ningxia\.yaml:21: agencies\[1\]\.region_code: bad region code '64010'",
        ),
        (
            'region_code: "640104"',
            'region_code: "650104"',
            r"ningxia\.yaml:24: agencies\[2\]\.region_code: region code 650104 is outside 640000$",
        ),
        (
            'deadline_override: "01-20"',
            'deadline_override: "02-30"',
            r"ningxia\.yaml:28: agencies\[3\]\.deadline_override: bad MM-DD '02-30' \(no such day\)$",
        ),
        (
            '"6401": {department: "02-20"}',
            '"6401": {department: "2-20"}',
            r"ningxia\.yaml:4: region_deadlines\.6401\.department: bad MM-DD '2-20'$",
        ),
        (
            "    pagination: trs",
            "    paginaton: trs",
            r"ningxia\.yaml:11: sources\[0\]\.paginaton: unknown key 'paginaton'",
        ),
        (
            "kind: government",
            "kind: bureau",
            r"ningxia\.yaml:23: agencies\[2\]\.kind: unknown agency kind 'bureau'",
        ),
        (
            'title_exclude: ["解读"]',
            'title_exclude: ["(解读"]',
            r"ningxia\.yaml:12: sources\[0\]\.title_exclude\[0\]: bad regular expression",
        ),
        (
            "    pagination: trs",
            "    pagination: trs\n    render: yes please",
            r"ningxia\.yaml:12: sources\[0\]\.render: expected true or false, got 'yes please'$",
        ),
        (
            "    pagination: trs",
            "    pagination: json_api\n    json_api: {url_template: 'http://x.cn/l?p={page}', items: list}\n"
            "    render: true",
            r"ningxia\.yaml:13: sources\[0\]\.render: render does nothing with pagination json_api "
            r"\(its list is the API\)$",
        ),
    ],
)
def test_errors_name_file_and_line(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert old in VALID
    path = write(tmp_path, VALID.replace(old, new, 1))
    with pytest.raises(RegistryError, match=message) as caught:
        load_registry(path)
    assert "\n" not in str(caught.value)


def test_duplicate_source_id_across_files(tmp_path: Path) -> None:
    write(tmp_path, VALID)
    second = (
        VALID.split("agencies:")[0]
        .replace("region_deadlines:\n", "")
        .replace(
            '  "6401": {department: "02-20"}\n  "640105": {department: "02-10", government: "03-15"}\n', ""
        )
    )
    write(tmp_path, second, "other.yaml")
    with pytest.raises(
        RegistryError, match=r"other\.yaml:4: sources\[0\]\.id: duplicate source id 'yinchuan-xixia' "
    ):
        load_registry(tmp_path)


def test_invalid_yaml_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"bad\.yaml:3: invalid YAML"):
        load_registry(write(tmp_path, 'region: "640000"\nname: [unclosed\n', "bad.yaml"))
    with pytest.raises(RegistryError, match="no such file or directory"):
        load_registry(tmp_path / "missing")


def test_readme_registry_example_loads_and_shows_every_source_option(tmp_path: Path) -> None:
    from crawler import registry

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The source registry") :]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "readme.yaml"
    path.write_text(example, encoding="utf-8")
    loaded = load_registry(path)
    assert [s.id for s in loaded.sources] == [
        "yinchuan-xixia",
        "yinchuan-hanweb",
        "some-county-api",
        "some-county-script",
    ]
    assert [s.pagination for s in loaded.sources] == ["auto", "hanweb", "json_api", "auto"]
    assert [s.render for s in loaded.sources] == [False, False, False, True]
    shown = {key for source in yaml.safe_load(example)["sources"] for key in source}
    shown |= {f"hanweb.{k}" for s in yaml.safe_load(example)["sources"] for k in s.get("hanweb") or {}}
    shown |= {f"json_api.{k}" for s in yaml.safe_load(example)["sources"] for k in s.get("json_api") or {}}
    expected = set(registry._SOURCE_KEYS) | {f"hanweb.{k}" for k in registry._HANWEB_KEYS}
    expected |= {f"json_api.{k}" for k in registry._JSON_API_KEYS}
    assert shown == expected
