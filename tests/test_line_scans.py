"""The whole-text scans that let the paste readers skip most of a long log give the same lines as reading every
line: clean_numbered against its own one-line step, Words against its one-line test, visit_lines against a reader
that reads every line. On the shared pastes and dumps, re-wrapped and prefixed, and on generated text."""

from __future__ import annotations

import ast
import inspect
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


_WORDS = (forms._VISIT, forms._CONTEXT_WORDS, grammar._REPORT_LINES, platform._READ_LINES)


def test_words_find_every_line_their_one_line_test_holds(shared_fixtures: Path) -> None:
    for text in _texts(shared_fixtures):
        cleaned, _ = lines.clean_numbered(text)
        long = cleaned * (1 + 2000 // max(1, len(cleaned)))  # past one block, so that dense blocks are given whole
        for words in _WORDS:
            found = {i for a, b in words.runs(long) for i in range(a, b)}
            wanted = {i for i, line in enumerate(long) if words.holds(line)}
            assert wanted <= found
            holds = words.holder(long)  # asked line by line: the lines runs gives
            assert {i for i in range(len(long)) if holds(i)} == found
            for a in range(0, len(long), lines._BLOCK):  # each block is given whole or line by line
                block = set(range(a, min(len(long), a + lines._BLOCK)))
                assert found & block in (block, wanted & block)


def test_words_without_folding_find_the_words_as_written() -> None:
    words = lines.Words(("GPU", "Mac"), fold=False)
    assert not words.holds("step 3 gpu memory 9271 MiB on cuda:0 (a machine)")
    assert words.holds("GPU 0: NVIDIA H100") and words.holds("my Mac mini")
    text = ["gpu memory"] * 300 + ["GPU 0: x"] + ["mac"] * 300
    assert [a for a, _ in words.runs(text)] == [300]


def _covered(test: ast.expr, words: set[str]) -> bool:
    """Whether the condition ``test`` can hold only on a line holding one of ``words``: a literal it looks for (``"x"
    in s``, ``s.startswith("x")``, ``s.find("x")``) holds one of them; an ``and`` needs one covered part, an ``or``
    every part covered."""
    if isinstance(test, ast.BoolOp):
        parts = [_covered(v, words) for v in test.values]
        return any(parts) if isinstance(test.op, ast.And) else all(parts)
    if isinstance(test, ast.NamedExpr):
        return _covered(test.value, words)
    literals: list[object] = []
    if isinstance(test, ast.Compare) and isinstance(test.ops[0], ast.In) and isinstance(test.left, ast.Constant):
        literals = [test.left.value]
    elif isinstance(test, ast.Compare):
        return _covered(test.left, words)  # "(at := s.find("Torch ")) >= 0"
    elif (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.args
        and test.func.attr in ("startswith", "find")
        and isinstance(test.func.value, ast.Name)
    ):
        arg = test.args[0]
        if isinstance(arg, ast.Constant):
            literals = [arg.value]
        elif isinstance(arg, ast.Tuple):
            literals = [e.value for e in arg.elts if isinstance(e, ast.Constant)]
            if len(literals) != len(arg.elts):
                return False
        elif isinstance(arg, ast.Name) and isinstance(value := getattr(forms, arg.id, None), tuple):
            literals = list(value)  # a module constant such as _BARE_STARTS
    return bool(literals) and all(isinstance(x, str) and any(w in x for w in words) for x in literals)


def test_every_test_of_read_context_needs_a_context_word() -> None:
    # read_forms calls _read_context only on the lines _CONTEXT_WORDS finds: a test added without its word would
    # never run on a line that holds no other one.
    words = {w for rx in forms._CONTEXT_WORDS._anywhere for w in _alternatives(rx.pattern)}
    body = ast.parse(inspect.getsource(forms._read_context).lstrip()).body[0]
    assert isinstance(body, ast.FunctionDef)
    tests = 0
    for stmt in body.body:
        assert isinstance(stmt, ast.If), ast.unparse(stmt)
        assert _covered(stmt.test, words), ast.unparse(stmt.test)
        tests += 1
    assert tests > 40
    assert not _covered(ast.parse('"torch" in s or "GPU" in s', mode="eval").body, {"GPU"})  # (the test can fail)


def _alternatives(pattern: str) -> list[str]:
    """The words of one of Words' patterns ("r(?:iver|un)" -> "river", "run")."""
    import re

    if "(?:" not in pattern:
        return [re.sub(r"\\(.)", r"\1", pattern)]
    first, rest = pattern.split("(?:", 1)
    return [re.sub(r"\\(.)", r"\1", first + alt) for alt in rest[:-1].split("|")]


def test_read_forms_reads_the_same_without_the_context_gate(
    shared_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    texts = _texts(shared_fixtures)
    gated = [repr(vars(forms.read_forms(*lines.clean_numbered(t)))) for t in texts]
    monkeypatch.setattr(forms._CONTEXT_WORDS, "holder", lambda ls: lambda i: True)
    assert [repr(vars(forms.read_forms(*lines.clean_numbered(t)))) for t in texts] == gated


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


# ---------------------------------------------------------------- the memo of lines read before


def _context_readers() -> list[ast.FunctionDef]:
    """_read_context and every function of forms it hands the Told to, and theirs (Told's own methods aside)."""
    out: list[ast.FunctionDef] = []
    todo, seen = ["_read_context"], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        fn = ast.parse(inspect.getsource(getattr(forms, name)).lstrip()).body[0]
        assert isinstance(fn, ast.FunctionDef)
        out.append(fn)
        for node in ast.walk(fn):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and any(isinstance(a, ast.Name) and a.id == "told" for a in node.args)
            ):
                todo.append(node.func.id)
    return out


class _Anything(dict):  # type: ignore[type-arg]
    """The names of a condition other than the Told: each one a MagicMock (a line, a match: anything at all)."""

    def __missing__(self, key: str) -> object:
        from unittest import mock

        return mock.MagicMock()


def _conjuncts(test: ast.expr) -> list[ast.expr]:
    if isinstance(test, ast.BoolOp) and isinstance(test.op, ast.And):
        return [c for v in test.values for c in _conjuncts(v)]
    return [test]


def test_every_test_of_the_told_in_read_context_passes_on_an_empty_told() -> None:
    # read_forms reads a line it has read before only where reading it changes an empty Told: sound only while every
    # test that _read_context (and what it calls) makes of the Told's state holds on an empty one ("is None", "not
    # in told.signs", "not told.macos"). A test such as "told.gpus and ..." would let a line change a Told that
    # holds GPUs and not an empty one: it would be skipped where it matters.
    readers = _context_readers()
    assert {f.name for f in readers} >= {"_read_context", "_read_paths", "_read_banner", "_set_available"}
    checked = 0
    for fn in readers:
        for node in ast.walk(fn):
            tests = [node.test] if isinstance(node, (ast.If, ast.IfExp, ast.While)) else []
            tests += [c for comp in getattr(node, "generators", ()) for c in comp.ifs]
            for test in tests:
                for part in _conjuncts(test):
                    if not any(isinstance(n, ast.Name) and n.id == "told" for n in ast.walk(part)):
                        continue
                    scope = _Anything(told=forms.Told())
                    value = eval(compile(ast.Expression(part), fn.name, "eval"), {}, scope)  # noqa: S307
                    assert value, f"{fn.name}: {ast.unparse(part)} is false on an empty Told"
                    checked += 1
    assert checked > 15
    # (the check can fail: a test of a Told that holds a GPU)
    bad = ast.parse("told.gpus and 'GPU' in s", mode="eval").body
    scope = _Anything(told=forms.Told())
    assert not all(eval(compile(ast.Expression(p), "x", "eval"), {}, scope) for p in _conjuncts(bad))  # noqa: S307
    # Told's own methods change an empty Told whenever they are called
    told = forms.Told()
    told.sign("x", 1, "a")
    assert told != forms._EMPTY
    told = forms.Told()
    told.add_gpu(0, None, 1, "a")
    assert told != forms._EMPTY


def test_read_forms_reads_the_same_without_its_memo(shared_fixtures: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Each paste's lines again after another paste's, then interleaved with a third's: lines read before, in other
    # surroundings (drop_repeats leaves them: no block of them repeats).
    texts = [t.split("\n") for t in _texts(shared_fixtures)[::3]]
    pastes = []
    for i, a in enumerate(texts):
        b, c = texts[(i + 1) % len(texts)], texts[(i + 7) % len(texts)]
        pastes.append(a + b + a + [x for pair in zip(a, c, strict=False) for x in pair])
    memo = [repr(vars(forms.read_forms(p, list(range(1, len(p) + 1))))) for p in pastes]
    monkeypatch.setattr(forms, "_MEMO_MAX", 0)  # (nothing is remembered)
    assert [repr(vars(forms.read_forms(p, list(range(1, len(p) + 1))))) for p in pastes] == memo


def test_a_line_read_before_that_changes_nothing_is_read_once_more(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    read_context = forms._read_context

    def counted(told: forms.Told, s: str, raw: str, number: int) -> None:
        calls.append(s)
        read_context(told, s, raw, number)

    monkeypatch.setattr(forms, "_read_context", counted)
    idle, busy = "the GPU is busy with another job today", "nvcc: Cuda compilation tools, release 12.1, V12.1.66"
    paste = [idle, busy, "step 1", "loss 0.5"] * 6
    told = forms.read_forms(paste, list(range(1, len(paste) + 1)))
    assert calls.count(idle) == 2  # read, then once on an empty Told: it changes nothing there
    assert calls.count(busy) == 7  # it changes an empty Told: read on this one every time (and once on an empty one)
    assert told.nvcc == "12.1" and [e.line for e in told.signs["nvcc"]] == [2, 6, 10, 14, 18, 22]
    monkeypatch.setattr(forms, "_MEMO_MAX", 0)
    calls.clear()
    assert vars(forms.read_forms(paste, list(range(1, len(paste) + 1)))) == vars(told)
    assert calls.count(idle) == 6


def test_clean_numbered_remembers_a_line_as_its_one_line_step_reads_it(shared_fixtures: Path) -> None:
    # every paste's lines again after another's: each line that needs cleaning is cleaned once, and the answer is
    # still the one-line step's on every line
    texts = _texts(shared_fixtures)
    for a, b in zip(texts, texts[1:] + texts[:1], strict=True):
        text = f"{a}\n{b}\n{a}"
        assert lines.clean_numbered(text) == _one_by_one(text)
    calls: list[str] = []
    step = lines._clean_physical

    def counted(physical: str, broken: bool) -> list[str] | None:
        calls.append(physical)
        return step(physical, broken)

    import unittest.mock

    text = "> quoted line\nplain\n" * 5
    with unittest.mock.patch.object(lines, "_clean_physical", counted):
        cleaned = lines.clean_numbered(text)
    assert cleaned == _one_by_one(text) and cleaned[0][:2] == ["quoted line", "plain"]
    assert calls.count("> quoted line") == 1
