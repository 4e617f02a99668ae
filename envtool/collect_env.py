"""Read pasted ``python -m torch.utils.collect_env`` dumps (and torch's own warnings) into facts.

Lab admins receive reports pasted into issues, chats and mails. ``envtool diagnose`` maps
them onto the same :class:`~envtool.model.HostFacts` that ``envtool detect`` builds, so the
same rules run on both. Everything here is pure: text in, facts out.

The parser follows the report's grammar rather than any one sample: a ``Key: value`` line
grammar with a table of known keys (torch 1.0 to 2.x, vLLM's sectioned ``Key   : value``
variant), a few multi-line values (the GPU list, the cuDNN list, the CPU block) and the
``[pip3] name==ver`` / ``[conda] name ver build channel`` package lines. Wrapping added by
people (markdown fences, ``> `` quotes, ``<details>``, shell prompts, log lines) is peeled
off line by line. Every regular expression runs on one bounded line or message, so a huge
paste costs linear time.

Format references (the field set over the years):
- pytorch/pytorch torch/utils/collect_env.py (``env_info_fmt``, ``pretty_str``,
  ``get_gpu_info``, ``get_cudnn_version``, ``get_cpu_info``), as shipped in torch 2.13.
- vllm-project/vllm vllm/collect_env.py@ee92039 (the "=====" sectioned layout).
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from envtool.errors import BadInputError
from envtool.model import (
    DistInfo,
    GpuInfo,
    HostFacts,
    NvidiaFacts,
    ProbeNote,
    PythonFacts,
    SystemFacts,
    ToolkitFacts,
    TorchBuild,
    TorchRuntime,
    facts_from_data,
)

__all__ = [
    "extract_torch_messages",
    "facts_from_envtool_report",
    "load_report",
    "parse_collect_env",
    "parse_driver_too_old",
    "parse_found_gpu_capability",
    "parse_incompatible_capability",
    "parse_supported_arch_list",
]

SOURCE = "collect_env"
REPORT_SCHEMA = "envtool/1"

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

_ARCH_ALIASES = {
    "x86_64": "x86_64",
    "amd64": "x86_64",
    "x64": "x86_64",
    "aarch64": "aarch64",
    "arm64": "arm64",
    "ppc64le": "ppc64le",
    "s390x": "s390x",
    "i686": "i686",
    "i386": "i386",
    "armv7l": "armv7l",
    "riscv64": "riscv64",
}

# --------------------------------------------------------------------------- torch messages


@dataclass(frozen=True)
class _Kind:
    """One torch warning or error: how to spot it, where it starts, when it is complete."""

    name: str
    triggers: tuple[str, ...]
    starts: tuple[str, ...] = ()  # phrases that may open the message, earliest wins
    done: re.Pattern[str] | None = None  # the joined message is complete once this matches
    unless: tuple[str, ...] = ()  # skip the line when another kind covers it
    max_lines: int = 8
    absorbs: tuple[str, ...] = ()  # triggers that may appear inside this message's wrapped lines


_TRIGGERED = r"|\(Triggered internally at [^)]*\)"

# Each wording below was checked against torch's source or real reports; the source is
# named next to it. Messages are matched on these fixed phrases, never on whole sentences,
# so a changed URL or a paste that cut the tail off still counts.
_KINDS: tuple[_Kind, ...] = (
    # c10/cuda/CUDAFunctions.cpp (driver check), printed as a RuntimeError or as a
    # "CUDA initialization:" UserWarning; the 0.4-1.x Python version (torch/cuda/__init__.py
    # _check_driver) wrapped it over six lines. Seen in lllyasviel/Fooocus#1313 (11040),
    # wuhuikai/FastFCN#37 (wrapped, 9000), IEIT-Yuan/Yuan-2.0#65 (UserWarning form).
    _Kind(
        "driver_too_old",
        ("driver on your system is too old",),
        ("CUDA initialization: ", "The NVIDIA driver", "NVIDIA driver on your system"),
        re.compile(r"the CUDA driver\.|CUDA driver\.$" + _TRIGGERED),
    ),
    # torch/cuda/__init__.py _check_driver / c10 CUDAHooks; princeton-nlp/SimCSE#244 (one line),
    # AbnerHqC/GaitSet#95 (old three-line form), HIT-SCIR/ltp#468 (UserWarning form).
    _Kind(
        "no_driver",
        ("Found no NVIDIA driver on your system",),
        ("CUDA initialization: ", "Found no NVIDIA driver"),
        re.compile(r"index\.aspx" + _TRIGGERED),
    ),
    # c10/cuda/CUDAFunctions.cpp; pytorch/pytorch#131117, wenet-e2e/wenet#700.
    _Kind(
        "driver_init_failed",
        ("CUDA driver initialization failed",),
        ("CUDA initialization: ", "CUDA driver initialization failed"),
        re.compile(r"CUDA gpu\.?" + _TRIGGERED),
    ),
    # c10/cuda/CUDAFunctions.cpp device_count_impl; "Error 804: forward compatibility was
    # attempted on non supported HW" in PKU-YuanGroup/Video-LLaVA#22 and hpcaitech/ColossalAI#4381,
    # "Error 802: system not yet initialized" in gpustack/gpustack#1254.
    _Kind(
        "device_count_error",
        ("Unexpected error from cudaGetDeviceCount",),
        ("CUDA initialization: ", "Unexpected error from cudaGetDeviceCount"),
        re.compile(r"Error \d+: \w[^.(]*?(?=\s*\(Triggered|\s*$)" + _TRIGGERED),
        absorbs=("forward compatibility was attempted on non supported HW",),
    ),
    # The same CUDA error (cudaErrorCompatNotSupportedOnDevice) raised outside device_count.
    _Kind(
        "forward_compat",
        ("forward compatibility was attempted on non supported HW",),
        ("CUDA initialization: ", "CUDA error: ", "forward compatibility"),
        re.compile(r"non supported HW"),
        unless=("cudaGetDeviceCount",),
    ),
    # torch/cuda/__init__.py _check_cubins (torch 1.8+): three lines, the GPU name first.
    # "sm_{}" with the capability as one number in torch 2.x ("sm_120", pytorch/pytorch#150733);
    # "sm_86 ... sm_37 sm_50 sm_60 sm_70." in nerfstudio-project/nerfacc#80 and
    # bismex/MetaBIN#15 (with "compute_37").
    _Kind(
        "incompatible_capability",
        # Short triggers: a narrow paste may wrap the sentence anywhere.
        ("with CUDA capability sm_", "is not compatible with the current PyTorch"),
        (),
        re.compile(r"get-started/locally"),
    ),
    # torch/cuda/__init__.py _check_capability, torch 0.4-2.x:
    # "Found GPU%d %s which is of cuda capability %d.%d. PyTorch no longer supports this GPU
    # because it is too old. The minimum cuda capability (that we support|supported by this
    # library) is %d.%d." -- alievk/avatarify-python#58, AUTOMATIC1111/stable-diffusion-webui#3003.
    _Kind(
        "old_gpu",
        ("which is of cuda capability",),
        ("Found GPU",),
        re.compile(r"minimum cuda capability [^.]*?is \d+\.\d+"),
    ),
    # torch/cuda/__init__.py _warn_unsupported_code (torch 2.10+): "Found GPU%d %s which is of
    # compute capability (CC) %d.%d." then "- 7.5 which supports hardware CC >=7.5,<8.0" lines
    # and install advice -- pytorch/pytorch#182250, pytorch/pytorch#166185.
    _Kind(
        "unsupported_code",
        ("which is of compute capability (CC)",),
        ("Found GPU",),
        None,
        max_lines=40,
    ),
    # The CUDA error string of cudaErrorNoKernelImageForDevice, raised by torch's kernel
    # launch checks; kohjingyu/gill#39, mit-han-lab/llm-awq#238.
    _Kind(
        "no_kernel_image",
        ("no kernel image is available for execution on the device",),
        ("CUDA error: ", "no kernel image"),
        re.compile(r"on the device"),
    ),
    # torch/cuda/__init__.py _lazy_init: raise AssertionError("Torch not compiled with CUDA enabled").
    _Kind(
        "not_compiled_with_cuda",
        ("Torch not compiled with CUDA enabled",),
        ("Torch not compiled",),
        re.compile(r"enabled"),
    ),
    # cudaErrorInsufficientDriver (35), older torch: "cuda runtime error (35) : CUDA driver
    # version is insufficient for CUDA runtime version" -- mlcommons/inference#54.
    _Kind(
        "driver_insufficient",
        ("driver version is insufficient for CUDA runtime version",),
        ("cuda runtime error", "CUDA error: ", "CUDA driver version"),
        re.compile(r"runtime version"),
    ),
    # nvidia-smi / NVML: "Failed to initialize NVML: Driver/library version mismatch"
    # (pytorch/pytorch#45109, YoshitakaMo/localcolabfold#127; "Driver/Library" in
    # rajeshroy402/DeepStream-dGPU-Installation#5).
    _Kind(
        "nvml_mismatch",
        ("Driver/library version mismatch", "Driver/Library version mismatch", "driver/library version mismatch"),
        ("Failed to initialize NVML", "NVML", "Driver/"),
        re.compile(r"mismatch"),
    ),
    # Loader errors on "import torch": "ImportError: .../libtorch_cuda.so: undefined symbol:
    # cudaLaunchKernelExC, version libcudart.so.11.0" (Layne-Huang/PMDM#5) and
    # "ImportError: libcudnn.so.8: cannot open shared object file: No such file or directory"
    # (pytorch/pytorch#104259, pytorch/pytorch#165812 for libcudnn.so.9).
    _Kind("undefined_symbol", ("undefined symbol: ",), (), re.compile(r".")),
    _Kind("missing_library", ("cannot open shared object file",), (), re.compile(r".")),
)

_ALL_TRIGGERS: tuple[str, ...] = tuple(t for k in _KINDS for t in k.triggers)

# Prefixes stripped from the front of a message: "path.py:123: UserWarning: ", vLLM's
# "WARNING 10-07 03:01:24 _core_ext.py:180] ", "RuntimeError: " (once or, as some pastes
# show, twice).
_LOC_WARNING = re.compile(r"^\S{0,400}?:\d+:\s*\w*Warning:\s*")
_LOG_PREFIX = re.compile(r"^(?:WARNING|INFO|ERROR|DEBUG|CRITICAL)\s+\d\d-\d\d\s+\d\d:\d\d:\d\d\s+\S+\]\s*")
_EXC_PREFIX = re.compile(r"^(?:[A-Za-z_][\w.]{0,80}(?:Error|Exception|Warning)\s*:\s*)+")

# A line that begins something new, so a wrapped message does not swallow it.
_NEW_RECORD = re.compile(
    r"^(?:Traceback\b|File \"|>>>|\$ |\[(?:pip\d?|conda)\]|GPU \d+:|```|[\w.]*(?:Error|Exception|Warning)\b"
    r"|\S+:\d+: \w*Warning|(?:WARNING|INFO|ERROR|DEBUG|CRITICAL)\b|CUDA kernel errors|For debugging consider"
    r"|Compile with `TORCH_USE_CUDA_DSA`|Collecting[\s`]*environment)"
)
_CODE_LINE = re.compile(r"^\s+(?:return\s|warnings\.warn\(|warn\(|_warn|[A-Za-z_][\w.]*\(.*\)\s*$|[\^~]+\s*$)")


def extract_torch_messages(text: str) -> tuple[str, ...]:
    """The warnings and errors torch printed, found anywhere in ``text``, each one whole.

    A message wrapped over several lines (by torch itself or by the paste) is joined with
    single spaces; location prefixes (``file.py:12: UserWarning:``) and exception class
    names are dropped; exact repeats are kept once, in order of first appearance.
    """
    return tuple(_messages_from_lines(_clean_lines(text), text))


def _messages_from_lines(lines: Sequence[str], raw: str) -> list[str]:
    # Only kinds whose trigger occurs at all are looked for, line by line.
    kinds = [k for k in _KINDS if any(t in raw for t in k.triggers)]
    if not kinds:
        return []
    out: list[str] = []
    seen: set[str] = set()
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i][:_MAX_LINE]
        hits = _hits_in_line(line, kinds)
        if not hits:
            i += 1
            continue
        consumed = 0
        for j, (start, kind) in enumerate(hits):
            end = hits[j + 1][0] if j + 1 < len(hits) else len(line)
            msg = _strip_prefixes(line[start:end].strip())
            if j + 1 == len(hits):
                # The last message on the line may go on over the next lines.
                while not _is_done(kind, msg) and consumed < kind.max_lines and i + 1 + consumed < n:
                    nxt = lines[i + 1 + consumed][:_MAX_LINE]
                    if _ends_message(nxt, kind):
                        break
                    msg = f"{msg} {nxt.strip()}"
                    consumed += 1
            msg = _trim_tail(" ".join(msg.split()))
            if msg and msg not in seen:
                seen.add(msg)
                out.append(msg)
        i += 1 + consumed
    return out


def _hits_in_line(line: str, kinds: Iterable[_Kind]) -> list[tuple[int, _Kind]]:
    found: dict[int, _Kind] = {}
    for kind in kinds:
        if any(u in line for u in kind.unless):
            continue
        for trig in kind.triggers:
            pos = line.find(trig)
            if pos < 0:
                continue
            start = _message_start(line, pos, kind)
            # Two kinds opening at the same place are one message; keep the first.
            found.setdefault(start, kind)
            break
    return sorted(found.items(), key=lambda item: item[0])


def _message_start(line: str, pos: int, kind: _Kind) -> int:
    """Where the message holding the trigger at ``pos`` begins on its line."""
    best = None
    for phrase in kind.starts:
        at = line.rfind(phrase, 0, pos + len(phrase))
        if 0 <= at <= pos and (best is None or at < best):
            best = at
    if best is not None:
        return best
    # No opening phrase: the message starts after the last "...Warning:"/"...Error:" prefix
    # before the trigger, else at the start of the line.
    head = line[:pos]
    cut = max(head.rfind("Warning: "), head.rfind("Error: "), head.rfind("Exception: "))
    if cut >= 0:
        return cut + head[cut:].find(": ") + 2
    return len(head) - len(head.lstrip())


def _strip_prefixes(msg: str) -> str:
    msg = _LOG_PREFIX.sub("", msg, count=1)
    msg = _LOC_WARNING.sub("", msg, count=1)
    return _trim_tail(_EXC_PREFIX.sub("", msg, count=1).strip().lstrip("`"))


def _trim_tail(msg: str) -> str:
    # A message quoted in source or markdown ('raise AssertionError("...")', `...`) loses
    # the quote that closes it, so both spellings end up as one message.
    while msg and msg[-1] in "`\"')":
        close = msg[-1]
        opener = {")": "("}.get(close, close)
        if close == "`" or (msg.count(opener) < msg.count(close) if opener != close else msg.count(close) % 2 == 1):
            msg = msg[:-1].rstrip()
        else:
            break
    return msg


def _is_done(kind: _Kind, msg: str) -> bool:
    return kind.done is not None and kind.done.search(msg) is not None


def _ends_message(line: str, kind: _Kind) -> bool:
    s = line.strip()
    if not s:
        return True
    if _NEW_RECORD.match(s) or _CODE_LINE.match(line):
        return True
    if any(t in line for t in _ALL_TRIGGERS if t not in kind.absorbs):
        return True
    key = _key_of(s)
    return key is not None and key in _KEYS


# --------------------------------------------------------------------------- message readers

_TOO_OLD = re.compile(r"too old \(found version (\d+)\)")
_INCOMPAT = re.compile(
    r"(?:^|\s)(?:(?P<name>\S.{0,200}?)\s+)?with CUDA capability sm_(?P<cc>\d+)\w*\s+is not compatible"
)
_SUPPORTS = re.compile(r"supports CUDA capabilities\s+(?P<list>(?:(?:sm|compute)_\d+[a-z]?[\s,]*)+)")
_ARCH_TOKEN = re.compile(r"(?:sm|compute)_\d+[a-z]?")
_FOUND_GPU = re.compile(
    r"Found GPU\s*(?P<idx>\d+)\s+(?P<name>\S.{0,200}?)\s+which is of (?:cuda|compute) capability\s*(?:\(CC\)\s*)?(?P<maj>\d+)\.(?P<min>\d+)"
)
_CC_LIST_ITEM = re.compile(r"(?:^|\s)- (\d+)\.(\d+) which supports")


def parse_driver_too_old(msg: str) -> str | None:
    """The newest CUDA the driver supports, from torch's "driver ... too old (found version 11040)".

    The number is CUDA's driver version code, 1000 * major + 10 * minor (CUDA Driver API
    reference, cuDriverGetVersion: "CUDA 9.2 would be represented by 9020";
    https://docs.nvidia.com/cuda/cuda-driver-api/group__CUDA__VERSION.html), so 11040 -> "11.4".
    """
    m = _TOO_OLD.search(msg[:_MAX_MESSAGE])
    if not m:
        return None
    code = int(m.group(1))
    if code <= 0:
        return None
    return f"{code // 1000}.{(code % 1000) // 10}"


def parse_incompatible_capability(msg: str) -> tuple[str | None, str | None, tuple[str, ...]] | None:
    """(GPU name, its capability "12.0", the build's arch list) from torch's "... is not compatible ..." warning.

    ``None`` when ``msg`` is not that warning; a part the message lacks (it was cut) is ``None``
    or an empty tuple.
    """
    msg = msg[:_MAX_MESSAGE]
    if "with CUDA capability sm_" not in msg or "is not compatible" not in msg:
        return None
    name = cc = None
    m = _INCOMPAT.search(msg)
    if m:
        cc = _cc_from_sm(m.group("cc"))
        raw_name = m.group("name")
        if raw_name:
            name = _strip_prefixes(raw_name).strip() or None
    return name, cc, parse_supported_arch_list(msg)


def parse_found_gpu_capability(msg: str) -> list[tuple[int, str, str]]:
    """Every (index, name, "7.0") in torch's "Found GPU0 <name> which is of ... capability 7.0" warnings."""
    out = []
    for m in _FOUND_GPU.finditer(msg[:_MAX_MESSAGE]):
        out.append((int(m.group("idx")), m.group("name").strip(), f"{int(m.group('maj'))}.{int(m.group('min'))}"))
    return out


def parse_supported_arch_list(msg: str) -> tuple[str, ...]:
    """The archs a torch build holds, as torch's warnings list them ("sm_50", "compute_37", ...).

    Reads both the "supports CUDA capabilities sm_50 sm_60 ..." form and the newer
    "- 7.5 which supports hardware CC ..." list (turned into "sm_75").
    """
    msg = msg[:_MAX_MESSAGE]
    m = _SUPPORTS.search(msg)
    if m:
        return tuple(_ARCH_TOKEN.findall(m.group("list")))
    return tuple(f"sm_{int(a)}{int(b)}" for a, b in _CC_LIST_ITEM.findall(msg))


def _cc_from_sm(digits: str) -> str | None:
    # "sm_86" -> "8.6", "sm_120" -> "12.0": the last digit is the minor version.
    if len(digits) < 2:
        return None
    return f"{int(digits[:-1])}.{digits[-1]}"


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


def _read_report(lines: Sequence[str]) -> _Report:
    rep = _Report()
    block: str | None = None  # "gpus", "cudnn", "cpu" while a multi-line value goes on
    banner_title_next = False
    for raw in lines:
        s = raw[:_MAX_LINE].strip()
        if not s:
            # Blank lines end nothing: pastes that went through a CRLF mix-up come double
            # spaced, and every block below ends at its first line of another shape.
            continue
        if s.startswith("=====") and not s.strip("="):
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
        if _HEADER.match(s):
            rep.header = True
            block = None
            continue
        if s.startswith("["):
            if _read_package_line(s, rep):
                block = None
                continue
        key = _key_of(s)
        known = key is not None and key in _KEYS
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
        value = _value_of(s)
        block = None
        if name is None:
            continue
        if name == "cpu":
            block = "cpu"
            if value:
                rep.cpu_bare.append(value)
            continue
        if name in rep.fields:
            continue  # the first report in the text wins
        rep.fields[name] = value
        if name == "gpus":
            if re.match(r"GPU \d+:", value):
                rep.gpu_lines.append(value)
            block = "gpus"
        elif name == "cudnn":
            if "cudnn" in value.lower():
                rep.cudnn_lines.append(value)
            block = "cudnn"
    return rep


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


# --------------------------------------------------------------------------- mapping onto the model


def parse_collect_env(text: str) -> HostFacts:
    """Facts from a pasted ``python -m torch.utils.collect_env`` dump (any torch 1.x / 2.x layout).

    Accepts the wrapping of an issue (fences, quotes, ``<details>``, prompts, log lines) and
    a dump cut short anywhere. Fields the text does not state stay ``None``. Torch's own
    warnings and errors anywhere in the text land in ``torch_runtime.messages``.

    Raises :class:`~envtool.errors.BadInputError` when the text holds neither a report nor a
    recognisable torch message.
    """
    lines = _clean_lines(text)
    rep = _read_report(lines)
    messages = tuple(_messages_from_lines(lines, text))
    if not (rep.header or rep.report_keys or _lists_torch(rep) or messages):
        raise BadInputError(
            "no collect_env report found (expected lines such as 'PyTorch version: ...' from "
            "`python -m torch.utils.collect_env`) and no torch warning or error either"
        )
    return _facts_from_report(rep, messages)


def _lists_torch(rep: _Report) -> bool:
    # "[pip3] torch==..." lines alone (the tail of a report) still describe the install.
    return any(name == "torch" for name, _ in rep.pip) or any(name in _CONDA_TORCH for name, _, _ in rep.conda)


_CONDA_TORCH = frozenset({"pytorch", "pytorch-nightly", "pytorch-cpu", "torch"})


def _facts_from_report(rep: _Report, messages: tuple[str, ...]) -> HostFacts:
    f = rep.fields
    torch_version = _collected(f.get("torch_version"))
    cuda_build = _major_minor(_collected(f.get("cuda_build")))
    hip_build = _major_minor(_collected(f.get("hip_build")))
    debug = _bool(f.get("debug"))
    primary = TorchBuild(version=torch_version, cuda=cuda_build, hip=hip_build, debug=debug) if torch_version else None
    installs = _torch_installs(primary, rep)

    system = _system_facts(rep)
    gpus, other_gpus = _gpus(rep, hip_build)
    gpus = _fill_capabilities(gpus, messages)
    mismatch = any("driver/library version mismatch" in m.lower() for m in messages)
    nv_error = "Driver/library version mismatch" if mismatch else None
    nvidia = NvidiaFacts(
        source=SOURCE,
        driver_version=_driver_version(f.get("driver")),
        cuda_driver_version=None,  # collect_env never prints the driver's own CUDA version
        gpus=tuple(gpus),
        hardware_present=True if gpus else None,
        error=nv_error,
    )
    toolkit = ToolkitFacts(nvcc_version=_major_minor(_collected(f.get("nvcc"))))

    pip = dict(rep.pip)
    conda = {name: version for name, version, _ in rep.conda}
    transformers = pip.get("transformers") or conda.get("transformers")
    wheels: dict[str, DistInfo] = {}
    pynvml: dict[str, DistInfo] = {}
    for name, version in [*rep.pip, *((n, v) for n, v, _ in rep.conda)]:
        if name in ("pynvml", "nvidia-ml-py", "nvidia-ml-py3"):
            pynvml.setdefault(name, DistInfo(name=name, version=version))
        elif name.startswith("nvidia-"):
            wheels.setdefault(name, DistInfo(name=name, version=version))
    python = PythonFacts(
        version=_python_version(f.get("python_version")),
        implementation="PyPy" if "PyPy" in (f.get("python_version") or "") else None,
        torch=primary,
        torch_installs=installs,
        transformers=transformers,
        nvidia_wheels=tuple(wheels.values()),
        pynvml_dists=tuple(pynvml.values()),
    )

    arch_list: tuple[str, ...] = ()
    for m in messages:
        arch_list = parse_supported_arch_list(m)
        if arch_list:
            break
    runtime = TorchRuntime(
        outcome="unknown",
        version=torch_version,
        cuda=cuda_build,
        hip=hip_build,
        cuda_available=_bool(f.get("cuda_available")),
        arch_list=arch_list,
        cudnn=_cudnn_version(rep.cudnn_lines, f.get("cudnn")),
        messages=messages,
    )

    notes = [f"layout: {rep.layout}", f"{len(f)} known fields"]
    if not rep.fields and messages:
        notes = ["no report, torch messages only"]
    if other_gpus:
        notes.append("non-NVIDIA GPU reported: " + "; ".join(other_gpus))
    if rep.extras:
        notes.append("other fields: " + "; ".join(rep.extras))
    return HostFacts(
        system=system,
        nvidia=nvidia,
        toolkit=toolkit,
        python=python,
        torch_runtime=runtime,
        probes=(ProbeNote(probe=SOURCE, status="ok", reason="; ".join(notes)),),
        source=SOURCE,
    )


def _collected(value: str | None) -> str | None:
    """The value, or None for collect_env's placeholders ("Could not collect", "N/A", "No CUDA", "None")."""
    if value is None:
        return None
    v = value.strip().strip("`").strip()
    return None if v.lower() in _NOT_COLLECTED else v


def _bool(value: str | None) -> bool | None:
    v = (_collected(value) or "").lower()
    # torch 1.0-1.6 printed Yes/No (``replace_bools``), later torch prints True/False.
    if v in ("true", "yes"):
        return True
    if v in ("false", "no"):
        return False
    return None


def _major_minor(value: str | None) -> str | None:
    """ "9.0.176" -> "9.0", "6.3.42131-fa1d09cbd" -> "6.3", "12.8" -> "12.8"; anything else -> None."""
    if not value:
        return None
    m = re.match(r"(?:V|v|release\s+)?(\d{1,3})\.(\d{1,3})", value)
    return f"{int(m.group(1))}.{int(m.group(2))}" if m else None


def _python_version(value: str | None) -> str | None:
    v = _collected(value)
    if not v:
        return None
    m = re.match(r"(\d+\.\d+(?:\.\d+)?(?:(?:a|b|rc)\d+)?\+?)", v)
    return m.group(1) if m else None


def _driver_version(value: str | None) -> str | None:
    v = _collected(value)
    if not v:
        return None
    m = re.match(r"(\d+(?:\.\d+){1,3})", v)
    return m.group(1) if m else None


def _local_tag_build(version: str) -> tuple[str | None, str | None]:
    """(cuda, hip) from a wheel's local version: "+cu121" -> ("12.1", None), "+rocm6.3" -> (None, "6.3")."""
    local = version.partition("+")[2].lower()
    m = re.match(r"cu(\d{1,2})(\d)$", local)
    if m:
        return f"{int(m.group(1))}.{m.group(2)}", None
    m = re.match(r"rocm(\d+\.\d+)", local)
    if m:
        return None, m.group(1)
    return None, None


def _conda_build(build: str) -> tuple[str | None, str | None]:
    """(cuda, hip) from a conda build string: "py3.7_cuda90_cudnn7_1" -> "9.0", "py3.10_cuda11.8_..." -> "11.8"."""
    b = build.lower()
    m = re.search(r"cuda(\d+)\.(\d+)", b) or re.search(r"cuda(\d{1,2})(\d)(?!\d)", b)
    if m:
        return f"{int(m.group(1))}.{m.group(2)}", None
    m = re.search(r"rocm(\d+\.\d+)", b)
    if m:
        return None, m.group(1)
    return None, None


def _torch_installs(primary: TorchBuild | None, rep: _Report) -> tuple[TorchBuild, ...]:
    """Every torch the report shows: the imported one, then pip/conda entries of other versions.

    pip and conda list the same site-packages, so a torch with the same public version in
    both is one install; a different version is a second install (a conflict the rules flag).
    """
    installs: list[TorchBuild] = [primary] if primary else []

    def add(version: str, cuda: str | None, hip: str | None) -> None:
        base = version.partition("+")[0]
        for k, t in enumerate(installs):
            if t.version.partition("+")[0] == base and (
                "+" not in version or "+" not in t.version or t.version == version
            ):
                if not t.cuda and not t.hip and (cuda or hip) and t is not primary:
                    installs[k] = TorchBuild(version=t.version, cuda=cuda, hip=hip)
                return
        installs.append(TorchBuild(version=version, cuda=cuda, hip=hip))

    for name, version in rep.pip:
        if name == "torch":
            add(version, *_local_tag_build(version))
    for name, version, build in rep.conda:
        if name in _CONDA_TORCH:
            cuda, hip = _conda_build(build)
            if not (cuda or hip):
                cuda, hip = _local_tag_build(version)
            add(version, cuda, hip)
    return tuple(installs)


def _gpus(rep: _Report, hip_build: str | None) -> tuple[list[GpuInfo], list[str]]:
    """NVIDIA GPUs from the "GPU models and configuration" value, and other GPUs named there."""
    gpus: list[GpuInfo] = []
    for line in rep.gpu_lines:
        m = re.match(r"GPU (\d+):\s*(.*)$", line)
        if not m:
            continue
        name = re.sub(r"\s*\(UUID:[^)]*\)", "", m.group(2)).strip() or None
        gpus.append(GpuInfo(index=int(m.group(1)), name=name))
    other: list[str] = []
    value = _collected(rep.fields.get("gpus"))
    if value and not gpus and not value.startswith("GPU "):
        # ROCm builds (and macOS) print torch.cuda.get_device_name() here, not nvidia-smi -L.
        if hip_build or re.search(r"\b(?:AMD|Radeon|Instinct)\b|\(gfx\w+", value):
            other.append(value)
        else:
            gpus.append(GpuInfo(index=0, name=value))
    return gpus, other


def _fill_capabilities(gpus: list[GpuInfo], messages: Sequence[str]) -> list[GpuInfo]:
    """Compute capability per GPU: torch's "Found GPU<n> ... capability X.Y" first, else the knowledge table."""
    by_index: dict[int, tuple[str, str]] = {}
    by_name: dict[str, str] = {}
    for msg in messages:
        for idx, name, cc in parse_found_gpu_capability(msg):
            by_index.setdefault(idx, (name, cc))
        inc = parse_incompatible_capability(msg)
        if inc and inc[0] and inc[1]:
            by_name.setdefault(inc[0], inc[1])
    if not gpus and by_index:
        # Only the warning names the GPUs (a report cut short, or messages alone).
        gpus = [GpuInfo(index=i, name=n) for i, (n, _) in sorted(by_index.items())]
    lookup = _knowledge_lookup()
    out = []
    for g in gpus:
        cc = None
        if g.index in by_index and (not g.name or by_index[g.index][0] == g.name):
            cc = by_index[g.index][1]
        elif g.name and g.name in by_name:
            cc = by_name[g.name]
        elif g.name and lookup is not None:
            try:
                cc = lookup(g.name)
            except Exception:  # a bug in the table must not lose the report
                cc = None
        out.append(GpuInfo(index=g.index, name=g.name, compute_capability=cc) if cc else g)
    return out


def _knowledge_lookup() -> Any:
    # envtool.knowledge is written separately and may be absent or partial.
    try:
        mod = importlib.import_module("envtool.knowledge")
    except Exception:
        return None
    fn = getattr(mod, "compute_capability", None)
    return fn if callable(fn) else None


_CUDNN_FILE = re.compile(
    r"libcudnn(?:_\w+?)?\.so\.(\d+(?:\.\d+){0,2})"  # Linux: libcudnn.so.8.9.7, libcudnn_ops_infer.so.8.0.5
    r"|libcudnn(?:_\w+?)?\.(\d+(?:\.\d+){0,2})\.dylib"  # macOS: libcudnn.7.dylib
    r"|cudnn(?:_\w+?)?64_(\d+)\.dll",  # Windows: cudnn64_7.dll, cudnn_ops_infer64_8.dll
    re.I,
)


def _cudnn_version(lines: Sequence[str], value: str | None) -> str | None:
    """The first cuDNN version the report names, as "9.1.0" (or "7" when only a major is known)."""
    for line in lines:
        m = _CUDNN_FILE.search(line)
        if m:
            return next(g for g in m.groups() if g)
    v = _collected(value)
    if not v:
        return None
    if re.fullmatch(r"\d+\.\d+(?:\.\d+)?", v):
        return v
    if re.fullmatch(r"\d{4,6}", v):
        # torch.backends.cudnn.version() style integer. cudnn_version.h: cuDNN 9+ defines
        # CUDNN_VERSION as MAJOR*10000 + MINOR*100 + PATCH (90100 = 9.1.0); cuDNN 7-8 used
        # MAJOR*1000 + MINOR*100 + PATCH (7605 = 7.6.5, 8902 = 8.9.2).
        n = int(v)
        if n >= 90000:
            return f"{n // 10000}.{(n % 10000) // 100}.{n % 100}"
        return f"{n // 1000}.{(n % 1000) // 100}.{n % 100}"
    return None


_LINUX_WORDS = re.compile(
    r"\b(?:Linux|Ubuntu|Debian|CentOS|Red Hat|RHEL|Fedora|Rocky|AlmaLinux|SUSE|openSUSE|Arch|Manjaro|Gentoo|Alpine|Amazon|Mint|Pop!_OS|Oracle)\b",
    re.I,
)


def _system_facts(rep: _Report) -> SystemFacts:
    f = rep.fields
    os_raw = _collected(f.get("os"))
    platform_ = _collected(f.get("platform")) or ""
    libc = _collected(f.get("libc"))

    os_name = None
    if platform_.startswith("Linux-") or (libc or "").startswith("glibc"):
        os_name = "Linux"
    elif platform_.startswith("Windows-") or (os_raw or "").startswith("Microsoft Windows"):
        os_name = "Windows"
    elif platform_.startswith(("macOS-", "Darwin-")) or (os_raw or "").startswith(("macOS", "Mac OS")):
        os_name = "Darwin"
    elif os_raw and _LINUX_WORDS.search(os_raw):
        os_name = "Linux"
    elif (f.get("python_version") or "").find("MSC v.") >= 0:
        os_name = "Windows"

    arch = None
    kernel = None
    m = re.match(r"^Linux-(.+?)-(x86_64|aarch64|ppc64le|s390x|armv7l|i686|riscv64)(?:-|$)", platform_)
    if m:
        kernel, arch = m.group(1), m.group(2)
    elif platform_.startswith("macOS-"):
        mm = re.search(r"-(x86_64|arm64)(?:-|$)", platform_)
        arch = mm.group(1) if mm else None
    os_pretty = os_raw
    if os_raw:
        mo = re.match(r"^(.*?)\s*\(([\w-]+)\)$", os_raw)
        if mo and mo.group(2).lower() in _ARCH_ALIASES:
            os_pretty = mo.group(1) or None
            arch = arch or _ARCH_ALIASES[mo.group(2).lower()]
    if arch is None:
        cpu_arch = rep.cpu.get("architecture", "").lower()
        arch = _ARCH_ALIASES.get(cpu_arch)
    if arch is None:
        mp = re.search(r"\[MSC v\.\d+ \d+ bit \((AMD64|ARM64)\)\]", f.get("python_version") or "")
        if mp:
            arch = _ARCH_ALIASES[mp.group(1).lower()]

    glibc = None
    if libc and libc.startswith("glibc-"):
        glibc = libc[len("glibc-") :] or None
    elif "-with-glibc" in platform_:
        glibc = platform_.rsplit("-with-glibc", 1)[1] or None

    wsl = None
    if kernel and "microsoft" in kernel.lower():
        # The WSL2 kernel is "...-microsoft-standard-WSL2", WSL1 reports "...-Microsoft".
        wsl = 2 if ("wsl2" in kernel.lower() or "microsoft-standard" in kernel.lower()) else 1

    cpu = rep.cpu
    model = cpu.get("model name") or cpu.get("name") or (rep.cpu_bare[0] if rep.cpu_bare else None)
    vendor = cpu.get("vendor id") or cpu.get("manufacturer")
    logical = _int(cpu.get("cpu(s)"))
    cores = _int(cpu.get("core(s) per socket"))
    sockets = _int(cpu.get("socket(s)"))
    max_mhz = _float(cpu.get("cpu max mhz") or cpu.get("maxclockspeed"))
    flags = tuple(fl for fl in _relevant_flags() if fl in set((cpu.get("flags") or "").split()))
    return SystemFacts(
        os_name=os_name,
        os_pretty=os_pretty,
        kernel=kernel,
        glibc=glibc,
        arch=arch,
        wsl=wsl,
        cpu_model=(model or "").strip() or None,
        cpu_vendor=(vendor or "").strip() or None,
        physical_cores=cores * sockets if cores and sockets else None,
        logical_cores=logical,
        cpu_max_mhz=max_mhz,
        cpu_flags=flags,
    )


def _relevant_flags() -> tuple[str, ...]:
    # The same flag list as the live probe, so a pasted report and ``detect`` compare.
    try:
        from envtool.probes.system import RELEVANT_FLAGS
    except Exception:
        return ("avx", "avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16")
    return tuple(RELEVANT_FLAGS)


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float((value or "").strip())
    except ValueError:
        return None


# --------------------------------------------------------------------------- envtool's own reports


def facts_from_envtool_report(obj: dict[str, Any]) -> HostFacts:
    """Facts from envtool's own JSON envelope (``{"schema": "envtool/1", "data": {...}}``).

    ``data`` holds ``facts_to_data(facts)`` plus command-specific keys, which are ignored.
    Raises :class:`~envtool.errors.BadInputError` for any other JSON.
    """
    if not isinstance(obj, dict):
        raise BadInputError(
            f'expected an envtool JSON report (an object with "schema": "{REPORT_SCHEMA}"), got a JSON {type(obj).__name__}'
        )
    schema = obj.get("schema")
    if schema != REPORT_SCHEMA:
        got = f"schema {schema!r}" if schema is not None else 'no "schema" key'
        raise BadInputError(f'not an envtool report: expected "schema": "{REPORT_SCHEMA}", found {got}')
    data = obj.get("data")
    if not isinstance(data, dict) or not any(k in data for k in ("system", "nvidia", "gpus", "python", "toolkit")):
        command = obj.get("command") or "?"
        raise BadInputError(
            f"the envtool report (command {command!r}) holds no host facts; use the JSON of `envtool detect --json` or `envtool diagnose --json`"
        )
    try:
        return facts_from_data(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise BadInputError(f"the envtool report's data does not have the expected shape: {exc}") from exc


def load_report(text: str, name: str) -> HostFacts:
    """Facts from a file's text: envtool JSON when it starts with ``{``, else a collect_env dump.

    ``name`` (a path or ``<stdin>``) opens every error message.
    """
    body = text[1:] if text.startswith("\ufeff") else text
    if body.lstrip().startswith("{"):
        try:
            obj = json.loads(body)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc
        except RecursionError:  # json decodes nested arrays/objects recursively
            raise BadInputError(f"{name}: not an envtool report: JSON nested too deeply") from None
        try:
            return facts_from_envtool_report(obj)
        except BadInputError as exc:
            raise BadInputError(f"{name}: {_one_line(str(exc))}") from exc
    try:
        return parse_collect_env(body)
    except BadInputError as exc:
        raise BadInputError(f"{name}: {_one_line(str(exc))}") from exc


def _one_line(msg: str) -> str:
    return " ".join(msg.split())
