"""The collect_env report grammar: fields, multi-line values and package lines, read into a `_Report`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote

from envtool.diagnose.lines import (
    _HEADER,
    _KEYS,
    _MAX_KEY,
    _MAX_LINE,
    _REPORT_KEYS,
    Words,
    _key_of,
    _value_of,
    visit_lines,
)

# --------------------------------------------------------------------------- the report parser


@dataclass
class _Report:
    """What was read from the text, before it is mapped onto the model."""

    fields: dict[str, str] = field(default_factory=dict)
    gpu_lines: list[str] = field(default_factory=list)
    cudnn_lines: list[str] = field(default_factory=list)
    cpu: dict[str, str] = field(default_factory=dict)
    cpu_bare: list[str] = field(default_factory=list)
    pip: list[tuple[str, str]] = field(default_factory=list)  # (name, version)
    conda: list[tuple[str, str, str]] = field(default_factory=list)  # (name, version, build)
    extras: list[str] = field(default_factory=list)
    header: bool = False
    report_keys: int = 0
    layout: str = "torch"


# The first two characters of every known key: a line whose own first two (lower-cased) are not
# among them holds no known key (its stripped text starts where the key does).
_KEY_HEADS = frozenset(k[:2] for k in _KEYS)
# ... and their first four ("info" is no key's, though "in" is): a line whose first four differ, with no tab or
# doubled blank among them (the key squeezes blanks), holds no known key either
_KEY_HEADS4 = frozenset(k[:4] for k in _KEYS)
_SHORT_HEADS = frozenset(k[:2] for k in _KEYS if len(k) < 4)  # ("os", "cpu": their first four hold the colon)
# The lines _read_report can use: a key's colon, a banner's "=", the header, a package line, the colon-less
# "PyTorch version 1.5.0". Its other lines change nothing outside a block (the line after one is always read).
_REPORT_LINES = Words((":",), ("=", "collecting", "[", "p"))


def _read_report(lines: Sequence[str]) -> _Report:
    rep = _Report()
    block: str | None = None  # "gpus", "cudnn", "cpu" while a multi-line value goes on
    banner_title_next = False
    bare_torch: str | None = None  # "PyTorch version 1.5.0": collect_env's first key typed without its colon

    def pending() -> bool:  # the next line is read whatever it holds: it may go on with a block
        return block is not None or banner_title_next

    for i in visit_lines(lines, _REPORT_LINES, pending):
        raw = lines[i]
        s = raw[:_MAX_LINE].strip()
        if not s:
            # Blank lines end nothing: pastes that went through a CRLF mix-up come double
            # spaced, and every block below ends at its first line of another shape.
            continue
        first = s[0]
        if first == "=" and s.startswith("=====") and not s.strip("="):
            banner_title_next = True
            block = None
            continue
        if banner_title_next:
            banner_title_next = False
            rep.layout = "vllm-sectioned"
            title = " ".join(s.lower().split())
            block = "cpu" if title == "cpu info" else None
            if ":" not in s:
                continue
        if first == "C" and s.startswith("Collecting") and _HEADER.match(s):
            rep.header = True
            block = None
            continue
        if first == "[" and _read_package_line(s, rep):
            block = None
            continue
        if s.find(":", 0, _MAX_KEY) <= 0:  # the test _key_of starts with, without the call
            key = None
            if bare_torch is None and first in "Pp" and (m := _BARE_TORCH_KEY.match(s)):
                bare_torch = m.group(1)
        elif (
            (rep.report_keys and len(rep.extras) < 20)
            or not (head := s[:2]).isascii()
            or head[0] in "-*#"  # (bullets _key_of takes off)
            or (
                (h := head.lower()) in _KEY_HEADS
                and (h in _SHORT_HEADS or s[:4].lower() in _KEY_HEADS4 or not s[:5].isprintable() or "  " in s[:5])
            )
        ):
            key = _key_of(s)
        else:
            key = None  # no known key starts so, and no extra is kept (none before a report's key): nothing to change
        known = key is not None and key in _KEYS
        if block is None and not known and not (key and rep.report_keys and len(key) <= 40 and len(rep.extras) < 20):
            continue  # (nothing below reads such a line outside a block)
        if block == "gpus" and not known:
            if re.match(r"GPU \d+:", s):
                rep.gpu_lines.append(s)
                continue
            if raw[:1].isspace() and ("MIG" in s or "Device" in s):
                continue  # nvidia-smi -L lists MIG devices indented under their GPU
            block = None
        elif block == "cudnn" and not known:
            if "cudnn" in s.lower():
                rep.cudnn_lines.append(s)
                continue
            block = None
        elif block == "cpu" and not known:
            if _read_cpu_line(s, rep):
                continue
            block = None
        if not known:
            if key and rep.report_keys and len(key) <= 40 and len(rep.extras) < 20 and block is None:
                # Vendor fields (Gaudi's "HPU devices") are kept for the human reader.
                value = _value_of(s)
                if value and re.match(r"^[A-Za-z][\w ./()-]*$", s[: s.find(":")].strip()):
                    rep.extras.append(f"{s[: s.find(':')].strip()}={value[:200]}")
            continue
        assert key is not None
        if key in _REPORT_KEYS:
            rep.report_keys += 1
        name = _KEYS[key]
        block = None
        if name is None:
            continue
        if name == "cpu":
            block = "cpu"
            value = _value_of(s)
            if value:
                rep.cpu_bare.append(value)
            continue
        if name in rep.fields:
            continue  # the first report in the text wins
        value = _value_of(s)
        rep.fields[name] = value
        if name == "gpus":
            if re.match(r"GPU \d+:", value):
                rep.gpu_lines.append(value)
            block = "gpus"
        elif name == "cudnn":
            if "cudnn" in value.lower():
                rep.cudnn_lines.append(value)
            block = "cudnn"
    if bare_torch and "torch_version" not in rep.fields and (rep.header or rep.report_keys >= 3):
        # Only beside the report's other keys is the colon-less line its first field; alone it may be prose.
        rep.fields["torch_version"] = bare_torch
        rep.report_keys += 1
    return rep


# The whole line is the key and a version (prose such as "PyTorch version 1.5.0 is broken" does not match).
_BARE_TORCH_KEY = re.compile(
    r"(?i:pytorch version)\s+(\d{1,2}\.\d{1,3}(?:\.\d{1,3})?(?:[\w.]{0,20})(?:\+[\w.]{1,40})?)\s*$"
)


_PIP_EQ = re.compile(r"^\[(pip\d?)\]\s+([A-Za-z0-9][\w.\-]*)\s*(?:\[[^\]]*\])?\s*(?:==|===)\s*(\S+)")
_PIP_PAREN = re.compile(r"^\[(pip\d?)\]\s+([A-Za-z0-9][\w.\-]*)\s+\(([^)\s]+)\)")
_PIP_URL = re.compile(r"^\[(pip\d?)\]\s+([A-Za-z0-9][\w.\-]*)\s+@\s+(\S+)")
_CONDA = re.compile(r"^\[conda\]\s+([A-Za-z0-9_][\w.\-]*)\s+(\S+)(?:\s+(\S+))?(?:\s+(\S+))?")


def _read_package_line(s: str, rep: _Report) -> bool:
    if s.startswith("[pip"):
        for rx in (_PIP_EQ, _PIP_PAREN):
            m = rx.match(s)
            if m:
                rep.pip.append((_dist_name(m.group(2)), m.group(3).strip("`")))
                return True
        m = _PIP_URL.match(s)
        if m:
            # "torch @ file:///.../torch-2.1.0%2Bcu121-cp310-...whl": the wheel name holds the version.
            name = _dist_name(m.group(2))
            fname = unquote(m.group(3).rsplit("/", 1)[-1])
            vm = re.match(r"[A-Za-z0-9_.]+?-(\d[^-]*)-", fname)
            if vm:
                rep.pip.append((name, vm.group(1)))
            return True
        return s.startswith(("[pip]", "[pip3]"))
    if s.startswith("[conda]"):
        m = _CONDA.match(s)
        if m and m.group(1).lower() != "could" and m.group(2)[:1].isdigit():
            rep.conda.append((_dist_name(m.group(1)), m.group(2), (m.group(3) or "").strip("`")))
        return True
    return False


def _dist_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _read_cpu_line(s: str, rep: _Report) -> bool:
    """Read one line of the CPU block; False when the line is not part of it."""
    if set(s) <= {"-"}:
        return True  # the separator between CPUs in the Windows block
    sep = -1
    for ch in (":", "="):
        at = s.find(ch, 0, _MAX_KEY)
        if at > 0 and (sep < 0 or at < sep):
            sep = at
    if sep > 0:
        # lscpu "Model name:   ...", the Windows block "Name: ...", wmic's "Name=...".
        key = " ".join(s[:sep].split()).lower()
        rep.cpu.setdefault(key, s[sep + 1 :].strip())
        return True
    if not rep.cpu and not rep.cpu_bare:
        rep.cpu_bare.append(s)  # macOS prints the brand string alone ("Apple M2 Max")
        return True
    return False
