"""The line grammar of a pasted report: wrapping peeled off, ``Key: value`` lines, the key table.

Every regular expression here runs on one bounded line, so a huge paste costs linear time.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

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
    kept = 0  # the physical lines before this one that need nothing are copied in one step, when one does
    for number, physical in enumerate(physicals, 1):
        if number not in broken:
            s = physical.lstrip()
            head = s[:1]
            if not head or (head not in _WRAP_FIRST and not head.isdigit() and not _maybe_wrapped(s, head)):
                continue  # the common line (or a blank one): nothing to peel off
            if head == "[" and _plain_bracket(s, physical):
                continue  # "[pip3] ...", "[conda] ...": no log prefix, fence or full-width colon
            if head.isdigit() and (iso := _ISO.match(s)) and _is_plain(rest := s[iso.end() :]):
                # The common log line, "2024-05-01 12:00:00 INFO ...": a timestamp and nothing else to peel
                # off (what _clean_one returns for it, without its other tests).
                out.extend(physicals[kept : number - 1])
                origin.extend(range(kept + 1, number))
                kept = number
                out.append(rest)
                origin.append(number)
                continue
        out.extend(physicals[kept : number - 1])
        origin.extend(range(kept + 1, number))
        kept = number
        for part in physical.splitlines() if number in broken else (physical,):
            if _is_plain(part):
                out.append(part)
                origin.append(number)
            else:
                for line in _clean_one(part):
                    out.append(line)
                    origin.append(number)
    out.extend(physicals[kept:])
    origin.extend(range(kept + 1, len(physicals) + 1))
    return out, origin


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
            # The summary's own text is a caption, not report content.
            end = s.lower().find("</summary>")
            s = s[end + len("</summary>") :].lstrip() if end >= 0 else ""
    return s


def _key_of(s: str) -> str | None:
    """The normalized key of a ``Key: value`` / ``Key   : value`` line, or None."""
    colon = s.find(":", 0, _MAX_KEY)
    if colon <= 0:
        return None
    key = " ".join(s[:colon].split()).lower()
    if key.startswith(("- ", "* ")):
        key = key[2:]
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
