"""The line grammar of a pasted report: wrapping peeled off, ``Key: value`` lines, the key table.

Every regular expression here runs on one bounded line, so a huge paste costs linear time.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence

# Only this much of one line is looked at by the regular expressions (a pasted log can hold
# a megabyte-long line; no field or torch message line is anywhere near this long).
_MAX_LINE = 4096
# ... and this much of one joined message by the readers.
_MAX_MESSAGE = 16384
# A key is short; looking for its colon only near the start of a line keeps the scan linear.
_MAX_KEY = 64

# --------------------------------------------------------------------------- the key table

# Normalized key (lower case, single spaces) -> field. The names come from collect_env's
# ``env_info_fmt`` over the years and from vLLM's copy of it; "None" marks a known key whose
# value envtool does not use (it still proves that the text is a report and ends a block).
_KEYS: dict[str, str | None] = {
    "pytorch version": "torch_version",
    "is debug build": "debug",
    "cuda used to build pytorch": "cuda_build",
    "rocm used to build pytorch": "hip_build",
    "xpu used to build pytorch": None,
    "os": "os",
    "gcc version": None,
    "clang version": None,
    "cmake version": None,
    "libc version": "libc",
    "python version": "python_version",
    "python platform": "platform",
    "is cuda available": "cuda_available",
    "cuda runtime version": "nvcc",
    "cuda_module_loading set to": None,
    "gpu models and configuration": "gpus",
    "nvidia driver version": "driver",
    "cudnn version": "cudnn",
    "is xpu available": None,
    "hip runtime version": None,
    "miopen runtime version": None,
    "is xnnpack available": None,
    "caching allocator config": None,
    "cpu": "cpu",
    "versions of relevant libraries": None,
    # vLLM's additions
    "rocm version": None,
    "neuron sdk version": None,
    "vllm version": None,
    "vllm build flags": None,
    "gpu topology": None,
    # Intel GPU block printed when torch.xpu is available
    "intel gpu driver version": None,
    "intel gpu models onboard": None,
    "intel gpu models detected": None,
    "xpu": None,
    "xpu runtime version": None,
    "intel gpu models": None,  # vLLM's XPU section lists Intel GPUs as "GPU 0: ..." after this key
}

# Keys that only a collect_env report prints: one of them (or the header) makes the text a
# report. "OS" or "Python version" alone would also match many unrelated templates.
_REPORT_KEYS = frozenset(
    k for k in _KEYS if k not in {"os", "gcc version", "clang version", "cmake version", "python version", "cpu"}
)

_HEADER = re.compile(r"Collecting[\s`]*environment[\s`]*information\.*")
_NOT_COLLECTED = frozenset({"", "n/a", "none", "no cuda", "could not collect", "no relevant packages", "unknown"})

# --------------------------------------------------------------------------- line cleaning


def _clean_lines(text: str) -> list[str]:
    """The text's lines without the wrapping people add around a pasted report (see :func:`clean_numbered`)."""
    return clean_numbered(text)[0]


_UNSEEN: list[str] = []  # (no line becomes this list: _clean_physical returns a new one)
_DONE_MAX = 1 << 17  # the lines clean_numbered remembers at most


def clean_numbered(text: str) -> tuple[list[str], list[int]]:
    """The text's lines without the wrapping people add, and the 1-based line number each came from.

    Drops ``> `` quote markers, log prefixes (timestamps, journald, docker-compose, ``[rank0]:``,
    CI task tags) and leading HTML tags, blanks code-fence lines (keeping text glued to a fence),
    and splits a header merged with the first field ("Collecting environment information...
    PyTorch version: ..."). Indentation inside a line is kept (wrapped warnings use it). A
    carriage return (a progress bar redrawn in place) splits a line but not its number.
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    out: list[str] = []
    origin: list[int] = []
    broken = _broken_lines(text)
    physicals = text.split("\n")
    # The common log line, "2024-05-01 12:00:00 INFO ...": its timestamp is stripped from every line at once, and a
    # line that needs nothing more (most of a log) is then copied as it is left, without a test of its own.
    joined = "\n" + text  # each line after its break: the patterns below start with it
    if _ISO_LEAD.search(joined):
        joined = _ISO_LEAD.sub("\n", joined)
        rests = joined[1:].split("\n")
    else:
        rests = physicals
    kept = 0  # the lines before this one that need nothing are copied in one step, when one does
    done: dict[str, list[str] | None] = {}  # what each line read so far became (a log repeats its lines)
    for number in _may_need(joined, broken):
        physical = physicals[number - 1]
        if number in broken:
            cleaned = _clean_physical(physical, True)
        elif (cleaned := done.get(physical, _UNSEEN)) is _UNSEEN:
            cleaned = _clean_physical(physical, False)
            if len(done) < _DONE_MAX:
                done[physical] = cleaned
        if cleaned is None:
            continue  # the line as it is (a line _may_need could not rule out)
        out.extend(rests[kept : number - 1])
        origin.extend(range(kept + 1, number))
        kept = number
        out.extend(cleaned)
        origin.extend([number] * len(cleaned))
    out.extend(rests[kept:])
    origin.extend(range(kept + 1, len(physicals) + 1))
    return out, origin


# A block of at least this many lines that the paste already held word for word is read once (see drop_repeats);
# a single line is no block (a paste double-spaced line by line repeats its table borders).
_REPEAT_MIN_LINES = 2
# ... and a block's head or tail of at least this many lines, in a block that differs (see drop_repeats).
_RUN_MIN_LINES = 4


def drop_repeats(lines: list[str], origin: list[int]) -> tuple[list[str], list[int]]:
    """The cleaned ``lines`` (and their ``origin``) without what the paste already held word for word.

    A block is a run of non-blank lines of at least ``_REPEAT_MIN_LINES``; the second and later copies of one
    (a log printing the same traceback or table at every step, a report pasted twice) tell nothing the first
    did not, so only the first is read and quoted. A block that differs from every earlier one may still end as
    an earlier block ends, or begin as one begins, for ``_RUN_MIN_LINES`` lines or more (a log whose every step
    prints a line of its own and then the same traceback, or the same frames and then an error line of its own):
    that tail or head goes, and the lines that differ are read, a block of their own. Text that does not repeat is
    returned as it is.
    """
    if len(origin) != len(lines):
        return lines, origin  # (not numbered line by line: nothing to keep in step)
    seen: set[str] = set()
    heads: dict[tuple[str, ...], int] = {}
    tails: dict[tuple[str, ...], int] = {}
    drop: list[tuple[int, int]] = []
    start = -1
    for i, line in enumerate(itertools.chain(lines, ("",))):
        if line and not line.isspace():
            if start < 0:
                start = i
            continue
        if start < 0:
            continue
        if i - start >= _REPEAT_MIN_LINES:
            key = "\n".join(lines[start:i])
            if key in seen:
                drop.append((start, i + 1))  # with the blank line after it (the one before it stays)
            else:
                seen.add(key)
                if i - start >= _RUN_MIN_LINES:
                    _drop_repeated_ends(lines, start, i, heads, tails, drop)
        start = -1
    if not drop:
        return lines, origin
    return _without(lines, origin, drop)


def _drop_repeated_ends(
    lines: list[str],
    start: int,
    end: int,
    heads: dict[tuple[str, ...], int],
    tails: dict[tuple[str, ...], int],
    drop: list[tuple[int, int]],
) -> None:
    """Add to ``drop`` the head or tail of the block ``lines[start:end]`` that an earlier block began or ended with
    (``heads`` and ``tails``: the first block to begin or end with each run of ``_RUN_MIN_LINES`` lines, kept whole)."""
    width = _RUN_MIN_LINES
    head = heads.setdefault(tuple(lines[start : start + width]), start)
    if head != start:
        k = width
        while start + k < end and lines[start + k] == lines[head + k]:
            k += 1
        drop.append((start, start + k))
        if start + k == end:
            return  # (all of it went: its tail stands nowhere in what is kept)
    tail = tails.setdefault(tuple(lines[end - width : end]), end)
    if tail != end and head == start:
        k = width
        while end - k > start and tail - k > 0 and lines[end - k - 1] == lines[tail - k - 1]:
            k += 1
        drop.append((end - k, end))


def _without(lines: list[str], origin: list[int], drop: list[tuple[int, int]]) -> tuple[list[str], list[int]]:
    """``lines`` and ``origin`` without the ranges of ``drop`` (in order, apart)."""
    out: list[str] = []
    numbers: list[int] = []
    kept = 0
    for a, b in drop:
        out.extend(lines[kept:a])
        numbers.extend(origin[kept:a])
        kept = b
    out.extend(lines[kept:])
    numbers.extend(origin[kept:])
    return out, numbers


def _clean_physical(physical: str, broken: bool) -> list[str] | None:
    """What one line of the text becomes (``broken``: it holds another line break), or None for the line itself."""
    if not broken:
        s = physical.lstrip()
        head = s[:1]
        if not head or (head not in _WRAP_FIRST and not head.isdigit() and not _maybe_wrapped(s, head)):
            return None  # the common line (or a blank one): nothing to peel off
        if head == "[" and _plain_bracket(s, physical):
            return None  # "[pip3] ...", "[conda] ...": no log prefix, fence or full-width colon
        if head.isdigit() and (iso := _ISO.match(s)) and _is_plain(rest := s[iso.end() :]):
            return [rest]  # a timestamp and nothing else to peel off (what _clean_one returns, without its tests)
    out: list[str] = []
    for part in physical.splitlines() if broken else (physical,):
        if _is_plain(part):
            out.append(part)
        else:
            out.extend(_clean_one(part))
    return out


# A timestamp that opens a line (after its blanks), with the blanks after it: what the loop below would strip from a
# log line that needs nothing else. Only after a line break (the pattern's first character: the scan jumps there).
_ISO_LEAD = re.compile(
    r"\n[^\S\n]*(?=\d)\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?\]?[^\S\n]+"
)
# What a line may open with (after its blanks) when _is_plain may not hold for it: a character of _WRAP_FIRST, a
# digit (any non-ASCII character may be one, or an upper-case letter), journald's "Oct 04 " and the header ...
_MAY_OPEN = re.compile(r"\n[^\S\n]*(?:[<>`~\[0-9]|[^\x00-\x7f]|[A-Z][^\n]{2} |Collecting)")
# ... or what it may hold anywhere (each found by its own fast search).
_MAY_HOLD = ("```", "**", "| ", "\uff1a", "\uff0c", "\uff1b")


def _may_need(joined: str, broken: set[int]) -> list[int]:
    """The numbers, in order, of the lines that clean_numbered must look at: those that _is_plain may reject, and
    the ``broken`` ones (``joined``: a line break, then the lines, each without its opening timestamp, joined). A
    superset, found in a few scans; a line's number is the count of breaks before it (counted in C)."""
    found = set(broken)
    number, last = 0, 0
    for m in _MAY_OPEN.finditer(joined):
        number += joined.count("\n", last, m.start() + 1)  # the break opens the line
        last = m.start() + 1
        found.add(number)
    for word in _MAY_HOLD:
        number, last = 0, 0
        at = joined.find(word)
        while at >= 0:
            number += joined.count("\n", last, at)
            found.add(number)
            last = joined.find("\n", at)  # on to the next line
            at = joined.find(word, last) if last >= 0 else -1
    return sorted(found)


def _broken_lines(text: str) -> set[int]:
    """The numbers of the "\\n"-separated lines that hold another line break (one scan of the whole text)."""
    numbers: set[int] = set()
    number, last = 1, 0
    for m in _OTHER_BREAKS.finditer(text):
        number += text.count("\n", last, m.start())
        last = m.start()
        numbers.add(number)
    return numbers


# A line needs _clean_one only if it may start with one of these, or holds what _maybe_wrapped looks for.
_WRAP_FIRST = frozenset("<>`~[")


def _maybe_wrapped(s: str, head: str) -> bool:
    """Whether the line ``s`` (left-stripped, ``head`` its first character) may hold what _clean_one peels off."""
    return (
        (head.isupper() and s[3:4] == " " and s[1:3].islower())  # journald "Oct 04 ..." (not "GPU 0: ...")
        or (head.isalnum() and "| " in s[:90])  # docker-compose "service_1  | " (a table row starts with "|")
        or ("```" in s and s.rstrip().endswith("```"))
        or "\uff1a" in s
        or "\uff0c" in s
        or "\uff1b" in s
        or "**" in s
        or s.startswith("Collecting")
    )


def _is_plain(line: str) -> bool:
    """Whether _clean_one would return the ``line`` unchanged, by the tests clean_numbered makes inline."""
    s = line.lstrip()
    head = s[:1]
    if not head or (head not in _WRAP_FIRST and not head.isdigit() and not _maybe_wrapped(s, head)):
        return True
    return head == "[" and _plain_bracket(s, line)


def _plain_bracket(s: str, line: str) -> bool:
    """Whether _clean_one returns the ``line`` (``s`` left-stripped, opening with "[") unchanged.

    Only "[t", "[r", "[<digit>" and "[<blank>" open a log prefix; a fence or a full-width colon is changed too.
    """
    second = s[1:2]
    return (
        second not in ("t", "r")
        and not second.isdigit()
        and not second.isspace()
        and "```" not in line
        and "\uff1a" not in line
        and "\uff0c" not in line
        and "\uff1b" not in line
        and "**" not in line
    )


# What str.splitlines() also breaks at besides "\n" (a lone "\r" above all: progress bars).
_OTHER_BREAKS = re.compile("[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def _clean_one(line: str) -> list[str]:
    line = _strip_log_prefix(_unquote(line))
    s = line.strip()
    if s.startswith("```") or s.startswith("~~~"):
        # "```python" opens a block; "```NVIDIA GeForce RTX 5090 with ..." is text glued to it.
        rest = s.lstrip("`~")
        return [rest] if " " in rest.strip() else [""]
    if s.startswith("<"):
        line = _drop_html_tags(line)
        s = line.strip()
    if "nvironment" in s and s.startswith("Collecting"):
        m = _HEADER.match(s)
        if m:
            rest = s[m.end() :].strip()
            return [s[: m.end()], rest] if rest else [s[: m.end()]]
    # A closing fence glued to the last line ("[conda] Could not collect```").
    if s.endswith("```"):
        line = line.rstrip().rstrip("`")
    if "**" in line and (s.startswith("**") or s.endswith("**")):
        line = line.replace("**", "")  # markdown bold around a line or glued to its end ("**Is CUDA available: Yes")
    if "\uff1a" in line:  # a full-width colon, as typed in Chinese and Japanese text
        line = line.replace("\uff1a", ": ")
    if ("\uff0c" in line or "\uff1b" in line) and line.count(":") > 1:
        # "显卡：RTX 4090，驱动版本：535.104.05": fields typed on one line, split at the full-width comma
        # or semicolon into a line each (the same line number).
        lead, *more = _FULLWIDTH_SEP.split(line)
        return [lead] + [part.strip() for part in more if part.strip()]
    return [line]


_FULLWIDTH_SEP = re.compile("[\uff0c\uff1b]")


# Log prefixes, each anchored at the start and bounded, so stripping stays linear.
_TASK = re.compile(r"\[task [^\]]{0,80}\]\s*(?:\[[\w().:-]{1,40}\]\s*){0,4}")  # CI task logs, with their tags
_RANK = re.compile(r"\[rank\d{1,5}\]:\s?")  # torch.distributed's per-rank prefix
_DMESG = re.compile(r"\[\s{0,8}\d{1,10}\.\d{1,9}\]\s?")
_ISO = re.compile(r"\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?\]?\s+")
_JOURNALD = re.compile(r"[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S{1,80} [\w.@/-]{1,80}(?:\[\d{1,10}\])?:\s")
_COMPOSE = re.compile(r"[a-z0-9][\w.-]{0,80}[_-]\d{1,4}\s+\|\s?")  # docker-compose "service_1  | "


def _strip_log_prefix(line: str) -> str:
    head = line.lstrip()
    for _ in range(3):
        if not head:
            break
        first = head[0]
        if first == "[":
            # Each bracketed prefix has its own second character ("[pip3]" lines, the most common, have none).
            second = head[1:2]
            if second == "t":
                rxs: tuple[re.Pattern[str], ...] = (_TASK,)
            elif second == "r":
                rxs = (_RANK,)
            elif second.isdigit() or second.isspace():
                rxs = (_DMESG, _ISO)
            else:
                break
        elif first.isdigit():
            rxs = (_ISO, _COMPOSE)
        elif first.isupper() and head[3:4] == " ":
            rxs = (_JOURNALD,)
        elif first.isalnum() and "| " in head[:90]:
            rxs = (_COMPOSE,)
        else:
            break
        for rx in rxs:
            m = rx.match(head)
            if m and m.end() > 0:
                head = head[m.end() :]
                break
        else:
            break
    return head if len(head) != len(line.lstrip()) else line


def _unquote(line: str) -> str:
    # "> > text" (nested quotes) -> "text", keeping the text's own indentation. The pattern
    # cannot backtrack more than once per run of blanks, so it stays linear on odd input.
    if ">" not in line[:1] and ">" not in line[: len(line) - len(line.lstrip()) + 1]:
        return line
    m = _QUOTE.match(line)
    return line[m.end() :] if m else line


_QUOTE = re.compile(r"[ \t]*>(?:[ \t]*>)*[ ]?")


def _drop_html_tags(line: str) -> str:
    s = line.strip()
    for _ in range(8):
        if not s.startswith("<"):
            break
        close = s.find(">", 0, 300)
        if close < 0:
            break
        tag = s[: close + 1].lower()
        s = s[close + 1 :].lstrip()
        if tag.startswith("<summary"):
            # The summary's caption is a line of the report too: often a title ("collect_env"), sometimes the error
            # itself (dmlc/xgboost#11119: "<summary>cudaErrorDevicesUnavailable: CUDA-capable device(s) is/are busy
            # or unavailable</summary>")
            end = s.lower().find("</summary>")
            if end >= 0:
                s = f"{s[:end].rstrip()} {s[end + len('</summary>') :].lstrip()}".strip()
    return s


def _key_of(s: str) -> str | None:
    """The normalized key of a ``Key: value`` / ``Key   : value`` line, or None."""
    colon = s.find(":", 0, _MAX_KEY)
    if colon <= 0:
        return None
    key = " ".join(s[:colon].split()).lower()
    if key.startswith(("- ", "* ", "#- ")):
        key = key[3:] if key[0] == "#" else key[2:]  # ("#- ": a template's bullet commented out, Lightning's)
    # The bug template's "PyTorch Version (e.g., 1.0)" names the same field.
    paren = key.find(" (e.g.")
    if paren > 0:
        key = key[:paren]
    return key


def _value_of(s: str) -> str:
    return s[s.find(":") + 1 :].strip().strip("`").strip()


def _one_of(words: Sequence[str]) -> str:
    """A pattern for any of ``words``, grouped by first character: the regex engine then tries one
    group per position instead of every word (about twice as fast on a long paste)."""
    by_first: dict[str, list[str]] = {}
    if not words:
        return "(?!)"  # nothing: a pattern that never matches
    for w in sorted(set(words), key=lambda w: (-len(w), w)):
        by_first.setdefault(w[0], []).append(re.escape(w[1:]))
    return "|".join(
        re.escape(c) + ("(?:" + "|".join(rest) + ")" if rest != [""] else "") for c, rest in sorted(by_first.items())
    )


class Words:
    """Words (lower case, or as written with ``fold=False``) to find in lines, and words a line may open with after its
    blanks: one pattern per first character, each scanned over the whole text. The regex engine jumps to a pattern's
    one first character in C, where one pattern for every word would try each word's first character at every
    position (twice as slow)."""

    def __init__(self, anywhere: Iterable[str], opening: Iterable[str] = (), *, fold: bool = True) -> None:
        # fold=False: the words as written, found in the lines as written (no lowering: "GPU" is not "gpu")
        self._fold = fold
        by_first: dict[str, list[str]] = {}
        for w in sorted(set(anywhere), key=lambda w: (-len(w), w)):
            by_first.setdefault(w[0], []).append(re.escape(w[1:]))
        self._anywhere = tuple(
            re.compile(re.escape(c) + ("(?:" + "|".join(rest) + ")" if rest != [""] else ""))
            for c, rest in sorted(by_first.items())
        )
        opening = sorted(set(opening), key=lambda w: (-len(w), w))
        # After a line break, the line's blanks (not another break), then a word: the break is the pattern's first
        # character, so the scan jumps from line to line.
        lead = r"[^\S\n]*(?:" + "|".join(map(re.escape, opening)) + ")" if opening else None
        self._open_first = re.compile(lead) if lead else None
        self._open = re.compile("\n" + lead) if lead else None

    def holds(self, line: str) -> bool:
        """Whether the one ``line`` holds a word (both lowered unless ``fold=False``), or opens with an opening word."""
        low = line.lower() if self._fold else line
        return any(rx.search(low) for rx in self._anywhere) or bool(self._open_first and self._open_first.match(low))

    def runs(self, lines: Sequence[str]) -> Iterator[tuple[int, int]]:
        """Runs ``(start, stop)``, in order, of the indexes of the ``lines`` that may hold a word or open with an
        opening word: a block of lines where most lines do (a dump, not a log) and the blocks after it are given
        whole, for the reader's own test on each line (a scan per first character costs more there than the
        reader's test)."""
        n, whole = len(lines), 0
        for a in range(0, n, _BLOCK):
            b = min(n, a + _BLOCK)
            if whole:
                whole -= 1
                yield a, b
                continue
            found = self._scan(lines, a, b)
            if _dense(found, a, b):
                whole = _WHOLE_AFTER  # a dense block: the next ones are read line by line, then one is scanned again
            for i in found:
                yield i, i + 1

    def holder(self, lines: Sequence[str]) -> Callable[[int], bool]:
        """A test of whether ``lines[i]`` may hold a word, asked for rising ``i``: each block of lines is scanned when
        a line of it is first asked about (a log's blocks no reader visits are never scanned), and the fifteen blocks
        after a dense one answer yes for every line, as ``runs`` gives them."""
        n = len(lines)
        block, found, whole, whole_until = -1, frozenset[int](), False, -1

        def holds(i: int) -> bool:
            nonlocal block, found, whole, whole_until
            if i // _BLOCK != block:
                block = i // _BLOCK
                whole = block <= whole_until
                if not whole:
                    a = block * _BLOCK
                    hits = self._scan(lines, a, min(n, a + _BLOCK))
                    if _dense(hits, a, min(n, a + _BLOCK)):
                        whole_until = block + _WHOLE_AFTER
                    found = frozenset(hits)
            return whole or i in found

        return holds

    def _scan(self, lines: Sequence[str], a: int, b: int) -> list[int]:
        low = "\n".join(lines[a:b])
        if self._fold:
            low = low.lower()
        if low.count("\n") != b - a - 1:  # a line with a break in it: the count below would not be the lines'
            return [i for i in range(a, b) if self.holds(lines[i])]
        found: set[int] = set()
        for rx in self._anywhere:
            index, last = a, 0
            while (m := rx.search(low, last)) is not None:
                index += low.count("\n", last, m.start())  # a line's index: the breaks before it (counted in C)
                found.add(index)
                last = low.find("\n", m.start())  # on to the next line
                if last < 0:
                    break
        if self._open is not None and self._open_first is not None:
            if self._open_first.match(low):
                found.add(a)
            index, last = a, 0
            for m in self._open.finditer(low):
                index += low.count("\n", last, m.start() + 1)  # the break opens the line
                last = m.start() + 1
                found.add(index)
        return sorted(found)


# Lines per block of Words.lines.
_BLOCK = 256
# Blocks given whole after a dense one (a dump, not a log), before one is scanned again.
_WHOLE_AFTER = 15


def _dense(found: Sequence[int], a: int, b: int) -> bool:
    """Whether more than one line in eight of the block ``a:b`` holds a word."""
    return len(found) * 8 > b - a


def visit_lines(lines: Sequence[str], words: Words, pending: Callable[[], bool]) -> Iterator[int]:
    """The indexes of the lines a line-by-line reader must read: the lines that hold ``words``, and the line after
    any line that left the reader ``pending()`` (a value due on the next line, an open table)."""
    n, end = len(lines), 0
    for start, stop in words.runs(lines):
        while end < start and pending():  # the line after a line that left the reader pending
            yield end
            end += 1
        if stop > end:
            yield from range(max(start, end), stop)
            end = stop
    while end < n and pending():
        yield end
        end += 1
