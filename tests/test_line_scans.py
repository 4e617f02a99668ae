"""The whole-text scans that let the paste readers skip most of a long log give the same lines as reading every
line: clean_numbered against its own one-line step, Words against its one-line test, visit_lines against a reader
that reads every line. On the shared pastes and dumps, re-wrapped and prefixed, and on generated text."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from envtool.diagnose import forms, grammar, lines, platform

_PREFIXES = (
    "",
    "2024-05-01 12:00:00 INFO ",
    "  2024-05-01T12:00:00.5Z\t",
    "[2024-05-01 12:00:00,5] ",
    "Oct 04 13:19:39 host svc[394]: ",
    "web_1  | ",
    "> ",
    "[rank0]: ",
    "\u3000",
    "\xa0 ",
)


def _texts(shared_fixtures: Path) -> list[str]:
    texts = [
        p.read_text(encoding="utf-8")
        for folder in ("pastes", "collect_env", "nvidia-smi")
        for p in sorted((shared_fixtures / folder).glob("*.txt"))
    ]
    assert len(texts) > 40
    out = []
    for i, text in enumerate(texts):
        prefix = _PREFIXES[i % len(_PREFIXES)]
        out.append(text)
        out.append("\n".join(prefix + line for line in text.split("\n")))
        out.append("\r\n".join(text.split("\n")))
    return out


def _one_by_one(text: str) -> tuple[list[str], list[int]]:
    """clean_numbered's result built one line at a time, by the step it applies to the lines its scans pick."""
    if text.startswith("\ufeff"):
        text = text[1:]
    out: list[str] = []
    origin: list[int] = []
    for number, physical in enumerate(text.split("\n"), 1):
        cleaned = lines._clean_physical(physical, bool(lines._OTHER_BREAKS.search(physical)))
        parts = [physical] if cleaned is None else cleaned
        out.extend(parts)
        origin.extend([number] * len(parts))
    return out, origin


def test_clean_numbered_is_its_one_line_step_on_every_line(shared_fixtures: Path) -> None:
    for text in _texts(shared_fixtures):
        assert lines.clean_numbered(text) == _one_by_one(text)


_LINE = st.text(
    alphabet=st.sampled_from(list("aZ09 \t:|*`<>[]~-_.\r\x0b\u3000\xa0\uff1a\uff0c\u0663\u00b2")),
    max_size=30,
)
_PREFIX = st.sampled_from(_PREFIXES + ("2024-05-01 12:00:00", "2024-05-01 12:00:00 ", "Collecting "))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(_PREFIX, _LINE), max_size=40))
def test_clean_numbered_is_its_one_line_step_on_generated_lines(rows: list[tuple[str, str]]) -> None:
    text = "\n".join(prefix + rest for prefix, rest in rows)
    assert lines.clean_numbered(text) == _one_by_one(text)


_WORDS = (forms._VISIT, grammar._REPORT_LINES, platform._READ_LINES)


def test_words_find_every_line_their_one_line_test_holds(shared_fixtures: Path) -> None:
    for text in _texts(shared_fixtures):
        cleaned, _ = lines.clean_numbered(text)
        long = cleaned * (1 + 2000 // max(1, len(cleaned)))  # past one block, so that dense blocks are given whole
        for words in _WORDS:
            found = {i for a, b in words.runs(long) for i in range(a, b)}
            wanted = {i for i, line in enumerate(long) if words.holds(line)}
            assert wanted <= found
            for a in range(0, len(long), lines._BLOCK):  # each block is given whole or line by line
                block = set(range(a, min(len(long), a + lines._BLOCK)))
                assert found & block in (block, wanted & block)


def test_words_fall_back_to_each_line_when_one_holds_a_break() -> None:
    words = lines.Words(("cuda",), ("|",))
    assert [a for a, _ in words.runs(["x", "a\nCUDA", "  | row", "nothing"])] == [1, 2]


@pytest.mark.parametrize("gap", [0, 1, 5, 300, 2000])
def test_visit_lines_reads_what_a_reader_of_every_line_reads(gap: int) -> None:
    # "open" leaves the reader pending until a line "close"; a line that holds neither is read only while pending.
    filler = ["step 12 loss 0.5"] * gap
    text = ["cuda open", *filler, "value", "close", *filler, "CUDA", *filler, "open", "x", "y", "close"] * 3

    def read(visit: bool) -> list[int]:
        state = {"open": False}
        seen: list[int] = []
        indexes = lines.visit_lines(text, lines.Words(("cuda", "open", "close")), lambda: state["open"])
        for i in indexes if visit else range(len(text)):
            line = text[i].lower()
            if not (state["open"] or any(w in line for w in ("cuda", "open", "close"))):
                continue  # what the reader's own first test skips
            seen.append(i)
            state["open"] = "open" in line or (state["open"] and "close" not in line)
        return seen

    assert read(visit=True) == read(visit=False)
