"""Mutation fuzzing of the parser entry: generated PDF, DOCX and HTML reports, damaged at random.

Run as a module (`python -m tests.parsers.fuzz --cases 360 --seed 0`) it parses every mutated case in
this process and prints one JSON line: the outcome counts, every exception that was not a ParseError
(or was a ParserFault), the slowest case and the peak resident memory. The test runs it in a child
process so that a hang or a memory blow-up is bounded by a timeout and an address-space limit.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

Mutator = Callable[[bytes, random.Random], bytes]


def flip(data: bytes, rng: random.Random) -> bytes:
    """Overwrite 1–50 random bytes."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 50)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    """Cut the file at a random point."""
    return data[: rng.randrange(1, len(data))]


def splice(data: bytes, rng: random.Random) -> bytes:
    """Delete a random range, or copy one over another place."""
    a, b = sorted(rng.randrange(len(data)) for _ in range(2))
    if rng.random() < 0.5:
        return data[:a] + data[b:]
    at = rng.randrange(len(data))
    return data[:at] + data[a:b] + data[at:]


def zero(data: bytes, rng: random.Random) -> bytes:
    """Zero a random range of up to 512 bytes."""
    at = rng.randrange(len(data))
    n = rng.randint(1, 512)
    return data[:at] + bytes(min(n, len(data) - at)) + data[at + n :]


def _rezip(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def docx_member(data: bytes, rng: random.Random) -> bytes:
    """Damage one XML member of the DOCX (flip, cut or undeclare its namespace) and zip it again."""
    member = rng.choice(
        ["word/document.xml", "[Content_Types].xml", "word/_rels/document.xml.rels", "word/styles.xml"]
    )
    how = rng.choice([flip, truncate, lambda d, r: d.replace(b"w:", b"x:", r.randint(1, 40))])
    return _rezip(data, lambda name, body: how(body, rng) if name == member else body)


def docx_spans(data: bytes, rng: random.Random) -> bytes:
    """Give some table cells a huge or nonsensical gridSpan / gridBefore."""
    value = rng.choice([b"1000000000", b"-5", b"x", b"65", b"99999"])
    tag = rng.choice([b"<w:tcPr>", b"<w:trPr>"])
    inner = (
        b'<w:gridSpan w:val="' + value + b'"/>'
        if tag == b"<w:tcPr>"
        else b'<w:gridBefore w:val="' + value + b'"/>'
    )

    def change(name: str, body: bytes) -> bytes:
        if name != "word/document.xml":
            return body
        return body.replace(tag, tag + inner, rng.randint(1, 5))

    return _rezip(data, change)


def html_tags(data: bytes, rng: random.Random) -> bytes:
    """Break the markup: drop '>' or '<', nest deep, add huge spans or a bogus charset."""
    choice = rng.randrange(5)
    if choice == 0:
        return data.replace(b">", b"", rng.randint(1, 200))
    if choice == 1:
        return data.replace(b"<", b"", rng.randint(1, 200))
    if choice == 2:
        depth = rng.choice([100, 300, 5000])
        return data.replace(b"<body>", b"<body>" + b"<div>" * depth, 1)
    if choice == 3:
        return data.replace(b"<td", b'<td colspan="' + str(rng.choice([65, 10**9, -3])).encode() + b'"', 3)
    return data.replace(b"charset=utf-8", b"charset=x-no-such-charset", 1) + bytes(
        rng.randrange(256) for _ in range(64)
    )


def pdf_eof(mutate: Mutator) -> Mutator:
    """A PDF mutation that keeps the end marker, so the damage reaches the readers."""

    def mutated(data: bytes, rng: random.Random) -> bytes:
        out = mutate(data, rng)
        return out if b"%%EOF" in out[-2048:] else out + b"\n%%EOF\n"

    return mutated


MUTATORS: dict[str, list[Mutator]] = {
    "pdf": [pdf_eof(flip), pdf_eof(truncate), pdf_eof(splice), pdf_eof(zero)],
    "docx": [flip, truncate, splice, docx_member, docx_member, docx_spans],
    "html": [flip, truncate, splice, html_tags, html_tags],
}


def corpus() -> dict[str, list[bytes]]:
    """The generated reports each kind's mutations start from (three formats)."""
    from flows.demo import reportgen as g

    specs = [g.make_spec(1, "gov2021"), g.make_spec(2, "gov2019"), g.make_spec(3, "stat2014")]
    return {
        "pdf": [g.render_pdf(s) for s in specs],
        "docx": [g.render_docx(s) for s in specs],
        "html": [g.render_html(s) for s in specs],
    }


def peak_rss_kb() -> int:
    """This process's peak resident memory since it started this program (VmHWM: unlike ru_maxrss,
    it does not count the pages of the parent it was forked from)."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run(cases: int, seed: int) -> dict[str, Any]:
    """Parse `cases` mutated documents (kinds in turn), seeded by `seed` and the case number."""
    from parsers import parse
    from parsers.errors import ParseError, ParserFault

    bases = corpus()
    kinds = list(MUTATORS)
    counts: Counter[str] = Counter()
    escaped: list[str] = []
    slowest = (0.0, -1)
    for case in range(cases):
        rng = random.Random(seed * 1_000_003 + case)
        kind = kinds[case % len(kinds)]
        data = rng.choice(MUTATORS[kind])(rng.choice(bases[kind]), rng)
        started = time.perf_counter()
        try:
            parse(data, filename=f"case{case}.{kind}")
            counts["parsed"] += 1
        except ParserFault as exc:
            escaped.append(f"case {case} ({kind}): ParserFault: {exc}")
        except ParseError as exc:
            counts[type(exc).__name__] += 1
            if "\n" in str(exc) or not str(exc):
                escaped.append(f"case {case} ({kind}): reason not one line: {exc!r}")
        except BaseException as exc:  # the point of the test: anything else is a finding
            escaped.append(f"case {case} ({kind}): {type(exc).__module__}.{type(exc).__name__}: {exc}"[:300])
        elapsed = time.perf_counter() - started
        slowest = max(slowest, (elapsed, case))
    peak_kb = peak_rss_kb()
    return {
        "cases": cases,
        "counts": dict(counts),
        "escaped": escaped,
        "slowest_seconds": round(slowest[0], 2),
        "slowest_case": slowest[1],
        "peak_rss_mb": peak_kb // 1024,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=360)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory-mb", type=int, default=0, help="RLIMIT_AS of this process (0: none)")
    args = parser.parse_args(argv)
    if args.memory_mb:
        limit = args.memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    sys.stdout.write(json.dumps(run(args.cases, args.seed)) + "\n")


if __name__ == "__main__":
    main()
