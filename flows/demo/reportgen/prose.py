"""The body text of a report: section texts quoting its printed figures, headings, preamble, padding."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from flows.demo.reportgen.figures import partition
from parsers import templates
from parsers.model import SECTION_KEYS

if TYPE_CHECKING:
    from flows.demo.reportgen.spec import ReportSpec


SECTION_NUMERALS: tuple[str, ...] = ("一", "二", "三", "四", "五", "六")
STAT2014_HEADINGS: tuple[str, ...] = (
    "概述",
    "主动公开政府信息情况",
    "政府信息依申请公开情况",
    "因政府信息公开申请行政复议、提起行政诉讼的情况",
    "政府信息公开工作存在的主要问题及改进措施",
    "其他需要报告的事项",
)


_MANAGEMENT = (
    "严格落实“三审三校”制度，明确信息发布的审核流程，做到先审查后公开、一稿一审、全面审查。",
    "及时调整政府信息公开工作领导小组，明确分管领导和具体责任人，确保信息公开工作有人管、有人抓。",
    "严格执行政府信息公开保密审查制度，坚持“涉密信息不上网、上网信息不涉密”，全年未发生失泄密问题。",
    "系统梳理现行有效的规范性文件，及时更新政府信息公开指南和主动公开目录，提升信息管理规范化水平。",
)
_PLATFORM = (
    "充分发挥政府门户网站第一平台作用，规范栏目设置，强化搜索检索功能，及时更新各类政务信息。",
    "加强政务新媒体运营管理，保证微信公众号、政务微博正常运营，全年未发生长期不更新等问题。",
    "依托12345政务服务便民热线和网站留言板等渠道，加强政民互动交流，做到有诉即办、有诉必办。",
    "推进政务数据资源开放工作，梳理完成政务数据资源共享和开放目录，按要求挂载数据资源。",
)
_SUPERVISION = (
    "将政务公开工作纳入年度目标责任考核，定期对各科室信息报送数量和质量进行通报。",
    "组织干部职工参加全市政务公开专题培训班，提高依法依规公开意识和业务能力。",
    "通过调查问卷、座谈会等方式开展社会评议，对合理可行的意见建议及时督促整改到位。",
    "明确政务公开责任追究办法，本年度未发生因政务公开工作被责任追究的情况。",
)
_PADDING = (
    "围绕优化营商环境、科技创新、产业发展等重点领域，及时公开相关政策文件和工作动态，持续加大政策解读力度，"
    "综合运用图片图表、音频视频、问答等形式开展多元化解读，帮助企业和群众准确理解政策内容。",
    "坚持以公开为常态、不公开为例外，落实公文公开属性源头认定机制，拟制公文时明确主动公开、依申请公开或不予公开属性，"
    "随公文一并报批，对拟不公开的依法依规说明理由。",
    "持续推进基层政务公开标准化规范化建设，对照相关领域基层政务公开标准指引，动态调整公开事项目录，"
    "细化公开内容、公开时限和公开方式，提升基层政务公开的针对性和实效性。",
    "常态化开展“政府开放日”活动，邀请人大代表、政协委员、企业代表和群众代表走进机关，"
    "面对面听取意见建议，推动政民互动由“单向发布”向“双向交流”转变。",
    "加强政府信息公开工作机构和队伍建设，配齐配强政务公开工作人员，建立健全信息公开协调机制，"
    "形成主要领导亲自抓、分管领导具体抓、办公室统筹协调、各科室密切配合的工作格局。",
    "严格落实政府信息公开申请登记、审核、办理、答复、归档等各环节工作规范，规范答复文书格式，"
    "确保依申请公开工作依法依规、及时准确。",
)


def _ideology(year: int) -> str:
    return "党的二十大精神" if year >= 2022 else "党的十九大和十九届历次全会精神"


def _overview(spec: ReportSpec, rng: random.Random) -> str:
    name, year = spec.agency_name, spec.year
    quoted = spec.text_override.get("new", int(spec.number("requests", "new", "total")))
    if spec.format == "stat2014":
        quoted = spec.text_override.get("new", int(spec.number("statistics", "3.1", "value")))
    website = rng.randint(20, 300)
    parts = partition(rng, website, 3)
    wechat = rng.randint(30, 500)
    paragraphs = [
        f"{year}年，{name}坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻{_ideology(year)}，"
        "认真落实《中华人民共和国政府信息公开条例》和上级关于政务公开工作的决策部署，围绕中心工作和群众关切，"
        "扎实做好主动公开、依申请公开、政府信息管理、平台建设、监督保障等各项工作。",
        f"（一）主动公开情况。全年通过政府门户网站主动公开政府信息{website}条，其中政策文件{parts[0]}条、"
        f"工作动态{parts[1]}条、预决算及其他信息{parts[2]}条；通过政务微信公众号、政务微博发布信息{wechat}条。",
        f"（二）依申请公开情况。全年共受理政府信息公开申请{quoted}件，均严格按照法定程序和时限办理答复。",
        "（三）政府信息管理情况。" + "".join(rng.sample(_MANAGEMENT, 2)),
        "（四）平台建设情况。" + "".join(rng.sample(_PLATFORM, 2)),
        "（五）监督保障情况。" + "".join(rng.sample(_SUPERVISION, 2)),
    ]
    return "\n".join(paragraphs)


def _proactive_text(spec: ReportSpec) -> str:
    if spec.format == "stat2014":
        total = spec.number("statistics", "1.1", "value")
        site = spec.number("statistics", "1.2.2", "value")
        return (
            f"{spec.year}年，{spec.agency_name}主动公开政府信息{total}条，其中通过政府网站公开政府信息{site}条。"
            "主动公开的信息主要包括机构职能、政策文件、财政预决算、重点工作进展等内容。"
        )
    return f"{spec.year}年，{spec.agency_name}主动公开政府信息情况如下："


def _requests_text(spec: ReportSpec) -> str:
    if spec.format == "stat2014":
        s = {p: spec.number("statistics", p, "value") for p in ("3.1", "3.1.3", "3.2", "3.3.2", "3.3.3")}
        return (
            f"{spec.year}年，共收到政府信息公开申请{s['3.1']}件，其中网络申请{s['3.1.3']}件；"
            f"已办结{s['3.2']}件，其中同意公开{s['3.3.2']}件、同意部分公开{s['3.3.3']}件。"
        )
    n = {k: spec.number("requests", k, "total") for k in ("new", "carried_over", "total", "carried_forward")}
    return (
        f"{spec.year}年，本年新收政府信息公开申请{n['new']}件，上年结转{n['carried_over']}件，"
        f"本年度办理完毕{n['total']}件，结转下年度继续办理{n['carried_forward']}件。具体情况如下："
    )


def _review_text(spec: ReportSpec) -> str:
    if spec.format == "stat2014":
        review, suit = spec.number("statistics", "4", "value"), spec.number("statistics", "5", "value")
    else:
        review = spec.number("review_litigation", "review", "total")
        suit = spec.number("review_litigation", "suit_direct", "total") + spec.number(
            "review_litigation", "suit_after_review", "total"
        )
    return f"{spec.year}年，因政府信息公开工作被申请行政复议{review}件，被提起行政诉讼{suit}件。"


def _problems_text(spec: ReportSpec, rng: random.Random) -> str:
    problems = [
        "信息公开的及时性还需进一步提升",
        "政策解读形式较为单一，实质性解读不够深入",
        "政务新媒体互动功能发挥不够充分",
    ]
    rng.shuffle(problems)
    return "\n".join(
        [
            f"{spec.year}年，{spec.agency_name}政府信息公开工作取得了一定成效，但仍存在一些不足：一是{problems[0]}；"
            f"二是{problems[1]}。",
            f"{spec.year + 1}年，将从以下几个方面加以改进：一是加强组织领导，压实工作责任；"
            "二是丰富政策解读方式，提升解读质量；三是加强业务培训，不断提高政府信息公开工作的质量和水平。",
        ]
    )


def _other_text(spec: ReportSpec) -> str:
    if spec.format == "gov2021":
        return (
            f"{spec.year}年，{spec.agency_name}未收取政府信息公开信息处理费。\n本年度无其他需要报告的事项。"
        )
    return "无。"


def write_sections(spec: ReportSpec) -> dict[str, str]:
    """Body texts of the six sections, written from the spec's printed numbers."""
    rng = random.Random(spec.seed * 7919 + 17)
    texts = {
        "overview": _overview(spec, rng),
        "proactive": _proactive_text(spec),
        "requests": _requests_text(spec),
        "review_litigation": _review_text(spec),
        "problems": _problems_text(spec, rng),
        "other": _other_text(spec),
    }
    return {key: texts[key] for key in SECTION_KEYS}


def section_headings(fmt: str) -> list[str]:
    """The six printed headings of a format, numbered 一、…六、."""
    names = STAT2014_HEADINGS if fmt == "stat2014" else tuple(label for _k, label in templates.SECTIONS)
    return [f"{n}、{label}" for n, label in zip(SECTION_NUMERALS, names, strict=True)]


def preamble(spec: ReportSpec) -> str:
    """The paragraph before 一、: legal basis, statistics period, where to get the report."""
    basis = {
        "gov2021": "和《国务院办公厅政府信息与政务公开办公室关于印发〈中华人民共和国"
        "政府信息公开工作年度报告格式〉的通知》（国办公开办函〔2021〕30号）要求",
        "gov2019": "和《国务院办公厅政府信息与政务公开办公室关于政府信息公开工作年度报告有关事项的通知》"
        "（国办公开办函〔2019〕60号）要求",
        "stat2014": "规定",
    }[spec.format]
    return (
        f"本报告根据《中华人民共和国政府信息公开条例》{basis}，由{spec.agency_name}编制。"
        f"报告中所列数据的统计期限自{spec.year}年1月1日起至{spec.year}年12月31日止。"
        "如对本报告有疑问，请与本机关办公室联系。"
    )


def padding_paragraphs(spec: ReportSpec, count: int) -> list[str]:
    """Extra realistic paragraphs (appended to 一、总体情况) to make a report longer."""
    rng = random.Random(spec.seed * 31 + 7)
    order = rng.sample(_PADDING, len(_PADDING))
    return [order[i % len(order)] for i in range(count)]
