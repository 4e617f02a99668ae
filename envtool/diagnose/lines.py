"""The line grammar of a pasted report: wrapping peeled off, ``Key: value`` lines, the key table.

Every regular expression here runs on one bounded line, so a huge paste costs linear time.
"""

from __future__ import annotations

import re

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
    """The text's lines without the wrapping people add around a pasted report.

    Drops ``> `` quote markers and leading HTML tags, blanks code-fence lines, and splits a
    header merged with the first field ("Collecting environment information...   PyTorch
    version: ..."). Indentation inside a line is kept (wrapped warnings use it).
    """
    if text.startswith("\ufeff"):
        text = text[1:]
    out: list[str] = []
    for line in text.splitlines():
        line = _unquote(line)
        s = line.strip()
        if s.startswith("```") or s.startswith("~~~"):
            out.append("")
            continue
        if s.startswith("<"):
            line = _drop_html_tags(line)
            s = line.strip()
        if "nvironment" in s and s.startswith("Collecting"):
            m = _HEADER.match(s)
            if m:
                out.append(s[: m.end()])
                rest = s[m.end() :].strip()
                if rest:
                    out.append(rest)
                continue
        # A closing fence glued to the last line ("[conda] Could not collect```").
        if s.endswith("```"):
            line = line.rstrip().rstrip("`")
        out.append(line)
    return out


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
