"""Read pasted environment reports into facts, with the line that told each one.

Lab admins receive reports pasted into issues, chats and mails: ``python -m
torch.utils.collect_env`` dumps, but more often nvidia-smi output, package lists, REPL output,
issue-template bullets and logs with torch's errors in them. ``envtool diagnose`` maps them onto
the same :class:`~envtool.model.HostFacts` that ``envtool detect`` builds, so the same rules run
on both, and keeps for each sign the paste's lines that show it (:class:`Paste`), which the
paste rules in :mod:`envtool.rules` quote as evidence. Everything here is pure: text in, facts out.

The modules, by job:
- :mod:`~envtool.diagnose.lines`: the wrapping people add (fences, ``> `` quotes, ``<details>``,
  log prefixes) peeled off, line numbers kept, and the ``Key: value`` key table;
- :mod:`~envtool.diagnose.messages`: torch's and CUDA's own warnings and errors, found, joined and read;
- :mod:`~envtool.diagnose.grammar`: the collect_env report grammar (fields, multi-line values,
  ``[pip3]``/``[conda]`` lines);
- :mod:`~envtool.diagnose.forms`: the free-form forms (nvidia-smi, NVRM, lspci, dpkg, pip/conda
  lists, REPL output, bullets, container and Fabric Manager signs);
- :mod:`~envtool.diagnose.facts`: what was read, mapped onto the model;
- :mod:`~envtool.diagnose.platform`: ROCm, XPU, macOS and NVIDIA-on-Arm fields, mapped onto the same
  accelerators and platform facts that ``envtool detect`` fills.

Every regular expression runs on one bounded line or message, so a huge paste costs linear time.

Format references (the collect_env field set over the years):
- pytorch/pytorch torch/utils/collect_env.py (``env_info_fmt``, ``pretty_str``,
  ``get_gpu_info``, ``get_cudnn_version``, ``get_cpu_info``), as shipped in torch 2.13.
- vllm-project/vllm vllm/collect_env.py@ee92039 (the "=====" sectioned layout).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from envtool.diagnose.facts import (
    SOURCE,
    LineIndex,
    _collected,
    _cpu_signs,
    _fact_signs,
    _facts_from_report,
    _lists_torch,
    _local_tag_build,
    _told_rows,
    merge_told,
    told_gpu_lines,
)
from envtool.diagnose.forms import Told, read_forms
from envtool.diagnose.forms import _pairs as forms_pairs
from envtool.diagnose.grammar import _read_report, _Report
from envtool.diagnose.lines import clean_numbered, drop_repeats
from envtool.diagnose.messages import (
    extract_torch_messages,
    numbered_messages,
    parse_driver_too_old,
    parse_found_gpu_capability,
    parse_incompatible_capability,
    parse_supported_arch_list,
)
from envtool.diagnose.platform import apply_vendor, read_vendor, vendor_fields
from envtool.errors import BadInputError
from envtool.model import Evidence, HostFacts, facts_from_data

__all__ = [
    "SOURCE",
    "Paste",
    "load_paste",
    "read_paste",
    "extract_torch_messages",
    "facts_from_envtool_report",
    "load_report",
    "parse_collect_env",
    "parse_driver_too_old",
    "parse_found_gpu_capability",
    "parse_incompatible_capability",
    "parse_supported_arch_list",
]

REPORT_SCHEMA = "envtool/1"


def parse_collect_env(text: str) -> HostFacts:
    """Facts from a pasted report: a ``python -m torch.utils.collect_env`` dump (any torch 1.x / 2.x
    layout) or the free-form forms of :mod:`envtool.diagnose.forms` (nvidia-smi, package lists, REPL
    output, bullets, torch's messages).

    Accepts the wrapping of an issue (fences, quotes, ``<details>``, prompts, log lines) and
    a dump cut short anywhere. Fields the text does not state stay ``None``. Torch's own
    warnings and errors anywhere in the text land in ``torch_runtime.messages``.

    Raises :class:`~envtool.errors.BadInputError` when the text holds nothing diagnosable.
    """
    return read_paste(text).facts


@dataclass(frozen=True, kw_only=True)
class Paste:
    """A pasted report read: the facts, the lines that show each sign, and what the paste told.

    ``signs`` maps a topic ("driver", "gpu", "torch", "cpu_build", "container", "msg:<kind>", ...)
    to the paste's lines that show it; ``told`` lists (what, value, line) for what the paste
    stated, in the order a reader wants it, and nothing it did not state.
    """

    facts: HostFacts
    signs: Mapping[str, tuple[Evidence, ...]] = dc_field(default_factory=dict)
    told: tuple[tuple[str, str, int | None], ...] = ()
    form: str = "free-form"  # "collect_env", "free-form" or "envtool-report"


# A call that starts ``fn(*args)`` and returns the call that waits for its value (envtool.runner.alongside runs it in
# a forked copy of the process, on another core).
Alongside = Callable[..., Callable[[], Any]]
# The lines from which read_paste reads the free-form forms beside the other readers, given ``alongside``: a fork
# costs a few milliseconds, the forms of 20,000 lines about a tenth of a second.
_ALONGSIDE_LINES = 20_000


def read_paste(text: str, *, alongside: Alongside | None = None) -> Paste:
    """Read a pasted report of any form; see :func:`parse_collect_env`.

    With ``alongside`` (envtool.runner.alongside) a long paste's free-form forms are read beside the report grammar,
    the messages and the vendor fields, on another core; the answer is the same as without it."""
    lines, origin = drop_repeats(*clean_numbered(text))
    start = alongside if alongside is not None and len(lines) >= _ALONGSIDE_LINES else functools.partial
    told_later = start(read_forms, lines, origin)  # (a partial: read in this process, when asked for)
    try:
        rep = _read_report(lines)
        numbered = numbered_messages(lines)
        fields = vendor_fields(lines, origin)
    finally:
        told: Told = told_later()
    messages = tuple(msg for _, _, msg in numbered)
    lists_torch = _lists_torch(rep)  # "[pip3] torch==..." lines: collect_env's own syntax
    is_report = bool(rep.header or rep.report_keys or lists_torch)
    if not (is_report or messages or _told_anything(told)):
        raise BadInputError(
            "no collect_env report found (expected lines such as 'PyTorch version: ...' from "
            "`python -m torch.utils.collect_env`), and no nvidia-smi output, package list or torch/CUDA "
            "error message either"
        )
    cut = _inject(rep, told)
    facts = merge_told(_facts_from_report(rep, messages, cut), told)
    signs: dict[str, list[Evidence]] = {k: list(v) for k, v in told.signs.items()}
    for i, kind, msg in numbered:
        at = origin[i] if i < len(origin) else i + 1
        lst = signs.setdefault("msg:" + kind, [])
        if len(lst) < 8:
            lst.append(Evidence(line=at, text=msg[:300]))
    if "container" not in signs and (compose := _compose_line(text)) is not None:
        signs["container"] = [compose]  # the paste is a docker-compose service's output
    facts = apply_vendor(facts, read_vendor(facts, lines, origin, signs, fields))
    index = LineIndex(lines)
    if (
        told.compat_banner
        and facts.platform.kind != "tegra"
        and not any(next(index.holding(w), None) is not None for w in _TEGRA_WORDS)
    ):
        signs["compat_libcuda"] = [Evidence(line=told.compat_banner[0], text=told.compat_banner[1][:300])]
    _cpu_signs(facts, rep, index, origin, signs)
    _fact_signs(facts, index, origin, signs)
    rt = facts.torch_runtime
    if any(signs.get(t) for t in _DRIVER_MESSAGES) or (rt is not None and rt.cuda_available is False):
        _other_gpu_signs(index, origin, signs)
    _torchvision_signs(facts, rep, told, index, origin, signs)
    if signs.get("mps_not_available"):
        _linux_platform_signs(index, origin, signs)
    if (signs.get("msg:nvml_unknown") or signs.get("msg:nvml_blocked") or signs.get("msg:driver_insufficient")) and (
        e := _first_holding(index, origin, _CONTAINER_WORDS, _names_container)
    ):
        # the paste speaks of a container (NVML's "Unknown Error" is a container's; so is CUDA's "insufficient" driver
        # beside a new one)
        signs["container_told"] = [e]
    if (signs.get("msg:no_device") or signs.get("msg:no_driver")) and (
        e := _first_holding(index, origin, _NOTEBOOK_WORDS, _true)
    ):
        signs["hosted_notebook"] = [e]  # Colab's or Kaggle's paths: a runtime that may have been given no GPU
    if signs.get("msg:dll_load_failed") and (e := _first_holding(index, origin, _TORCH_IMPORT_WORDS, _true)):
        signs["torch_import_frame"] = [e]  # the failed DLL load is in torch's own import
    if signs.get("msg:no_kernel_image"):
        _python_error_sign(index, origin, signs)  # torch's, or another CUDA program's (paste_rules words it so)
    return Paste(
        facts=facts,
        signs={k: tuple(v) for k, v in signs.items()},
        told=_told_rows(facts, signs, index, origin, told_gpu_lines(told)),
        # A hand-typed bullet or two with collect_env's key names ("- PyTorch version: 1.0.1") is no dump.
        form="collect_env" if (rep.header or rep.report_keys >= 3 or lists_torch) else "free-form",
    )


# docker-compose's per-service prefix, "qna-transformers_1  | " (clean_numbered peels it off the lines).
_COMPOSE_PREFIX = re.compile(r"^[ \t]*[a-z0-9][\w.-]{0,80}[_-]\d{1,4} +\|(?: |$)", re.M)


# What only a Python program prints around a CUDA error (torch raises RuntimeError; its CUDA errors add the
# CUDA_LAUNCH_BLOCKING and TORCH_USE_CUDA_DSA hints): the program that failed is a Python one.
_PYTHON_ERROR_WORDS = (
    "Traceback (most recent call last)",
    "RuntimeError",
    "TORCH_USE_CUDA_DSA",
    "CUDA_LAUNCH_BLOCKING",
)


# A container spoken of: its runtimes and orchestrators, or the word ("I installed the driver in the container").
_CONTAINER_WORDS = (
    "docker", "Docker", "container", "Container", "podman", "Podman", "kubectl", "Kubernetes", "sandbox", "Sandbox",
    "bubblewrap", "bwrap",
)  # fmt: skip
_CONTAINER_WORD = re.compile(
    r"\b(?:docker|containers?|podman|kubectl|kubernetes|sandbox(?:ed)?|bubblewrap|bwrap)\b", re.I
)
# The messages beside which another vendor's GPU named alone says the machine has no NVIDIA one.
_DRIVER_MESSAGES = ("msg:driver_insufficient", "msg:no_driver", "msg:smi_no_driver", "msg:docker_no_gpu_driver")
# A hosted notebook's own paths and modules (Colab: /content, google.colab; Kaggle: /kaggle/).
_NOTEBOOK_WORDS = ("google.colab", "/content/", "/kaggle/", "colab.research.google.com", "%cd /content")
# torch's own import in a traceback: its package's __init__ and the extension module it loads.
_TORCH_IMPORT_WORDS = ("from torch._C import", "torch\\__init__.py", "torch/__init__.py")


def _names_container(_: str, line: str) -> bool:
    return bool(_CONTAINER_WORD.search(line))


def _true(_: str, __: str) -> bool:
    return True


def _python_error_sign(index: LineIndex, origin: Sequence[int], signs: dict[str, list[Evidence]]) -> None:
    if (e := _first_holding(index, origin, _PYTHON_ERROR_WORDS, _true)) is not None:
        signs["python_error"] = [e]


def _compose_line(text: str) -> Evidence | None:
    """The first line of the text that a docker-compose service printed, or None (one scan, gated by a find)."""
    at = text.find(" | ")
    if at < 0:
        return None
    m = _COMPOSE_PREFIX.search(text, text.rfind("\n", 0, at) + 1)
    if m is None:
        return None
    end = text.find("\n", m.start())
    return Evidence(
        line=text.count("\n", 0, m.start()) + 1, text=text[m.start() : end if end >= 0 else None].strip()[:300]
    )


def load_paste(text: str, name: str, *, alongside: Alongside | None = None) -> Paste:
    """A file's text read as a :class:`Paste` (envtool's JSON report included, with no lines)."""
    body = text[1:] if text.startswith("\ufeff") else text
    if body.lstrip().startswith("{"):
        return Paste(facts=load_report(text, name), form="envtool-report")
    try:
        return read_paste(body, alongside=alongside)
    except BadInputError as exc:
        raise BadInputError(f"{name}: {_one_line(str(exc))}") from exc


# Words of a Jetson's paste (nvidia-smi's "Orin (nvgpu)" row, a tegra kernel): its driver's numbers are L4T's.
_TEGRA_WORDS = ("nvgpu", "Orin", "Jetson", "Tegra", "tegra", "Thor", "L4T")

# Another vendor's GPU named in a line ("I'm using a integrated Intel GPU(iris xe graphics)",
# Akegarasu/lora-scripts#101; "The card I have is : AMD Vega 20 radeon VII",
# JoshuaKimsey/Linux-StableDiffusion-Script#17; "- GPU:7900XTX", gpustack/gpustack#2134): looked for only beside
# CUDA's error 35 and the no-driver messages, which CUDA, torch and nvidia-smi also give on a machine with no NVIDIA
# GPU. A CPU's line ("AMD Ryzen 7 5800H with Radeon Graphics") is no GPU's.
_OTHER_GPU_WORDS = (
    "iris", "Iris", "UHD Graphics", "HD Graphics", "integrated Intel", "integrated GPU", "Radeon", "radeon", "AMD",
    "XTX", "Vega", "Arc A", "Intel",
)  # fmt: skip
_OTHER_GPU = re.compile(
    r"\biris\b|UHD Graphics|HD Graphics|integrated (?:Intel|GPU)|\bradeon\b|\bvega\s?\d{1,2}\b|\bRX\s?\d{3,4}\b"
    r"|\b\d{4}\s?XTX?\b|\bArc\s+A\d{3}\b|\bAMD\s+(?:[\w-]+\s+){0,2}(?:GPU|card|graphics)\b"
    r"|\bIntel(?:\(R\)|\u00ae)?\s+(?:[\w()-]+\s+){0,3}Graphics\b",  # "Intel(R) Irish(R) Xe Graphics", "Intel® Xe"
    re.I,
)
# What _OTHER_GPU's AMD and Intel alternatives need in the line (as spelt there, case aside).
_GPU_NOUNS = ("GPU", "gpu", "Gpu", "raphics", "RAPHICS", "ard", "ARD")
_CPU_LINE = re.compile(r"Ryzen|EPYC|Threadripper|Athlon|Model name|Processor|Core\(TM\)|\bCPU\s*:", re.I)
# An NVIDIA GPU named in the line (not the word in torch's own "Found no NVIDIA driver ... an NVIDIA GPU"):
# a brand, "NVIDIA Corporation" (lspci), "NVIDIA A100".
_NVIDIA_WORDS = re.compile(r"geforce|quadro|tesla|\brtx|\bgtx|titan|nvidia\s+(?:corporation|[a-z]?\d{2,4}\b)", re.I)


def _first_holding(
    index: LineIndex, origin: Sequence[int], words: Sequence[str], keep: Callable[[str, str], bool]
) -> Evidence | None:
    """The first line that holds one of ``words`` and that ``keep(word, line)`` accepts."""
    first: int | None = None
    for word in words:
        for i in index.holding(word):
            if first is not None and i >= first:
                break
            if keep(word, index.lines[i]):
                first = i
                break
    if first is None:
        return None
    return Evidence(line=origin[first] if first < len(origin) else first + 1, text=index.lines[first].strip()[:300])


def _names_other_gpu(word: str, line: str) -> bool:
    if word in ("AMD", "Intel") and not any(w in line for w in _GPU_NOUNS):
        return False  # "AMD EPYC", "Intel(R) Xeon(R)": the patterns below need a GPU's noun
    return bool(_OTHER_GPU.search(line)) and not _NVIDIA_WORDS.search(line) and not _CPU_LINE.search(line)


def _other_gpu_signs(index: LineIndex, origin: Sequence[int], signs: dict[str, list[Evidence]]) -> None:
    """The first line that names another vendor's GPU and no NVIDIA one."""
    if (e := _first_holding(index, origin, _OTHER_GPU_WORDS, _names_other_gpu)) is not None:
        signs["other_gpu_only"] = [e]


# platform.platform() on Linux ("Linux-5.15.49-linuxkit-aarch64-with-glibc2.29"; linuxkit is Docker Desktop's VM).
_LINUX_PLATFORM = re.compile(r"\bLinux-\d+\.\d+[\w.+-]*-(?:x86_64|aarch64|arm64|ppc64le)\b")


def _linux_platform_signs(index: LineIndex, origin: Sequence[int], signs: dict[str, list[Evidence]]) -> None:
    """The first line that shows torch's python runs on Linux (looked for only where MPS was not available)."""
    if (
        e := _first_holding(index, origin, ("Linux-",), lambda _, line: bool(_LINUX_PLATFORM.search(line)))
    ) is not None:
        signs["linux_platform"] = [e]


def _torchvision_signs(
    facts: HostFacts,
    rep: _Report,
    told: Told,
    index: LineIndex,
    origin: Sequence[int],
    signs: dict[str, list[Evidence]],
) -> None:
    """``torchvision_unpaired:<version>`` when the paste lists a torchvision that is not the release torchvision's
    table pairs with the listed torch, or one built for another CUDA (its ``+cuXXX`` tag against torch's)."""
    torch = facts.python.torch
    if torch is None or len(facts.python.torch_installs) > 1:
        return  # two torches: which one torchvision meets is the other finding's question
    listed: list[tuple[str, int | None]] = [(v, n) for name, v, _, n in told.packages if name == "torchvision"]
    listed += [(v, None) for name, v in rep.pip if name == "torchvision"]
    listed += [(v, None) for name, v, _ in rep.conda if name == "torchvision"]
    if not listed:
        return
    version, number = listed[0]
    torches = {v.split("+")[0] for name, v in rep.pip if name == "torch"}
    torches |= {v.split("+")[0] for name, v, _ in rep.conda if name in ("pytorch", "torch")}
    if len(torches) > 1 or _PRE_RELEASE.search(version + " " + torch.version):
        return  # two torches listed, or a nightly (torchvision's main pairs with torch's main)
    tv_tag, t_tag = _tag(version), _tag(torch.version)
    unpaired = forms_pairs(torch.version, version) is False
    other_cuda = bool(tv_tag and t_tag and tv_tag != t_tag and "cu" in tv_tag + t_tag)
    if not (unpaired or other_cuda):
        return
    base = version.split("+")[0]
    at = next((i for i in index.holding("torchvision") if base in index.lines[i]), None)
    if at is None:
        return
    line = origin[at] if at < len(origin) else at + 1
    ev = [Evidence(line=number or line, text=index.lines[at].strip()[:300]), *signs.get("torch", [])[:1]]
    signs[f"torchvision_unpaired:{version}"] = ev


_PRE_RELEASE = re.compile(r"\d(?:a|b|rc|dev|\.dev)\d|\+git")


def _tag(version: str) -> str:
    return version.partition("+")[2].lower()


# Signs that alone do not make a text a report (a path, a word, a platform hint, a command someone typed).
_NOT_A_REPORT = (
    "no_gpu_told", "wsl", "container_gpu", "nvcc", "macos", "amd_gfx", "torch_mentioned", "driver_branch", "kube",
    "pod_runtime_class", "cvd_set", "cvd_exported", "slurm", "pyxis_run", "rosetta_told", "install_asked_cuda",
    "after_suspend", "rocm_told", "aarch64_told", "cpu_build_told",
)  # fmt: skip


def _told_anything(told: Told) -> bool:
    return bool(
        told.driver
        or told.gpus
        or told.pci_gpus
        or told.torch
        or told.packages
        or told.cuda_driver
        or any(not k.startswith(_NOT_A_REPORT) for k in told.signs)
    )


# Names only conda's channels use (pip's package is "torch"): such a row is conda's even without a build string.
_CONDA_NAMES = frozenset({"pytorch", "pytorch-cuda", "pytorch-mutex", "pytorch-nightly", "cpuonly", "cudatoolkit"})


def _inject(rep: _Report, told: Told) -> frozenset[int]:
    """The free-form facts, added where the collect_env grammar found nothing (a report's own fields win).

    Returns the indexes of the GPUs added whose names nvidia-smi cut.
    """
    cut: frozenset[int] = frozenset()
    f = rep.fields
    if told.torch and "torch_version" not in f:
        f["torch_version"] = told.torch
    if told.torch_cuda and "cuda_build" not in f:
        f["cuda_build"] = told.torch_cuda
    tag_cuda, tag_hip = _local_tag_build(f.get("torch_version") or "")
    if tag_cuda and "cuda_build" not in f:
        f["cuda_build"] = tag_cuda  # "+cu121" is the build when no "CUDA used to build" line says it
    if tag_hip and "hip_build" not in f:
        f["hip_build"] = tag_hip
    if told.cuda_available is not None and "cuda_available" not in f:
        f["cuda_available"] = str(told.cuda_available)
    if told.driver and "driver" not in f:
        f["driver"] = told.driver
    if told.nvcc and "nvcc" not in f:
        f["nvcc"] = told.nvcc
    if told.cudnn and "cudnn" not in f:
        f["cudnn"] = told.cudnn
    if told.python and "python_version" not in f:
        f["python_version"] = told.python
    if not rep.gpu_lines and not _collected(f.get("gpus")):
        if told.gpus:
            rep.gpu_lines.extend(f"GPU {i}: {n or ''}" for i, n in sorted(told.gpus.items()))
            cut = frozenset(told.cut_gpus)
        elif told.pci_gpus:
            rep.gpu_lines.extend(f"GPU {i}: {n or ''}" for i, n in enumerate(told.pci_gpus))
    for name, version, build, _ in told.packages:
        if (build and not build.startswith(("pypi", "http"))) or name in _CONDA_NAMES:
            rep.conda.append((name, version, build))
        else:
            rep.pip.append((name, version))
    return cut


# --------------------------------------------------------------------------- envtool's own reports


def facts_from_envtool_report(obj: dict[str, Any]) -> HostFacts:
    """Facts from envtool's own JSON envelope (``{"schema": "envtool/1", "data": {...}}``).

    ``data`` holds ``facts_to_data(facts)`` plus command-specific keys, which are ignored.
    Raises :class:`~envtool.errors.BadInputError` for any other JSON.
    """
    if not isinstance(obj, dict):
        raise BadInputError(
            f'expected an envtool JSON report (an object with "schema": "{REPORT_SCHEMA}"), '
            f"got a JSON {type(obj).__name__}"
        )
    schema = obj.get("schema")
    if schema != REPORT_SCHEMA:
        got = f"schema {schema!r}" if schema is not None else 'no "schema" key'
        raise BadInputError(f'not an envtool report: expected "schema": "{REPORT_SCHEMA}", found {got}')
    data = obj.get("data")
    if not isinstance(data, dict) or not any(k in data for k in ("system", "nvidia", "gpus", "python", "toolkit")):
        command = obj.get("command") or "?"
        raise BadInputError(
            f"the envtool report (command {command!r}) holds no host facts; "
            "use the JSON of `envtool detect --json` or `envtool diagnose --json`"
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
