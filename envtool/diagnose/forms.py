"""The forms people paste besides collect_env dumps, read line by line, each fact with its line.

nvidia-smi banners of every era (and ``-L``, ``--query-gpu`` CSV), ``/proc/driver/nvidia/version``
and dmesg ``NVRM:`` lines, ``lspci``/``lshw``, ``dpkg -l``/apt history/yum, Windows driver
versions, pip/conda/uv package lists and wheel URLs, REPL and script output, issue-template
bullets and hand-typed ``Key: value`` lines, and the signs of a container, Fabric Manager, an
``LD_LIBRARY_PATH`` or WSL. Every pattern runs on one bounded line, so the cost is linear.

Format references: nvidia-smi(1) and its banner as printed by drivers 384 to 610 (the fixtures
in the shared ``pastes/`` and ``nvidia-smi/`` folders), the NVIDIA driver README
("/proc/driver/nvidia/version"), dpkg-query(1), pip's ``list``/``freeze`` output, conda's
``list`` columns (name, version, build, channel).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from envtool.diagnose.lines import _KEYS, _MAX_KEY, _MAX_LINE, Words, _one_of, visit_lines
from envtool.diagnose.messages import cudnn_from_int
from envtool.model import Evidence
from envtool.util import release_tuple

_TEXT_MAX = 300  # an evidence line is quoted up to this many characters


@dataclass
class Told:
    """What a free-form paste told; ``signs`` maps a topic to the lines that show it."""

    driver: str | None = None
    cuda_driver: str | None = None
    nvml_library: str | None = None
    gpus: dict[int, str | None] = field(default_factory=dict)
    capabilities: dict[int, str] = field(default_factory=dict)
    pci_gpus: list[str | None] = field(default_factory=list)
    torch: str | None = None
    torch_cuda: str | None = None
    torch_hip: str | None = None
    torch_cuda_none: bool = False  # torch.version.cuda printed None
    cuda_available: bool | None = None
    cudnn: str | None = None
    nvcc: str | None = None
    python: str | None = None
    windows: bool = False
    posix_python: bool = False  # a traceback or path through a POSIX site-packages ("/home/.../site-packages/")
    macos: bool = False  # system_profiler's "Chip: Apple M2", sw_vers, a Darwin kernel, /Users/... paths
    nvidia_named: bool = False  # "NVIDIA" appears on a line read so far
    # nvidia-smi answered: its banner's version row, a driver + CUDA pair as it prints them, or a
    # --query-gpu row with the driver's version. It prints those only when NVML found a GPU.
    smi_answered: bool = False
    # A Windows driver version read before any NVIDIA GPU was named (wmic's list puts DriverVersion before Name).
    windows_driver_line: tuple[str, int] | None = None
    # Facts typed in prose ("NVIDIA Driver is 535.86", "My GPU is RTX3060", a line that is only a GPU's name,
    # a launcher's "Torch 2.0.1+cu118"): used only where no form states them (value, line, text).
    stated_driver: tuple[str, int, str] | None = None
    stated_gpu: tuple[str, int, str] | None = None
    stated_torch: tuple[str, int, str] | None = None
    packages: list[tuple[str, str, str, int]] = field(default_factory=list)  # (name, version, build, line)
    signs: dict[str, list[Evidence]] = field(default_factory=dict)
    # The line that named each GPU of ``gpus`` (by index) and of ``pci_gpus`` (in order): a list's GPUs each
    # keep their own line, where the "gpu" sign keeps only the first eight lines of all of them.
    gpu_lines: dict[int, int] = field(default_factory=dict)
    pci_lines: list[int] = field(default_factory=list)
    pci_slots: set[str] = field(default_factory=set)  # the bus addresses lspci listed (a GPU listed twice is one)
    last_gpu_line: int = 0  # the last line a reader took a GPU from (readers run in turn on each line)
    # The GPUs (by index) whose name nvidia-smi cut to fit its column ("GeForce RTX 208..."): a prefix, no model.
    cut_gpus: set[int] = field(default_factory=set)
    # The first banner whose CUDA is above its driver's own (line, text): a forward-compatibility libcuda, unless
    # the paste is a Jetson's (read_paste decides: its drivers are numbered apart from the desktop table's).
    compat_banner: tuple[int, str] | None = None
    # Where detectron2's collect_env says torch and torchvision are imported from ("PyTorch  1.4.0 @/…/torch"):
    # package -> (version, the site folder, line, text).
    imported: dict[str, tuple[str, str, int, str]] = field(default_factory=dict)
    # The last pip install of torch from one of PyTorch's per-build indexes: (its variant "cpu"/"cu121"/"rocm6.2",
    # line, text).
    index_install: tuple[str, int, str] | None = None
    # The SASS archs cuobjdump found in detectron2's or torchvision's compiled ops ("detectron2 arch flags  7.5"):
    # package -> (archs, line, text).
    arch_flags: dict[str, tuple[tuple[str, ...], int, str]] = field(default_factory=dict)
    # A REPL's torch.__version__, torch.version.cuda and torch.cuda.is_available() values in the order printed
    # (expression, value, line): a paste may show two builds, one that saw the GPU and one that did not.
    repl: list[tuple[str, str, int]] = field(default_factory=list)
    # The first half of dmesg's NVRM "API mismatch" message (the client's version, line, text), until its second.
    nvrm_client: tuple[str, int, str] | None = None
    # torch.cuda.get_arch_list()'s value printed in a REPL or by a script
    arch_list: tuple[str, ...] = ()
    # the line of an `echo $CUDA_VISIBLE_DEVICES` whose value is the next line
    cvd_echo: int | None = None
    # `pip show torch`'s "Name: torch" (the package, line) until its "Version:" line
    pip_show: tuple[str, int] | None = None
    # a traceback's `assert torch.cuda.is_available()` source line (line, text) until the AssertionError after it
    assert_available: tuple[int, str] | None = None
    # driver_own_cuda's answers for this paste (a long log repeats its banner; the table lookup is not free).
    _own_cuda: dict[str, str | None] = field(default_factory=dict)

    def sign(self, topic: str, number: int, text: str) -> None:
        lines = self.signs.setdefault(topic, [])
        if len(lines) < 8 and all(e.line != number for e in lines):
            lines.append(Evidence(line=number, text=text.strip()[:_TEXT_MAX]))

    def add_gpu(self, index: int, name: str | None, number: int, text: str) -> None:
        """GPU ``index`` named on line ``number`` (the first line to name an index wins)."""
        if index not in self.gpus:
            self.gpus[index] = name
            self.gpu_lines[index] = number
        self.last_gpu_line = number
        self.sign("gpu", number, text)

    def own_cuda(self, driver: str) -> str | None:
        if driver not in self._own_cuda:
            self._own_cuda[driver] = driver_own_cuda(driver)
        return self._own_cuda[driver]

    def add_pci_gpu(self, name: str | None, number: int, text: str) -> None:
        self.pci_gpus.append(name)
        self.pci_lines.append(number)
        self.last_gpu_line = number
        self.sign("gpu", number, text)


# --------------------------------------------------------------------------- line helpers

_PARROT = re.compile(r"[└┌][─\[\]✗\w@/.~:-]{0,200}[╼>]\s?[#$]\s?")  # Parrot/ZSH two-line prompts
_USER_HOST = re.compile(
    r"(?:\([\w.-]{1,60}\)\s*)?(?:\[\d{1,3}\]\s*)?\[?[\w.-]{1,60}@[\w.-]{1,80}[:\s][^$#%\n]{0,200}?\]?\s*[$#%]\s?"
)
_POWERSHELL = re.compile(r"PS [A-Za-z]:\\[^>]{0,200}>\s?")
_CMD = re.compile(r"[A-Za-z]:\\[^>]{0,200}>\s?")
_REPL = re.compile(r"(?:>>>|\.\.\.|In \[\d{1,5}\]:)\s")
_SHELL = re.compile(r"[$#%❯➜]\s?(?=\S)")
_XTRACE = re.compile(r"\++ (?=\S)")  # bash xtrace
_PROMPT_FIRST = frozenset("└┌([$#%❯➜+>.IP")
_BULLET = re.compile(r"(?:[-*+•]|\d{1,2}[.)])\s+")
_BULLET_FIRST = frozenset("-*+•")
_PLAIN_FIRST = _PROMPT_FIRST | _BULLET_FIRST | frozenset("`")
_BULLET_ENDS = (".", ")")  # what ends a numbered bullet's number (_BULLET)


def _prompt_end(s: str) -> int:
    """Where the prompt that opens ``s`` ends, 0 if none (nor one that would leave nothing).

    The prompts are tried in this order; each is tried only where its own first characters (or
    the "@" of user@host) are there, so most lines try one pattern or none.
    """
    first = s[0]
    if first in "└┌" and (end := _match_end(_PARROT, s)):
        return end
    if "@" in s and (end := _match_end(_USER_HOST, s)):
        return end
    if s.startswith("PS ") and (end := _match_end(_POWERSHELL, s)):
        return end
    if s[1:3] == ":\\" and (end := _match_end(_CMD, s)):
        return end
    if s.startswith((">>>", "...", "In [")) and (end := _match_end(_REPL, s)):
        return end
    if first in "$#%❯➜" and (end := _match_end(_SHELL, s)):
        return end
    if first == "+" and s.lstrip("+")[:1] == " " and (end := _match_end(_XTRACE, s)):
        return end
    return 0


def _may_prompt(s: str) -> bool:
    """Whether a test _prompt_end makes before its patterns can pass (on most "[pip3]" or "Is ..." lines none can)."""
    return s[0] in _PROMPT_OPENERS or "@" in s or s[1:3] == ":\\" or s.startswith(("PS ", ">>>", "...", "In ["))


_PROMPT_OPENERS = frozenset("└┌$#%❯➜+")


def _match_end(rx: re.Pattern[str], s: str) -> int:
    m = rx.match(s)
    return m.end() if m and m.end() < len(s) else 0


def plain(line: str) -> str:
    """One line without prompts, bullets, markdown emphasis and wrapping backticks."""
    s = line[:_MAX_LINE].strip()
    if not s:
        return s
    if (s[0] in _PROMPT_FIRST or "@" in s[:120] or ":\\" in s[:4]) and _may_prompt(s):
        for _ in range(2):
            end = _prompt_end(s)
            if not end:
                break
            s = s[end:].lstrip()
            if not s or not (s[0] in _PROMPT_FIRST or "@" in s[:120] or ":\\" in s[:4]):
                break
    if s.startswith("#- "):
        s = s[1:]  # a template's bullet commented out ("#- PyTorch Version (e.g., 2.5): 2.6.0", Lightning's)
    first = s[:1]
    if first in _BULLET_FIRST or first.isdigit():
        m = _BULLET.match(s)
        if m:
            s = s[m.end() :]
    if s.startswith("`") and s.endswith("`") and len(s) > 1:
        s = s.strip("`").strip()
    return s.replace("**", "")


def _first_value(expr: str, rest: str) -> str:
    """The first word of what a sentence says an expression gives, "false" written as Python writes it."""
    words = _value(rest).split()
    first = words[0].rstrip(".,;!?)\u3002\uff0c\uff1b\uff01\uff1f\uff09") if words else ""  # (and full-width ones)
    if expr == "torch.cuda.is_available()" and first.lower() in ("true", "false"):
        first = first.capitalize()
    return first


def _value(text: str) -> str:
    return text.strip().strip("`").strip().strip("'\"").strip()


# --------------------------------------------------------------------------- nvidia-smi

_SMI_VERSION = re.compile(
    r"NVIDIA-SMI\s+([\d.]+)\s+(?:Driver|KMD)\s+Version\s*:\s*([\d.]+)(?:\s+CUDA\s+(?:UMD\s+)?Version\s*:\s*([\d.]+))?"
)
_DRIVER_CUDA = re.compile(
    r"\bDriver\s+Version\s*[:=]?\s*(\d{3}(?:\.\d{1,3}){0,2})\b(?:.{0,40}?\bCUDA\s*(?:Version)?\s*[:=]?\s*(\d{1,2}\.\d))?",
    re.I,
)
_SMI_GPU_ROW = re.compile(
    r"^\|\s*(\d{1,2})\s+(\S.*?)\s+(?:On|Off|WDDM|TCC)\s*\|\s*[0-9A-Fa-f]{4,8}:[0-9A-Fa-f]{2}:[0-9A-Fa-f]{2}\.\d"
)
# The exclusive compute modes, as the banner abbreviates them and as -q / --query-gpu spell them. Exclusive_Thread
# (NVML's nvmlComputeMode_t: value 1, "Support Removed" in today's drivers; the 2014 banners print "E. Thread")
# lets one context, of one thread, onto the GPU: a second process is refused as under Exclusive_Process.
# "Prohibited" (no context at all) is another cause, which no rule reads yet.
_EXCLUSIVE_MODES = ("E. Process", "Exclusive_Process", "E. Thread", "Exclusive_Thread")
# What is left of a banner's border row or MIG cell row once its borders are stripped
_SMI_FILLER = frozenset(("", "Disabled", "Enabled", "N/A"))
_SMI_MODE = re.compile(r"\|\s*(?:\d{1,3}%|N/A)\s+(Default|E\. Process|E\. Thread|Prohibited|Exclusive_\w+)\s*\|")
_SMI_L = re.compile(r"^GPU\s+(\d{1,2}):\s+(\S.*?)\s*\(UUID:\s*(?:GPU|MIG)-")
_GPU_LIST = re.compile(r"^GPU\s+(\d{1,2}(?:\s*,\s*\d{1,2}){0,63})\s*:\s*(\S.*)$")
_GPU_LIST_CC = re.compile(r"^GPU\s+(\d{1,2}(?:\s*,\s*\d{1,2}){0,63})\s+Compute Capability\s*:\s*(\d{1,2}\.\d)")
_NVML_LIB = re.compile(r"NVML library version\s*:\s*([\d.]+)")
_NVRM_VERSION = re.compile(
    r"NVRM version:\s*NVIDIA\b.{0,80}?Kernel Module(?:\s+for\s+\S+)?\s+(\d{3}\.\d{1,3}(?:\.\d{1,3})?)"
)
_NVRM_API = re.compile(
    # rsyslog writes the message's line breaks as "#012" ("but#012NVRM: this kernel module", a syslog line)
    r"API mismatch: the client has the version ([\d.]+), but(?:\s|#012)+(?:NVRM:\s*)?this kernel module has the "
    r"version ([\d.]+)",
    re.I,
)
# ... as dmesg prints it, over two lines: "NVRM: API mismatch: the client has the version 535.183.01, but" and
# "NVRM: this kernel module has the version 535.161.08.  Please" (open-gpu-kernel-modules, nv.c)
_NVRM_CLIENT = re.compile(r"API mismatch: the client has the version ([\d.]+), but\s*$", re.I)
_NVRM_MODULE = re.compile(r"^(?:NVRM:\s*)?this kernel module has the version ([\d.]+)", re.I)
_NVRM_FAIL = re.compile(
    r"NVRM: (?:The NVIDIA probe routine was not called|No NVIDIA graphics adapter probed|RmInitAdapter failed"
    r"|failed to|GPU .{0,40}has fallen off the bus|request_mem_region failed)",
    re.I,
)
_CSV_FIELDS = frozenset(
    {"index", "name", "driver_version", "compute_cap", "compute_mode", "uuid", "pci.bus_id", "memory.total"}
)

# --------------------------------------------------------------------------- PCI, packages, Windows

_LSPCI = re.compile(
    r"(?:VGA compatible controller|3D controller|Display controller)(?: \[[0-9a-f]{4}\])?:\s*NVIDIA Corporation\s*(.*)$"
)
_PCI_SLOT = re.compile(r"(?:[0-9a-fA-F]{4}:)?([0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7])\s")  # lspci's "0000:5a:00.0 "
_DPKG = re.compile(r"^(?:ii|hi|iU|rc)\s+(\S+)\s+(\S+)\s+(?:\S+)\s")
_DRIVER_PKG = re.compile(
    r"^(?:nvidia-driver|libnvidia-compute|nvidia-utils|nvidia-kernel-common|libnvidia-gl)-(\d{3})\b"
)
# The driver's user-space packages, whose version is the driver's (Debian's nvidia-smi, libnvidia-ml1 and libcuda1
# "525.85.12-1", Ubuntu's nvidia-utils-525 and libnvidia-compute-525 "525.85.12-0ubuntu1"): NVML refuses to run when
# it differs from the loaded kernel module's ("Driver/library version mismatch").
_USERSPACE_PKG = re.compile(
    r"^(?:nvidia-smi|libnvidia-ml1|libcuda1|nvidia-utils(?:-\d{3})?|libnvidia-compute(?:-\d{3})?)(?::\w+)?$"
)
_USERSPACE_VERSION = re.compile(r"^(?:\d+:)?(\d{3}\.\d{1,3}(?:\.\d{1,3})?)(?:-|$)")
_APT_UPGRADE = re.compile(r"^Upgrade:.{0,400}?\b((?:lib)?nvidia-[\w.-]{0,60}?)(?::\w+)?\s+\(([\d.]+)[^,)]*,\s*([\d.]+)")
_YUM_DRIVER = re.compile(r"^(cuda-drivers|nvidia-driver[\w-]*|kmod-nvidia[\w-]*)\.\w+\s+(\d{3}[\d.]*)")
_WIN_DRIVER = re.compile(r"\b(\d{2})\.\d{1,2}\.(\d{2})\.(\d{4})\b")
_PKG_EQ = re.compile(r"^([A-Za-z0-9][\w.-]{0,80})\s*==\s*(\S{1,80})\s*$")
# conda list's columns: name version build channel (conda 4.x printed a features column, "[cpuonly]", before it).
_PKG_COLS = re.compile(
    r"^([A-Za-z0-9_][\w.-]{0,80})\s+(\d[\w.+!-]{0,80})(?:\s+(\S{1,200}))?(?:\s+\[[\w ,.-]{1,40}\])?"
    r"(?:\s+(\S{1,200}))?\s*$"
)
_CONDA_SPEC = re.compile(r"^([A-Za-z0-9][\w.-]{0,80})=(\d[\w.+!]{0,80})(?:=(\S{1,200}))?\s*$")
_CONDA_CHANGE = re.compile(
    r"^([A-Za-z0-9][\w.-]{0,80})\s+(?:[\w./-]{1,80}::)?\S{1,300}\s+-->\s+(?:[\w./-]{1,80}::)?(\S{1,300})\s*$"
)
_CONDA_PLAN = re.compile(r"^([A-Za-z0-9][\w.-]{0,80})\s+[\w.-]{1,80}/[\w-]{1,40}::(\S{1,300})\s*$")
_INTERESTING = re.compile(
    r"^(?:torch|pytorch|pytorch-cuda|pytorch-mutex|pytorch-nightly|cpuonly|cudatoolkit|torchvision|transformers"
    r"|pynvml|nvidia-ml-py|nvidia-[\w-]+)$"
)
_PACKAGE_FIRST = ("torch", "pytorch", "nvidia", "cpuonly", "cudatoolkit", "transformers", "pynvml")
_SYSTEM_FIRST = ("ii ", "hi ", "iU ", "rc ", "Upgrade:", "cuda-drivers", "nvidia-driver", "kmod-nvidia")
# A wheel's file name, in a URL or alone ("torchvision-0.11.1-cp36-cp36m-manylinux1_x86_64.whl").
_WHEEL = re.compile(
    r"(?:^|[/\s`'\"])(?:whl/(?:nightly/)?(cu\d{2,3}|cpu|rocm[\d.]+)/)?(torch|torchvision)-(\d[\w.]*?)"
    r"(?:(?:%2B|\+)([\w.]+))?-cp\d"
)

# the wheel's platform tag and the size pip prints after its name ("-cp311-cp311-win_amd64.whl (192.3 MB)")
_WHEEL_SIZE = re.compile(r"-(win_amd64|(?:many)?linux\w*_x86_64)\.whl\s+\((\d{1,4}(?:\.\d)?) MB\)")

# --------------------------------------------------------------------------- REPL and key/value lines

# torch's is_available() called without the package's name (`from torch import cuda`, or prose).
_BARE_CUDA_CALL = re.compile(r"(?<![\w.])cuda\.is_available\(\)")
# "torch.cuda.is_available" typed without its call, then what it gave ("when I checked "torch.cuda.is_available",
# it returned false"): the call (only with a value after it: a name in prose is no question asked)
_UNCALLED_AVAILABLE = re.compile(r"\btorch\.cuda\.is_available\b(?!\s*\()")
_EXPR = re.compile(
    r"torch\.__version__|torch\.version\.cuda|torch\.version\.hip|torch\.cuda\.is_available\(\)"
    r"|torch\.backends\.cudnn\.version\(\)|torch\._C\._cuda_getDriverVersion\(\)|torch\.backends\.mps\.is_available\(\)"
    r"|torch\.cuda\.get_arch_list\(\)|torch\.cuda\.get_device_name\(\s*\d?\s*\)"
)
_ARCH_LIST = "torch.cuda.get_arch_list()"
_ARCH_TOKENS = re.compile(r"\b(?:sm|compute)_\d{2,3}[a-z]?\b")
# (返回/返回值为/输出/结果为: Chinese for "returns", "prints", "the result is")
_SAME_LINE_VALUE = re.compile(
    r"^\)*[`'\"]*\s*(?:,\s*(?:and\s+)?(?:it|that|which|this)\s+)?(?:→|->|=>|:|=|returned|returning|returns?|gives|giving|gave|is|prints|printed|shows|outputs|返回(?:值)?(?:为|是)?|输出(?:为|是)?|结果(?:为|是))\s*(\S.*)$",
    re.I,
)
_ATOM = re.compile(r"^(?:'[^']{0,80}'|\"[^\"]{0,80}\"|True|False|None|\d[\w.+]{0,40})$")
_NVCC = re.compile(r"Cuda compilation tools, release (\d{1,2}\.\d)")
_CONDA_CUDA = re.compile(r"(?:^|[\s:])__cuda=(\d{1,2}\.\d{1,2})(?:=|\s|$)")
_LD_PATH = re.compile(r"\bLD_LIBRARY_PATH\s*=\s*['\"]?([^\s'\"]{1,4000})")
_SYSTEM_CUDA_DIR = re.compile(r"/cuda[\w.-]*/|/cudnn|/cuda/lib|/cuda-\d", re.I)

_NVIDIA_BRANDS = ("NVIDIA", "Tesla", "GeForce", "Quadro", "TITAN")
_GPU_KEYS = frozenset(
    {
        "gpu",
        "gpus",
        "gpu model",
        "gpu models",
        "graphics card",
        "video card",
        "gpu type",
        "显卡",
        "gpu configuration",
        "gpu model and configuration",
        "graphics",
    }
)
_TORCH_KEYS = frozenset(
    {
        "pytorch",
        "torch",
        "torch version",
        "pytorch version",
        "torch.__version__",
        "pytorch版本",
        "torch版本",
        "pytorch 版本",
    }
)
_KV_KEYS = frozenset(
    {"compute mode", "name", "product name", "cuda available", "python", "python version", "nvcc version", "nvcc"}
)

# --------------------------------------------------------------------------- containers, Fabric Manager, WSL

_COMPOSE = re.compile(
    r"^(?:Creating|Starting|Recreating|Attaching to)\s+\S{1,200}(?:\s+\.\.\.\s+done)?$|\bexited with code \d+"
)
_DOCKER_RUN = re.compile(r"\b(?:docker|podman|nerdctl)(?:-compose|\s+compose)?\s+(?:container\s+)?run\b")
# nvidia-docker (v1, and v2's wrapper) always runs with the NVIDIA runtime.
_GPU_FLAG = re.compile(
    r"--gpus\b|--runtime[= ]nvidia|--device[= ]nvidia\.com/gpu|NVIDIA_VISIBLE_DEVICES|\bnvidia-docker\b"
)
_GPU_REQUEST = re.compile(r"capabilities:\s*\[\s*\[?\s*['\"]?gpu|^driver:\s*nvidia\b|runtime:\s*nvidia\b")
# Docker names a container's host after the first 12 hex digits of its id ("coder@15a2d07c1ad2:~$",
# coder/code-server#922)
_CONTAINER_PROMPT = re.compile(r"^[a-z_][\w.-]{0,31}@[0-9a-f]{12}:|/\.dockerenv\b")
_APT_INSTALL = re.compile(r"\b(?:apt|apt-get|aptitude)\s+(?:-[\w-]{1,30}\s+){0,6}install\b")
# Ubuntu's driver packages name their branch: nvidia-driver-535(-server|-open), nvidia-utils-510,
# nvidia-headless(-no-dkms)-535; a package of a newer series ("nvidia-driver-535-server") is the same branch.
_BRANCH_PKG = re.compile(
    r"\bnvidia-(?:driver|utils|headless(?:-no-dkms)?)-(\d{3})(?:-server|-open|-server-open)?\b(?![.\d])"
)
# nvidia-smi missing: bash's and zsh's messages, cmd's, and a clause that quotes bash's ("`nvidia-smi` gives
# command not found"; not across a comma or a full stop, which may start another command's clause)
_NO_SMI = re.compile(
    r"nvidia-smi(?::\s*(?:command )?not found|\S{0,2}\s[^\n,;.\uff0c\u3002]{0,60}?\bcommand not found)"
    r"|'nvidia-smi' is not recognized"
    r"|exec: \\?\"nvidia-smi\\?\": executable file not found"  # runc's, when a container was given no driver files
    r"|executable file `nvidia-smi` not found"  # crun's (podman), NVIDIA/nvidia-container-runtime#190
)
# The report says nvidia-smi is missing inside the container ("so `nvidia-smi` is unavailable inside the container",
# "inside the container nvidia-smi is not found"): the container was given no driver files
_ABSENT = (
    r"(?:is\s+)?(?:unavailable|not available|not found|missing|not present|does(?:n't| not) exist|returns nothing)"
)
_CONTAINER = r"(?:the\s+|a\s+|my\s+)?(?:docker\s+)?container\b"
_IN_CONTAINER = r"\b(?:in|inside)\s+" + _CONTAINER
_SMI_ABSENT_INSIDE = re.compile(
    r"nvidia-smi`?\s+"
    + _ABSENT
    + r"\s+(?:from|in|inside)\s+"
    + _CONTAINER
    + "|"
    + _IN_CONTAINER
    + r",?\s+`?nvidia-smi`?\s+"
    + _ABSENT,
    re.I,
)
# The report says nvidia-smi answers inside the container ("I have good nvidia-smi in the docker container", "In the
# container, "nvidia-smi,nvcc -V" worked"): the container has the GPU's control devices, whatever torch says there
_NOT = r"(?:(?!n't|\bnot\b|\bno\b|\bnever\b)[^.\n])"
_SMI_WORKS_INSIDE = re.compile(
    _IN_CONTAINER
    + _NOT
    + r"{0,30}?\bnvidia-smi\b"
    + _NOT
    + r"{0,30}?\b(?:works?|worked|runs|ran|shows|showed|is fine)\b"
    + r"|\b(?:good|working)\s+`?nvidia-smi`?\s+"
    + _IN_CONTAINER
    + r"|\bnvidia-smi\b"
    + _NOT
    + r"{0,20}?\b(?:works?|worked|runs|ran|is fine)\b"
    + _NOT
    + r"{0,20}?"
    + _IN_CONTAINER,
    re.I,
)
# A CDI spec (`nvidia-ctk cdi generate`, /etc/cdi/nvidia.yaml): its version line and the device nodes it gives
_CDI_VERSION = re.compile(r"^cdiVersion\s*:\s*['\"]?\d")
_CDI_NODE = re.compile(r"^-?\s*path\s*:\s*['\"]?(/dev/nvidia[\w-]*)")
# docker-compose before 1.28 rejects a GPU request: "services.app.deploy.resources.reservations value Additional
# properties are not allowed ('devices' was unexpected)" (Sygil-Dev/sygil-webui#490; compose 1.28.0 added
# device requests)
_FABRIC = re.compile(r"fabric\s?manager|nv-fabricmanager", re.I)
_FABRIC_BAD = re.compile(
    r"fail|error|don'?t match|not match|mismatch|inactive|dead|not running|not started|exited|timed out"
    r"|not installed|missing",
    re.I,
)
_CUDA_802 = re.compile(r"\b(?:error\s*:?\s*802|802\s+(?:system\s+)?error)\b", re.I)
_WSL = re.compile(
    r"/usr/lib/wsl\b|microsoft-standard-WSL|\b(?:WSL|wsl|Wsl)2?\b|^/mnt/[a-z]/|\s/mnt/[a-z]/|\"/mnt/[a-z]/"
)
# macOS's own lines and a Mac named in prose: one pattern per kind of line, each tried only where a word it must
# match is on the line (one pattern of every branch tried each branch at every position of a long line).
_MACOS_HEAD = re.compile(
    r"Chip:\s*Apple M\d|ProductName:\s*(?:macOS|Mac OS X)\b|(?:System Version|OS):\s*macOS\b"
    r"|OS\s*:\s*(?i:mac\s?os(?:\s?x)?|mac|os\s?x)\s*\d{2}\b"  # a template's "- OS: mac 13.0"
    # a hand-typed line that opens with macOS and its version ("- MacOS 12.5 M1 Pro chip", AbdBarho/stable-diffusion-
    # webui-docker#35; "Mac OS X 10.15.7")
    r"|(?i:mac\s?os(?:\s?x)?)\s+(?:10\.\d{1,2}|1[1-5]|26)(?:\.\d{1,2}){0,2}\b"
    # system_profiler's displays section ("Chipset Model: Apple M2", "Metal Support: Metal 4": only macOS prints it)
    r"|Chipset Model:\s*Apple M\d|Metal (?:Support|Family):"
)  # (matched at the line's start)
_DARWIN = re.compile(r"\bDarwin Kernel Version\b")
_MAC_HOME = re.compile(r"(?:^|[\s\"'(])/Users/[^/\s]+/")
_MACOS_WHEEL = re.compile(r"\bmacOS-\d{1,2}\.\d{1,2}(?:\.\d{1,2})?-(?:arm64|x86_64)\b")
# an application bundle's path ("/Applications/ComfyUI.app/Contents/Resources/...")
_APP_BUNDLE = re.compile(r"/Applications/[^/\n]{1,80}\.app/Contents/")
# a Mac named in prose: "on an M1 MBP", "my M2 Max MacBook Pro", "a MacBook Air", "Mac mini M4"
_MAC_NAMED = re.compile(
    r"\bM\d{1,2}(?:\s+(?:Pro|Max|Ultra))?\s+(?:MBP|MacBook|Mac\s?(?:mini|Studio|Pro)?|iMac)\b|\bMacBook\s+(?:Pro|Air)\b"
    r"|\b(?:MacBook(?:\s+(?:Pro|Air))?|Mac\s?(?:mini|Studio|Pro)|iMac)\s+\(?M\d{1,2}\b"
)
# "my macbookpro is M1 chip" (myshell-ai/MeloTTS#40), "MacBook Pro with the M3 Max"
_MACBOOK_CHIP = re.compile(r"\b(?i:mac\s?book(?:\s?(?:pro|air))?)\b[^\n]{0,30}?\bM\d{1,2}\b(?![.\d])")


def _says_macos(s: str) -> bool:
    """Whether ``s`` is one of macOS's own lines (system_profiler, sw_vers, a Darwin kernel, a home folder, Homebrew, a
    wheel's platform tag, an application bundle) or names a Mac in prose."""
    if _MACOS_HEAD.match(s):
        return True
    if "/opt/homebrew/" in s:
        return True
    if "Darwin Kernel Version" in s and _DARWIN.search(s):
        return True
    if "/Users/" in s and _MAC_HOME.search(s):
        return True
    if "macOS-" in s and _MACOS_WHEEL.search(s):
        return True
    if "/Applications/" in s and _APP_BUNDLE.search(s):
        return True
    if ("Mac" in s or "MBP" in s) and _MAC_NAMED.search(s):
        return True
    low = s.lower()
    return "book" in low and "mac" in low and _MACBOOK_CHIP.search(s) is not None


# Prose and launcher lines, each bounded and anchored on a word: "NVIDIA Driver is 535.86", "the nvidia driver
# is 535" (a branch), "My GPU is RTX3060", a line holding only a GPU's name, kohya's "INFO  Torch 2.0.1+cu118".
_PROSE_DRIVER = re.compile(
    r"\b(?:nvidia\s+)?driver(?:\s+version)?\s+(?:is|=)\s+(?:version\s+)?(\d{3}(?:\.\d{1,3}){0,2})\b(?!\.?\d)", re.I
)
_GPU_MODEL = (
    r"(?:NVIDIA\s+|Nvidia\s+)?(?:(?:GeForce|Quadro|TITAN)\s+[\w -]{2,40}?|(?:GeForce\s+)?(?:RTX|GTX)\s?\d{3,4}"
    r"(?:\s?(?:Ti|SUPER|Super))?(?:\s+(?:Laptop|laptop|Mobile|mobile)(?:\s+GPU)?)?|Tesla\s+[A-Z]\d{1,3}\w*"
    r"|(?:GH|[AHLB])\d{2,3}(?:[\s-]?(?:PCIe|PCIE|SXM\d?|NVL))?(?:[\s-]\d{2,3}GB)?(?:\s+HBM\de?)?)"
)
# A GPU the reporter calls theirs ("dont work with my V100", "on our A100s", "my RTX 3090 shows"): a name the knowledge
# table knows
_OWN_GPU = re.compile(
    r"\b(?:my|our|I have(?: an?)?)\s+(?:new\s+|old\s+)?([^\s.,;:!?()]+(?: [^\s.,;:!?()]+){0,6})", re.I
)
# A build for CUDA 13 the report names ("the cuda13 images", "-cuda13 tag", "CUDA 13 containers"): nvcc 13 no longer
# builds for Maxwell, Pascal or Volta (CUDA 12.8's release notes, "Deprecated Architectures": offline compilation
# for them "will be removed in the next major CUDA Toolkit version release"; NVIDIA/cuDecomp#97: "CUDA 13.0 dropped
# support for Volta (SM70)")
_CUDA13_BUILD = re.compile(
    r"\bcuda[\s_-]?13(?:\.\d)?\b[\s\w-]{0,12}?\b(?:images?|containers?|builds?|tags?|wheels?|binar(?:y|ies)|backends?)\b"
    r"|\b(?:images?|containers?|builds?|tags?|wheels?|binar(?:y|ies)|backends?)\s+(?:for|f\u00fcr|with|of)\s+cuda[\s_-]?13\b"
    r"|[\w.-]+[:-]\S*\bcuda-?13\b",
    re.I,
)
_BUILD_TAGGED = re.compile(r"(?<![\w.+=~<>-])([12]\.\d{1,2}\.\d{1,2})\+(cpu|cu\d{2,3})\b")
_COMPANION = re.compile(r"torch\s*vision|torch\s*audio|torchtext|xformers|torch-?scatter|torch-?sparse", re.I)
_CUDA13_NAMES = ("uda13", "UDA13", "uda 13", "UDA 13", "uda-13", "UDA-13", "uda_13")
_PROSE_GPU = re.compile(r"\b(?:my|the|our)\s+GPU\s+is\s+(?:an?\s+)?(" + _GPU_MODEL + r")(?=[\s,.;)]|$)", re.I)
# The same facts in Chinese or Japanese prose, whose clauses a full-width comma parts: "驱动版本 535.54.03" (driver
# version), "显卡是 RTX 4090" (the graphics card is), "torch 版本 2.1.0+cu121" (version); 是/为/為/は: "is"
_CJK_IS = r"(?:是|为|為|は|が|:)?\s*"
_CJK_DRIVER = re.compile(
    r"(?:驱动|驅動|ドライバー?)(?:程序)?(?:版本|バージョン)?\s*" + _CJK_IS + r"(\d{3}\.\d{1,3}(?:\.\d{1,3})?)(?![.\d])"
)
_CJK_GPU = re.compile(
    r"(?:显卡|顯示卡|GPU)(?:型号|型號)?\s*(?:是|为|為|は|が)\s*(?:一块|一張|一个)?\s*(" + _GPU_MODEL + ")"
)
_CJK_TORCH = re.compile(
    r"\b(?:py)?torch\s*(?:的)?(?:版本|バージョン)\s*"
    + _CJK_IS
    + r"(\d{1,2}\.\d{1,2}(?:\.\d{1,3})?(?:\+(?:cu\d{2,3}|cpu|rocm[\d.]+))?)",
    re.I,
)
_JETSON_BOARD = re.compile(
    r"\bjetson[\s-]+((?:agx\s+)?(?:orin(?:\s+(?:nano|nx))?|xavier(?:\s+nx)?|thor)|nano|tx2)\b"
    r"|(?<![\w-])(agx[\s-]+(?:orin|xavier|thor))\b",  # ("AGX" names only NVIDIA's Jetson and DRIVE boards)
    re.I,
)
_JETSON_WORDS = {"agx": "AGX", "nx": "NX", "tx2": "TX2"}
_TORCH_WORD = re.compile(r"\b(?:py)?torch\b(?![/\\._-])", re.I)
# What _TORCH_WORD needs, in the lowered line: "torch" not followed by a word character or one of its exclusions. A
# literal's fast search, where _TORCH_WORD (case-blind, a word boundary first) steps through every position: a log
# that names torch.cuda on every line fails it at once.
_TORCH_END = re.compile(r"torch(?![\w/\\.-])")
_BARE_GPU = re.compile(r"^(" + _GPU_MODEL + r")\s*$")
_BARE_GPU_LINE = re.compile(r"^(" + _GPU_MODEL + r")(?:,?\s*\d{1,3}\s?GB)?\s*$")  # "RTX 4050 Laptop GPU, 6 GB"
# A hand-typed line that is only the driver and its version ("NVIDIA driver 550.163.01"; T-Rex's banner "NVIDIA Driver
# v440.100")
_DRIVER_LINE = re.compile(r"^(?:NVIDIA\s+)?[Dd]river(?:\s+[Vv]ersion)?\s+v?(\d{3}\.\d{1,3}(?:\.\d{1,3})?)\s*$")
# A markdown table's row of two cells ("| Driver | 595.84 |"), read as the key and its value
_MD_ROW = re.compile(r"^\|\s*([^|:]{1,40}?)\s*\|\s*([^|]{1,200}?)\s*\|$")
# name=value pairs a script prints ("torch=2.14.0+cu130 | torch_cuda=13.0 | cuda_available=False")
# (the name's run is possessive: a shorter one is followed by a name character, which neither "()", a blank nor "="
# is, so giving characters back never makes a match)
_ASSIGNED = re.compile(r"(?<![\w.=])([A-Za-z_][\w.]{0,40}+(?:\(\))?)\s?=\s?([^\s|,;=]{1,60})(?=[\s|,;]|$)")
_CVD = re.compile(r"(?:^|[\s;(])CUDA_VISIBLE_DEVICES=(?P<value>\"[^\"]{0,40}\"|'[^']{0,40}'|[^\s;]{0,40})(?=\s|;|$)")
# A program setting it for itself: os.environ["CUDA_VISIBLE_DEVICES"] = '1'
_CVD_PYTHON = re.compile(r"environ\[\s*['\"]CUDA_VISIBLE_DEVICES['\"]\s*\]\s*=\s*(['\"])(?P<value>[^'\"]{0,40})\1")
_CVD_EXPORT = re.compile(r"\bexport\s+CUDA_VISIBLE_DEVICES\b")
# A shell assignment typed as its own command ("CUDA_VISIBLE_DEVICES=1,2,3 ; echo ..."): not `env`'s output, which
# ends its line with the value, nor a command's prefix ("CUDA_VISIBLE_DEVICES=1 python train.py"), which passes it.
_CVD_UNEXPORTED = re.compile(r"CUDA_VISIBLE_DEVICES=(\"[^\"]{0,40}\"|'[^']{0,40}'|[^\s;&|'\"]{1,40})\s*(?:;|&&)")
_ECHO_CVD = re.compile(r"^(?:\S+[$#]\s*)?echo \$CUDA_VISIBLE_DEVICES\s*$")
_ASSIGNED_TORCH = frozenset(("torch", "torch_version", "torch.__version__", "torch_ver"))
_ASSIGNED_CUDA = frozenset(("torch_cuda", "torch.version.cuda", "cuda_version", "torch_cuda_version"))
_ASSIGNED_AVAILABLE = frozenset(("cuda_available", "torch.cuda.is_available()", "is_available", "cuda_is_available"))
_ASSIGNED_NAMES = tuple(_ASSIGNED_TORCH | _ASSIGNED_CUDA | _ASSIGNED_AVAILABLE)
_ASSIGNED_LONGEST = max(map(len, _ASSIGNED_NAMES))
_BARE_STARTS = ("NVIDIA", "Nvidia", "GeForce", "Quadro", "Tesla", "TITAN", "RTX", "GTX")
# An Apple M-series chip named alone ("M1 Max", "Apple M2"): Apple silicon's GPU, never an NVIDIA one.
APPLE_CHIP_NAME = re.compile(r"(?:Apple\s+)?M\d{1,2}(?:\s+(?:Pro|Max|Ultra))?(?:\s+chip)?$", re.I)
_RTX_SPACE = re.compile(r"\b(RTX|GTX)(\d)")
_TI_SPACE = re.compile(r"\b(\d{3,4}) ?(?:TI|Ti|ti)\b")
# Prose that tells of torch's driver message ("the msg is that my Nvidia version is too old", "my driver is too
# old"); a question ("is my driver too old?") tells nothing.
# A report that the GPU stops working after the machine slept: "After resuming from suspension, NVIDIA GPU
# functionality ... stops working" (NVIDIA/nvidia-container-toolkit#1155), "CUDA fails after waking from sleep"
_AFTER_SUSPEND = re.compile(
    r"\b(?:after|since|when|upon|on|every|each)\b[^.]{0,40}?\b(?:resum\w*|wak\w*|com\w* back)\b[^.]{0,25}?"
    r"\b(?:suspen\w*|sleep|hibernat\w*|standby)"
    r"|\bafter\s+(?:a\s+|the\s+)?(?:system\s+|laptop\s+|pc\s+|computer\s+|machine\s+)?(?:suspen\w*|sleep|hibernat\w*)",
    re.I,
)
_BROKEN = re.compile(
    r"\b(?:stops?|stopped|not|no longer|fails?|failed|failing|lost|loses|can'?t|cannot|unable|broken|breaks|"
    r"disappears?|falls? back|missing|error)\b",
    re.I,
)
# A container image built for a Jetson's L4T and its release: NVIDIA's "nvcr.io/nvidia/l4t-base:r32.4.3",
# "l4t-pytorch:r32.5.0-pth1.7-py3", jetson-containers' "dustynv/ros:noetic-pytorch-l4t-r32.5.0"
_L4T_IMAGE = re.compile(r"\bl4t-[\w-]*?:r(\d{2}\.\d{1,2}(?:\.\d{1,2})?)|\bl4t-r(\d{2}\.\d{1,2}(?:\.\d{1,2})?)\b")
# JetPack named with a version ("JetPack 5.1.2", "Jetpack<6", "jetpack version 4.6"): NVIDIA's SDK for Jetson
# boards only, so the machine is a Jetson
_JETPACK = re.compile(r"\bjetpack\s*(?:[<>=≤≥]=?|v(?:ersion)?)?\s*\d{1,2}(?:\.\d{1,2}){0,2}\b", re.I)
# pip asked for torch from the default index: no index, find-links or wheel file on the line
_PYPI_TORCH = re.compile(r"\bpip3?\s+install\s+(?:-[\w-]+\s+)*(?:torch|pytorch)(?:[<>=~!]=?[\w.]+)?(?=[\s`'\x22]|$)")
_OTHER_INDEX = re.compile(r"--(?:extra-)?index-url|--find-links|\s-[if]\s|\.whl\b|/whl/")
_NCCL_BUILT = re.compile(r"NCCL version \d+\.\d+\.\d+\+cuda(\d{1,2}\.\d)")
# A shell prompt on a Mac's default host name ("me@MY-MBP ULTRA %", "jo@Jos-MacBook-Pro ~ %"; plain() takes the prompt
# off the line, so it is looked for in the line as pasted)
_MAC_PROMPT = re.compile(r"\b[\w.-]+@[\w-]*(?:MBP|MacBook|iMac|Mac-mini|Mac-Studio)[\w.-]*[ :]")
# A cuDNN DLL named with its major ("cudnn_ops_infer64_9.dll"); paste_rules reads the DLL an error wants with it too
CUDNN_DLL_MAJOR = re.compile(r"cudnn\w*?64_(\d{1,2})\.dll", re.I)
_TOLD_TOO_OLD = re.compile(
    r"\b(?:nvidia|driver)(?:'s)?(?:\s+driver)?(?:\s+version)?\s+(?:is|was|seems(?:\s+to\s+be)?|being)\s+too\s+old\b(?![^?]*\?)",
    re.I,
)
# A reporter saying the machine has no (NVIDIA) GPU: "I don't have a GPU", "we do not have any NVIDIA graphics card",
# "my laptop has no dedicated GPU" (not "no GPU found", which is a symptom).
_TOLD_NO_GPU = re.compile(
    r"\b(?:I|we)\s+(?:don'?t|do not|dont|didn'?t|did not)\s+have\s+(?:an?\s+|any\s+)?"
    r"(?:NVIDIA\s+|dedicated\s+|discrete\s+)?"
    r"(?:GPU|graphics? card|video card)s?\b(?!\s*(?:problem|issue|error|driver|memory|support|access|-))"
    r"|\bhas\s+no\s+(?:NVIDIA\s+|dedicated\s+|discrete\s+)?(?:GPU|graphics card)s?\b"
    r"(?!\s*(?:problem|issue|error|driver|-))",
    re.I,
)
# Linux's name for 64-bit Arm, as a word (not inside "manylinux2014_aarch64" wheel names or paths).
_AARCH64_TOLD = re.compile(r"(?<![\w/.-])aarch64(?![\w/.-])")
# The report says the torch it got is the CPU build: "the CPU version of torch", "torch's CPU-only build", "CPU-only
# torch" (a question, "is it the CPU version of torch?", still says what the reporter sees).
_CPU_TORCH_TOLD = re.compile(
    r"\bCPU[\s-]+(?:only\s+)?(?:version|build|wheel|variant)s?\s+of\s+(?:py)?torch\b"
    r"|\b(?:py)?torch(?:'s)?\s+(?:\S+\s+){0,3}?CPU[\s-]+only\s+(?:version|build|wheel)\b|\bCPU-only\s+(?:py)?torch\b",
    re.I,
)
# The machine or image a report says is AMD's ROCm one: "the ROCm image", "installed with ROCm support", "rocm/pytorch",
# a "-rocm6.2" tag (not a torch version's "+rocm6.2" local tag, which the package readers take).
_ROCM_TOLD = re.compile(
    r"\bROCm\s+(?:docker\s+)?(?:images?|containers?|version|support|builds?|install(?:ation)?|machine|host)\b"
    r"|\bwith\s+ROCm\b|\brocm/(?:pytorch|dev-ubuntu|rocm-terminal)\b|[-:]rocm\d",
    re.I,
)
# No /dev/kfd, as ls prints it or in a report's words (the AMD GPU driver's device is not there).
_KFD_ABSENT = re.compile(
    r"/dev/kfd'?:? No such file or directory|\bno\s+(?:/dev/)?kfd\b(?:\s+(?:folder|device|file|node))?\s+(?:in|under)"
    r"\s+/dev\b|/dev/kfd\s+(?:does not|doesn't|did not|didn't)\s+exist|\bno\s+/dev/kfd\b",
    re.I,
)
# The GPUs' exclusive compute mode in a report's words ("exclusive GPU", "GPUs in exclusive process mode", "compute
# mode set to exclusive"); "mutually exclusive" options are no mode.
_EXCLUSIVE_TOLD = re.compile(
    r"(?<!mutually )\bexclusive[`'\"]?(?:[\s_-]+(?:process|thread))?[\s_-]+(?:GPUs?|compute|mode)\b"
    r"|\b(?:GPU|compute)\s+mode\s+(?:is\s+|set\s+to\s+|=\s*|:\s*)?[`'\"]?exclusive",
    re.I,
)
# A machine the report says has no GPU: "a normal EC2 without GPU", "on a server without any NVIDIA GPUs".
_WITHOUT_GPU = re.compile(
    r"\b(?:machines?|computers?|PCs?|laptops?|servers?|instances?|EC2|VMs?|hosts?|nodes?|box|desktops?)\b"
    r"[^.,;:!?]{0,24}?\bwithout\s+(?:an?\s+|any\s+)?(?:NVIDIA\s+|dedicated\s+|discrete\s+)?GPUs?\b"
    r"(?!\s*(?:problem|issue|error|driver|memory|support|access|-))",
    re.I,
)
_KERNEL_REPORTED = re.compile(r"\bkernel reported version is:?\s*(\d{3}\.\d{1,3}(?:\.\d{1,3})?)")
# "pip3 install torch torchvision --index-url https://…/whl/cpu" (also -i, the extra index option, -f, --find-links, the
# nightly indexes): PyTorch's per-build index, whose wheels are all of that build.
_INDEX_INSTALL = re.compile(
    r"\binstall\b.*\btorch\b.*(?:--(?:extra-)?index-url|--find-links|\s-i|\s-f)[= ]\S*?/whl/(?:nightly/)?"
    r"(cpu|cu\d{2,3}|rocm\d+(?:\.\d+)*)\b",
    re.I,
)
# ("PyTorch 2.8.0 + cu129" with the plus spaced, as typed in prose, too)
_STATED_TORCH = re.compile(
    r"\b(?:Py)?Torch\s+(\d{1,2}\.\d{1,2}(?:\.\d{1,3})?)\s?\+\s?(cu\d{2,3}|cpu|rocm[\d.]+)(?=\s|$|[.,;)*])"
)
# A hand-typed hardware list, one item a GPU's name: "Setup: i7-8750H, GTX 1070, 16 GB RAM."
_SPEC_ITEM_GPU = re.compile(r"^(?:(?:NVIDIA\s+)?(?:GeForce\s+)?(?:RTX|GTX)\s?\d{3,4}(?:\s?(?:Ti|SUPER|Super))?)$")
_ELIDED = re.compile(r"\s*\((?:\.{3}|\u2026|UUID:[^)]*)?\)\s*$")
_POSIX_SITE = re.compile(r"(?:^|[\s\"'(])/[\w.~-]+/\S*?(?:site|dist)-packages/")
# Kubernetes named: a distribution, its CLI or agent, or a manifest's kind.
_K8S = re.compile(
    r"\b(?:[Kk]ubernetes|kubectl|kubelet|k8s|k3s|k0s|microk8s|rke2)\b|^kind:\s*(?:Pod|Deployment|DaemonSet|Job|StatefulSet)\b"
)
_POD_GPU = re.compile(r"^[-\s]*nvidia\.com/gpu\s*:\s*['\"]?\d")  # a pod spec's resources.limits entry
_RUNTIME_CLASS = re.compile(r"^[-\s]*runtimeClassName\s*:\s*\S")
_DEFAULT_RUNTIME = re.compile(r"^default_runtime_name\s*=\s*[\"']([\w.-]{1,40})[\"']")  # containerd's config.toml
# An ldd result line of a CUDA toolkit library (not the driver's libcuda / libnvidia-*, which live in the system):
# "libnvJitLink.so.12 => /usr/local/cuda-12.1/lib64/libnvJitLink.so.12 (0x000070ddad800000)".
_LDD_CUDA = re.compile(
    r"^(lib(?:cublas\w*|cudart|cudnn\w*|cufft\w*|curand|cusparse\w*|cusolver\w*|nvJitLink|nvrtc\w*|nccl|cupti"
    r"|nvToolsExt)\.so[\w.]*)\s+=>\s+(/\S+)"
)
_GFX = re.compile(r"\b(gfx\d{3,4}[a-f]?)\b")  # an AMD GPU's target (rocminfo, HSA logs, collect_env)
# A line that only names a Windows release: "Windows 10", "OS: Microsoft Windows 11 Pro", "- Windows Server 2019".
_WINDOWS_LINE = re.compile(
    r"^(?:[-*]\s*)?(?:OS\s*[:=]\s*)?(?:Microsoft\s+)?Windows\s+(?:10|11|7|8(?:\.1)?|Server\s+\d{4})\b[\w .()-]{0,20}$"
    r"|^(?:[-*]\s*)?Windows\s*:\s*(?:build\s*)?(?:10\.0\.)?\d{5}(?:\.\d{1,5})?$",  # "windows：20231.1005", a build
    re.I,
)
_ULTRALYTICS = re.compile(
    r"\bPython-(\d+\.\d+(?:\.\d+)?)\s+torch-(\d+\.\d+(?:\.\d+)?(?:[a-z]+\d*)?(?:\+[\w.]+)?)"
    r"(?:\s+CUDA:(\d+)\s+\(([^,()]{2,80}),\s*\d+\s?MiB\))?"
)
# YOLOv5's older banner, without Python's version: "YOLOv5 🚀 2022-4-22 torch 1.11.0+cpu CPU", "YOLOv5 🚀 v6.0-35
# torch 1.10.0+cu102 CUDA:0 (Tesla V100-SXM2-16GB, 16160MiB)" (ultralytics/yolov5 utils/torch_utils.py select_device)
_YOLOV5 = re.compile(
    r"\bYOLOv5\b.{0,60}?\btorch[ -](\d+\.\d+(?:\.\d+)?(?:[a-z]+\d*)?(?:\+[\w.]+)?)"
    r"(?:\s+CUDA:(\d+)\s+\(([^,()]{2,80}),\s*\d+\s?MiB\))?"
)
# xFormers' "xFormers was built for:" line: "PyTorch 2.1.2+cu121 with CUDA 1201 (you have 2.1.2+cpu)"
_XFORMERS_TORCH = re.compile(
    r"^PyTorch\s+(\d+\.\d+(?:\.\d+)?(?:[a-z]+\d*)?(?:\+[\w.]+)?)\s+with CUDA\s+(\d{3,5}|None)\s+\(you have\s+"
    r"(\d+\.\d+(?:\.\d+)?(?:[a-z]+\d*)?(?:\+[\w.]+)?)\)"
)
_XFORMERS_PYTHON = re.compile(r"^Python\s+(\d+\.\d+(?:\.\d+)?)\s+\(you have\s+(\d+\.\d+(?:\.\d+)?)\)")
# Slurm named (its commands, a batch script's directives, the word) and a GPU asked of it
_SLURM = re.compile(r"(?<![/\w.-])(?:[Ss]lurm|SLURM|sbatch|SBATCH|srun|salloc)(?![/\w-])")  # (not in a path)
_SLURM_GPU = re.compile(r"--gres[= ]\S*gpu|--gpus(?:-per-\w+)?[= ]|\s-G\s?\d|--gpus-per-node")
_SUDO = re.compile(r"(?:^|[\s>$#])sudo\s")
# An Apple M-series chip named in a sentence ("my M1 Pro", "on an M2 Max").
_APPLE_CHIP_WORD = re.compile(r"\b(?:Apple\s+)?M[1-9]\d?(?:\s+(?:Pro|Max|Ultra))?\b(?!\.\d)")
# An install that asks for a CUDA build by its local tag ("pip install torch>=1.7.1+cu110 ..."): a range with a tag
# does not pin the build (pytorch/pytorch#52571: pip took 1.7.1+rocm3.8).
_ASKED_CUDA = re.compile(r"\binstall\b.*?\btorch\s*(?:==|>=|~=|<=|>|=)\s*\d+\.\d+(?:\.\d+)?\+(cu\d{2,3})\b")
# ggml's CUDA device list (llama.cpp, Ollama, koboldcpp, whisper.cpp): "ggml_cuda_init: found 1 CUDA devices:" then
# "  Device 0: NVIDIA GeForce RTX 5090 D, compute capability 12.0, VMM: yes"; and its build's CUDA archs in the
# system_info line ("CUDA : ARCHS = 600,610,700,750,800,860,890,900": __CUDA_ARCH_LIST__, 890 being 8.9)
# ggml's device list of `llama-cli --list-devices`: "  CUDA0: NVIDIA GeForce RTX 4090 Laptop GPU (16375 MiB, 15046 MiB
# free)" (ggml-org/llama.cpp#22778)
_GGML_LISTED = re.compile(r"CUDA(\d{1,2}): ([^()]{3,80}?) \(\d+ MiB, \d+ MiB free\)")
_GGML_DEVICE = re.compile(r"\bDevice (\d{1,2}): (.{2,80}?), compute capability (\d{1,2}\.\d), VMM: (?:yes|no)\b")
_GGML_ARCHS = re.compile(r"\bCUDA : ARCHS = (\d{3,4}(?:,\d{3,4}){0,30})\b")


def ggml_archs(line: str) -> tuple[str, ...]:
    """The compute capabilities of ggml's "CUDA : ARCHS = 600,...,890" (890 being 8.9), or () without that field."""
    m = _GGML_ARCHS.search(line)
    return tuple(f"{int(x) // 100}.{int(x) % 100 // 10}" for x in m.group(1).split(",")) if m else ()


# CUDA's forward-compatibility package named, or its folder on a path ("cuda-compat-12.9", "/usr/local/cuda/compat")
_CUDA_COMPAT = re.compile(r"\bcuda-compat\b|/cuda[\w.-]*/compat\b", re.I)
# ComfyUI's (and Fooocus', Forge's) start-up line: "Device: cuda:0 NVIDIA GeForce RTX 3090 : cudaMallocAsync", torch's
# CUDA device and its allocator (comfy/model_management.py, get_torch_device_name)
_COMFY_DEVICE = re.compile(r"^Device: cuda:(\d{1,2}) (.{2,80}?) : \w*\s*$")
# Ultralytics' other lines name torch's device the same way: "AutoBatch: CUDA:0 (Tesla T4) 14.75G total, ..."
_AUTOBATCH = re.compile(r"^AutoBatch: CUDA:(\d{1,2}) \(([^,()]{2,80})\) [\d.]+G total")
# A Windows path: a drive letter's ("C:\Users"), or a profile's folder cut before it ("...\AppData\Local\Temp")
_WIN_PATH = re.compile(r"(?:^|[\s\"'(])[A-Za-z]:\\\w|\\AppData\\(?:Local|Roaming)\\")


# A line none of the readers below could use holds none of these (lower case), nor starts with one
# of _RELEVANT_STARTS (read_forms skips it after that one test).
_RELEVANT = (
    "nvidia", "nvrm", "nvml", "gpu", "torch", "driver", "cuda", "python", "ld_library_path", "abric", "docker",
    "podman", "nerdctl", "creating", "starting", "recreating", "attaching", "exited with code", "root@",
    "dockerenv", "wsl", "/mnt/", "\\", "upgrade:", "*-", "product:", "vendor:", "cpuonly", "transformers",
    "pynvml", "kmod-", "graphics", "graphic card", "video card", "显卡", "驱动", "chip:", "productname:", "darwin",
    "/users/", "homebrew", "macos", "macbook", "mbp", "mac mini", "mac studio", "imac", "gfx", "windows", "jetson",
    "rtx", "gtx", "geforce", "quadro", "tesla", "titan", "_check_driver",
    "compute_", "compute mode", "index", "name", "uuid", "kube", "k8s", "k3s", "k0s", "kind:",
    "default_runtime_name", "runtimeclassname", "=> /",
    "pci", "memory", "/dev/shm", "arch flags", "nvcc", "nvls", "cdiversion", "'devices' was unexpected",
    "(release), revision", "cuda_visible_devices", "chipset model:", "metal support:", "metal family:",
    ".app/contents/", "directml", "i386", "rosetta", "--container-image", "slurm", "sbatch", "srun", "salloc",
    "kfd", "rocm", "aarch64",
)  # fmt: skip
_RELEVANT_STARTS = ("|", "ii ", "hi ", "rc ", "iu ", "os:", "- os:", "* os:")


_RELEVANT_RX = re.compile(_one_of(_RELEVANT))
# The lines read_forms reads at all (lowered): those the test above may pass, and traceback frames. The rest of a
# long log is skipped in one scan of the joined lines.
_VISIT = Words(_RELEVANT + ('file "',), _RELEVANT_STARTS)

# collect_env fields whose values none of the readers below uses (the grammar reads them; the OS, platform,
# GPU, driver, cuDNN and CPU fields are not among them: they carry WSL, macOS, Windows and NVIDIA signs).
_GRAMMAR_ONLY = (
    "PyTorch version:",
    "Is debug build:",
    "CUDA used to build PyTorch:",
    "ROCM used to build PyTorch:",
    "Is CUDA available:",
    "CUDA runtime version:",
    "CUDA_MODULE_LOADING set to:",
    "Is XNNPACK available:",
    "HIP runtime version:",
    "MIOpen runtime version:",
    "Is XPU available:",
    "GCC version:",
    "Clang version:",
    "CMake version:",
    "Libc version:",
    "Python version:",
)


# What read_forms remembers of the lines it read, so that a line repeated apart from its block is read once: an empty
# Told (to tell whether a line changes one), and how many lines each memo holds at most (a bound on its memory).
_EMPTY = Told()
_MEMO_MAX = 1 << 17


def read_forms(lines: Sequence[str], origin: Sequence[int]) -> Told:
    """Every free-form fact and sign in the cleaned ``lines`` (``origin`` gives each one's line number)."""
    told = Told()
    csv_header: list[str] | None = None
    csv_rows = 0
    ld_next = False
    expr_pending: tuple[list[str], int, str] | None = None
    in_display = False
    product: str | None = None
    numbered = len(origin)
    relevant, starts = _RELEVANT_RX.search, _RELEVANT_STARTS
    context = _CONTEXT_WORDS.holder(lines)
    passed_over: set[str] = set()
    context_seen: set[str] = set()
    context_idle: set[str] = set()
    context_busy: set[str] = set()
    probe = Told()

    def pending() -> bool:  # the next line is read whatever it holds
        return (
            expr_pending is not None
            or csv_header is not None
            or ld_next
            or in_display
            or told.pip_show is not None
            or told.cvd_echo is not None
            or told.assert_available is not None
        )

    for idx in visit_lines(lines, _VISIT, pending):
        raw = lines[idx]
        if told.cvd_echo is not None and (origin[idx] if idx < numbered else idx + 1) != told.cvd_echo:
            echoed, told.cvd_echo = told.cvd_echo, None
            value = lines[idx].strip()
            if _hides_gpus(value) and not value.startswith(("$", "#")):  # (an empty line: the variable is empty)
                told.sign("cvd_hidden", echoed, f"echo $CUDA_VISIBLE_DEVICES -> {value!r}")
        if told.pip_show is not None and (origin[idx] if idx < numbered else idx + 1) - told.pip_show[1] > 3:
            told.pip_show = None  # no "Version:" line came within three lines of "Name: torch"
        if told.assert_available is not None:
            # the program's own check failed where its assert is followed by the AssertionError (CellBender's "assert
            # torch.cuda.is_available(), ..." then "AssertionError: Trying to use CUDA, but CUDA is not available.")
            at, asserted = told.assert_available
            if raw.lstrip(" \t\"'`>").startswith("AssertionError"):
                told.assert_available = None
                _set_available(told, False, origin[idx] if idx < numbered else idx + 1, raw.strip())
                told.sign("cuda_available", at, asserted)
            elif (origin[idx] if idx < numbered else idx + 1) - at > 3:
                told.assert_available = None
        stateless = expr_pending is None and csv_header is None and not ld_next and not in_display
        if stateless and told.pip_show is None:
            if 'File "' in raw and raw.lstrip().startswith('File "'):
                # A traceback frame tells at most where it ran (and only a frame with a path word does), or
                # that torch's driver check raised (the error line may be cut off the paste).
                _read_paths(told, raw, origin[idx] if idx < numbered else idx + 1)
                if "in _check_driver" in raw:
                    told.sign("check_driver", origin[idx] if idx < numbered else idx + 1, raw)
                continue
            if raw in passed_over:
                continue  # (a line that the tests below let go before)
            low = raw.lower()
            if (not low.lstrip().startswith(starts) and relevant(low) is None) or (
                # a collect_env field the report grammar reads and no reader here uses
                raw.startswith(_GRAMMAR_ONLY) and len(raw) < 100 and "|" not in raw and "NV" not in raw
            ):
                if len(passed_over) < _MEMO_MAX:
                    passed_over.add(raw)
                continue  # most lines of a long log: one pattern instead of every reader
        number = origin[idx] if idx < numbered else idx + 1
        s = raw[:_MAX_LINE].strip()
        if s and (
            (s[0] in _PLAIN_FIRST and (s[0] not in "IP" or s.startswith(("In [", "PS "))))
            or (s[0].isdigit() and (s[1:2] in _BULLET_ENDS or (s[1:2].isdigit() and s[2:3] in _BULLET_ENDS)))
            or "@" in s[:120]
            or ":\\" in s[:4]
            or "**" in s
        ):
            # a prompt, bullet, backticks or emphasis to peel off (the common line has none: a log's "INFO ..." and
            # "12:00:01 ..." open with no prompt, "In [" and "PS " do, and a numbered bullet is "1." or "12)")
            s = plain(raw)
        if not s:
            # A REPL prints an expression's value on the very next line: after a blank one the expression printed
            # nothing (cut off, or it raised), and the next line is no value of it (pytorch/pytorch#101147:
            # get_device_name(0) left without output, then the reporter's "pytorch 2.0.1+cu118").
            expr_pending = None
            continue
        # A REPL expression printed on one line, its value on the next.
        if expr_pending is not None:
            exprs, at, expr_line = expr_pending
            expr_pending = None
            if not _EXPR.search(s) and _take_values(told, exprs, s, number, at):
                if exprs == [_AVAILABLE] and s in ("True", "False"):
                    # the same question asked as root and as the user ("sudo …/python -c …": True, without: False)
                    who = "root" if _SUDO.search(expr_line) else "user"
                    told.sign(f"available_as_{who}:{s}", at, f"{expr_line} -> {s}")
                continue
        if "cuda.is_available()" in s and "torch.cuda.is_available()" not in s and _BARE_CUDA_CALL.search(s):
            s = _BARE_CUDA_CALL.sub("torch.cuda.is_available()", s)  # "cuda.is_available() returns false"
        if "is_available" in s and (u := _UNCALLED_AVAILABLE.search(s)) and _SAME_LINE_VALUE.match(s[u.end() :]):
            s = f"{s[: u.end()]}(){s[u.end() :]}"
        found = _EXPR.findall(s) if "torch." in s else []
        if found:
            tail = s[s.rfind(found[-1]) + len(found[-1]) :]
            m = _SAME_LINE_VALUE.match(tail.strip())
            first = _first_value(found[0], m.group(1)) if m and len(found) == 1 else ""
            if m and _ATOM.match(first):
                # "torch.cuda.is_available() returns False", or its first word when a sentence goes on
                # ("... return false on my RTX 3090")
                _take_values(told, found, m.group(1) if _value(m.group(1)) == first else first, number, number)
            elif found[0] == _AVAILABLE and s.lstrip("\"'` ").startswith("assert "):
                told.assert_available = (number, s)  # a source line: no value follows it
            else:
                expr_pending = (found, number, s)
        # Each reader is called only where the first test it makes can pass (a call per line and reader
        # is most of the cost on a long paste).
        if "NVIDIA-SMI" in s or "river" in s or "|" in raw or s.startswith("GPU") or "NVML library version" in s:
            banner_row = _read_smi(told, s, raw, number)
        else:
            banner_row = False
        if csv_header is not None:
            cells = [c.strip() for c in s.split(",")]
            if len(cells) == len(csv_header) and csv_rows < 64:
                _read_csv_row(told, csv_header, cells, csv_rows, number, s)
                csv_rows += 1
                continue
            csv_header = None
        if "," in s and s[:1].islower():
            cells = [c.strip().split(" ")[0] for c in s.split(",")]
            if len(cells) >= 2 and set(cells) <= _CSV_FIELDS:
                csv_header, csv_rows = cells, 0
                continue
        if banner_row and not ld_next and not in_display:
            continue  # (a log of `nvidia-smi -l` is mostly these rows)
        if "NV" in s or "Driver" in s or s.startswith(_SYSTEM_FIRST):
            _read_system(told, s, number)
        # lshw: "*-display" opens a block whose "product:" names the GPU once "vendor:" says NVIDIA.
        if in_display or s.startswith("*-"):
            if s.startswith("*-display"):
                in_display, product = True, None
            elif s.startswith("*-"):
                in_display = False
            elif s.startswith("product:"):
                product = s.partition(":")[2].strip()
            elif s.startswith("vendor:") and "NVIDIA" in s:
                told.add_pci_gpu(_bracketed(product), number, s if product is None else f"product: {product}")
        if ld_next:
            ld_next = False
            if "/" in s and " " not in s:
                _read_ld_path(told, s, number, s)
        if "LD_LIBRARY_PATH" in s:
            if "$LD_LIBRARY_PATH" in s and "echo" in s:
                ld_next = True
            m = _LD_PATH.search(s)
            if m:
                _read_ld_path(told, m.group(1), number, s)
        if "torch-" in s or "torchvision-" in s or s.startswith(_PACKAGE_FIRST):
            _read_packages(told, s, number)
        if "  " in s and s.startswith(_TABLE_FIRST) and (t := _TABLE_ROW.match(s)):
            _read_table_row(told, t.group(1), t.group(2), number, s)
        elif s.startswith("CUDA Runtime ") and raw.lstrip().startswith("- ") and (t := _BUILT_CUDA.match(s)):
            told.torch_cuda = told.torch_cuda or t.group(1)  # torch.__config__.show()'s "PyTorch built with:" list
            told.sign("torch", number, s)
        if " ..." in s and (d := _DOT_LEADER.match(s)):
            _read_dotted(told, d.group(1).lower(), d.group(2), number, s)
        elif s[0] == "|" and s.count("|") == 3 and (row := _MD_ROW.match(s)) and not row.group(2).startswith("-"):
            _read_key_value(told, f"{row.group(1)}: {row.group(2)}", number)
        elif s.find(":", 0, _MAX_KEY) > 0:
            _read_key_value(told, s, number)
        _torch_mentioned(told, s, number)
        if not context(idx) and s in raw:  # (s is not a part of raw where plain() took "**" out of it)
            continue  # none of _read_context's words
        if raw in context_seen:
            # A line read before changes this Told only if it changes an empty one (every test of the Told's state in
            # _read_context passes on an empty Told): a log's repeated lines are read once.
            if raw in context_idle:
                continue
            if raw not in context_busy:
                _read_context(probe, s, raw, number)
                if probe == _EMPTY:
                    context_idle.add(raw)
                    continue
                probe = Told()
                context_busy.add(raw)
        elif len(context_seen) < _MEMO_MAX:
            context_seen.add(raw)
        _read_context(told, s, raw, number)
    _apply_sessions(told)
    _apply_stated(told)
    _apply_arch_flags(told)
    if told.index_install is not None and told.index_install[0] == "cpu":
        told.sign("cpu_index_install", told.index_install[1], told.index_install[2])
    elif told.index_install is not None and told.index_install[0].startswith("cu"):
        told.sign("cuda_index_install", told.index_install[1], told.index_install[2])
    if "torch" in told.imported and "torchvision" in told.imported:
        (torch_version, torch_site, at, text), (vision, vision_site, vision_at, vision_text) = (
            told.imported["torch"],
            told.imported["torchvision"],
        )
        if torch_site != vision_site:  # torchvision imported from another environment than torch
            told.sign("import_split", at, text)
            told.sign("import_split", vision_at, vision_text)
            if _pairs(torch_version, vision) is False:
                told.sign("import_split_unpaired", vision_at, vision_text)
    return told


_AVAILABLE = "torch.cuda.is_available()"
_SESSION_EXPRS = frozenset(("torch.__version__", "torch.version.cuda", _AVAILABLE))


def _apply_sessions(told: Told) -> None:
    """A paste with two torch builds, one whose torch.cuda.is_available() printed True and another whose printed
    False ("it worked with 1.0; after the update to 1.2 it does not"): the paste is about the one that fails, so its
    torch, CUDA and availability are the paste's; the one that worked is kept as the sign ``build_worked:<its
    CUDA>`` (the driver ran that build)."""
    if len(told.repl) < 4:
        return
    sessions: list[dict[str, tuple[str, int]]] = []  # each torch build's values (a new torch.__version__ starts one)
    for expr, val, number in told.repl:
        if not sessions or (expr == "torch.__version__" and sessions[-1].get(expr, (val, 0))[0] != val):
            sessions.append({})
        sessions[-1].setdefault(expr, (val, number))
    built = [x for x in sessions if "torch.__version__" in x and _AVAILABLE in x]
    bad = [x for x in built if x[_AVAILABLE][0] == "False"]
    good = [x for x in built if x[_AVAILABLE][0] == "True"]
    if not bad or not good:
        return
    failed, worked = bad[-1], good[-1]
    if failed["torch.__version__"][0] == worked["torch.__version__"][0]:
        return
    version, at = failed["torch.__version__"]
    told.torch = version
    _lead(told, "torch", at)
    told.cuda_available = False
    _lead(told, "cuda_available", failed[_AVAILABLE][1])
    cuda = failed.get("torch.version.cuda")
    worked_cuda = worked.get("torch.version.cuda")
    if worked_cuda and worked_cuda[0] == "None" and "cpu_build" in told.signs:
        # the build that worked printed None: that line is no sign of the one that fails
        told.signs["cpu_build"] = [e for e in told.signs["cpu_build"] if e.line != worked_cuda[1]]
        if not told.signs["cpu_build"]:
            del told.signs["cpu_build"]
    told.torch_cuda_none = bool(cuda and cuda[0] == "None")
    told.torch_cuda = _mm(cuda[0]) if cuda and not told.torch_cuda_none else None
    if cuda and not told.torch_cuda_none:
        _lead(told, "torch", cuda[1])
        _lead(told, "torch", at)
    was = _mm(worked_cuda[0]) if worked_cuda and worked_cuda[0] != "None" else None
    if was:
        told.sign(
            "build_worked:" + was,
            worked[_AVAILABLE][1],
            f"torch {worked['torch.__version__'][0]} (CUDA {was}): torch.cuda.is_available() -> True",
        )


def _lead(told: Told, topic: str, number: int) -> None:
    """Put the evidence of line ``number`` first in the sign ``topic`` (the line a row of the paste shows)."""
    lines = told.signs.get(topic, [])
    for i, e in enumerate(lines):
        if e.line == number:
            lines.insert(0, lines.pop(i))
            return


def _apply_stated(told: Told) -> None:
    """The prose facts, where no form of the paste stated the same thing."""
    if told.stated_driver and not told.driver:
        told.driver = told.stated_driver[0]
        told.sign("driver", told.stated_driver[1], told.stated_driver[2])
    if told.stated_gpu and not (told.gpus or told.pci_gpus):  # a name the knowledge table knows (_read_context)
        told.add_gpu(0, told.stated_gpu[0], told.stated_gpu[1], told.stated_gpu[2])
    if told.stated_torch and not told.torch:
        told.torch = told.stated_torch[0]
        told.sign("torch", told.stated_torch[1], told.stated_torch[2])


# A desktop/data-center driver version as NVIDIA numbers them ("470.57.02", "450.102.04", "555.85"); Jetson's
# ("540.4.0") follow L4T and are not in the driver table.
_DESKTOP_DRIVER = re.compile(r"\d{3}\.\d{2,3}(?:\.\d{2})?$")


def driver_own_cuda(driver: str) -> str | None:
    """The newest CUDA whose toolkit's driver is at or below ``driver`` (a full version: a bare branch such as
    "470" sorts below its own releases), per the knowledge table; None when unknown."""
    if "." not in driver:
        return None
    try:
        from envtool.knowledge import max_cuda_for_driver
    except Exception:  # the knowledge package is optional to the readers
        return None
    return max_cuda_for_driver(driver)


def _apply_arch_flags(told: Told) -> None:
    """``ops_arch_missing:<package>`` where detectron2's or torchvision's compiled ops hold no SASS a GPU of the
    paste runs, and ``ops_arch_older:<package>`` where every arch they hold is newer than the GPU (then no PTX can
    serve it either; cuobjdump's list shows SASS only, so an older arch may still run through embedded PTX)."""
    if not told.arch_flags:
        return
    try:
        from envtool.knowledge import arch_covered, compute_capability
    except Exception:  # the knowledge package is optional to the readers
        return
    for index, name in told.gpus.items():
        cc = told.capabilities.get(index) or (compute_capability(name) if name else None)
        if cc is None:
            continue
        for package, (flags, number, text) in told.arch_flags.items():
            sass = tuple(f.removeprefix("sm_") if "." in f else f for f in flags)
            if arch_covered(cc, sass):
                continue
            newer = all(_cc_tuple(f) > _cc_tuple(cc) for f in sass)
            topic = f"ops_arch_{'older' if newer else 'missing'}:{package}:{cc}"
            told.sign(topic, number, text)
            at = told.gpu_lines.get(index, number)
            shown = next((e.text for e in told.signs.get("gpu", ()) if e.line == at), f"GPU {index}: {name}")
            told.sign(topic, at, shown)


def _cc_tuple(arch: str) -> tuple[int, int]:
    digits = arch.removeprefix("sm_").replace(".", "")
    return (int(digits[:-1] or 0), int(digits[-1])) if digits.isdigit() else (0, 0)


def _pairs(torch: str, torchvision: str) -> bool | None:
    """Whether torchvision ``torchvision`` is the release built for torch ``torch`` (None: unknown)."""
    try:
        from envtool.knowledge import torchvision_pairs_with
    except Exception:  # the knowledge package is optional to the readers
        return None
    return torchvision_pairs_with(torch, torchvision)


def _known_gpu(name: str) -> bool:
    try:
        from envtool.knowledge import compute_capability
    except Exception:  # the knowledge package is optional to the readers
        return False
    return compute_capability(name) is not None


def _take_values(told: Told, exprs: list[str], value_line: str, number: int, at: int) -> bool:
    # (also ">>false", a value marked and typed by hand: valeoai/xmuda#19)
    v = _value(re.sub(r"^(?:returns|gives|prints|Out\[\d+\]:|→|->|=>|>>?(?!>))\s*", "", value_line.strip()))
    if exprs == [_ARCH_LIST] and v.startswith("[") and (archs := _ARCH_TOKENS.findall(v[:2000])):
        # "['sm_50', 'sm_60', ..., 'compute_90']": the build's SASS and PTX targets
        told.arch_list = told.arch_list or tuple(archs)
        told.sign("arch_list", number, f"{_ARCH_LIST} -> {v[:200]}")
        return True
    if len(exprs) == 1 and exprs[0] == _AVAILABLE and v in ("true", "false"):
        v = v.capitalize()
    values = [v] if len(exprs) == 1 else v.replace(",", " ").split()
    if len(values) != len(exprs) or not all(_ATOM.match(x) or _ATOM.match(f"'{x}'") for x in values):
        return False
    for expr, val in zip(exprs, values, strict=True):
        val = _value(val)
        if expr in _SESSION_EXPRS:
            told.repl.append((expr, val, number))
        if expr == "torch.__version__" and re.match(r"\d", val):
            told.torch = told.torch or val
            told.sign("torch", number, value_line)
        elif expr == "torch.version.cuda":
            if val == "None":
                told.torch_cuda_none = True
                told.sign("cpu_build", number, f"torch.version.cuda -> {val}")
            elif re.match(r"\d{1,2}\.\d", val):
                told.torch_cuda = told.torch_cuda or _mm(val)
                told.sign("torch", number, f"torch.version.cuda -> {val}")
        elif expr == "torch.version.hip" and re.match(r"\d", val):
            told.torch_hip = _mm(val)
        elif expr == "torch.cuda.is_available()" and val in ("True", "False"):
            _set_available(told, val == "True", number, f"torch.cuda.is_available() -> {val}")
        elif expr.startswith("torch.cuda.get_device_name(") and val.startswith(_NVIDIA_BRANDS):
            digits = expr[27:-1].strip()
            index = int(digits) if digits else 0
            if index not in told.gpus:  # torch's name of the device it opened
                told.add_gpu(index, val, number, f"{expr} -> '{val}'")
                _set_available(told, True, number, f"{expr} -> '{val}'")
        elif expr == "torch.backends.mps.is_available()" and val in ("True", "False"):
            told.sign("mps_available" if val == "True" else "mps_not_available", number, f"{expr} -> {val}")
        elif expr == "torch.backends.cudnn.version()" and val.isdigit():
            told.cudnn = cudnn_from_int(int(val))
            told.sign("cudnn", number, f"torch.backends.cudnn.version() -> {val}")
        elif expr == "torch._C._cuda_getDriverVersion()" and val.isdigit() and int(val) > 0:
            code = int(val)
            told.cuda_driver = told.cuda_driver or f"{code // 1000}.{(code % 1000) // 10}"
            told.sign("cuda_driver", number, f"torch._C._cuda_getDriverVersion() -> {val}")
    return True


# detectron2's collect_env (detectron2/utils/collect_env.py): a two-column table of "key  value" rows between dashed
# rules, "PyTorch  1.10.0+cu113 @/home/u/.local/lib/python3.8/site-packages/torch", "GPU 0,1  Tesla V100-SXM2-16GB
# (arch=7.0)", "GPU available  No: torch.cuda.is_available() == False", "CUDA compiler  CUDA 11.3".
_TABLE_FIRST = ("PyTorch", "torchvision", "GPU", "CUDA", "Python", "detectron2 arch", "detectron2 CUDA")
_ARCH_FLAG = re.compile(r"(?:sm_)?\d{1,2}\.?\d$")
_TABLE_ROW = re.compile(
    r"(PyTorch|torchvision|GPU available|CUDA available|GPU \d{1,2}(?:,\s?\d{1,2})*|(?:detectron2 )?CUDA compiler"
    r"|Python|detectron2 arch flags|torchvision arch flags)"
    r"\s{2,}(\S[^:]*?(?::.*)?)\s*$"
)
_TABLE_VERSION = re.compile(r"(\d{1,2}\.\d{1,3}(?:\.\d{1,3})?(?:[a-z]+\d*)?(?:\+[\w.]+)?)(?:\s+@(\S.*))?$")
_TABLE_GPU = re.compile(r"([^()]{2,80}?)\s*(?:\(arch=(\d{1,2}\.\d)\))?$")
_BUILT_CUDA = re.compile(r"CUDA Runtime (\d{1,2}\.\d{1,2})\s*$")


def _read_table_row(told: Told, key: str, value: str, number: int, s: str) -> None:
    if key in ("PyTorch", "torchvision"):
        m = _TABLE_VERSION.match(value)
        if m is None:
            return  # "torchvision  unknown"
        version, path = m.group(1), m.group(2)
        if key == "PyTorch":
            told.torch = told.torch or version
            told.sign("torch", number, s)
        else:
            told.packages.append(("torchvision", version, "", number))
        name = "torch" if key == "PyTorch" else "torchvision"
        if path and name not in told.imported:
            # the folder above the package's own: its site-packages (a Windows path may hold blanks)
            told.imported[name] = (version, re.split(r"[\\/](?=[^\\/]*$)", path.rstrip("\\/"))[0], number, s)
    elif key in ("GPU available", "CUDA available"):
        word = value.split(":")[0].strip()
        if word in ("Yes", "True", "No", "False"):
            _set_available(told, word in ("Yes", "True"), number, s)
    elif key.startswith("GPU "):
        m = _TABLE_GPU.match(value)
        if m and not m.group(1)[0].isdigit():
            for i in key[4:].replace(" ", "").split(","):
                told.add_gpu(int(i), m.group(1).strip(), number, s)
                if m.group(2):
                    told.capabilities.setdefault(int(i), m.group(2))
    elif key.endswith("arch flags"):
        flags = tuple(f.strip() for f in value.split(","))
        if flags and all(_ARCH_FLAG.match(f) for f in flags):  # not a path ("cannot find cuobjdump")
            told.arch_flags.setdefault(key.split()[0], (flags, number, s))
            told.sign("ops_built", number, s)  # an environment report's row, though it may be cut before torch's
    elif key.endswith("CUDA compiler") and (m := re.match(r"(?:CUDA )?(\d{1,2}\.\d{1,2})\b", value)):
        # the nvcc detectron2 was built with ("CUDA compiler  CUDA 11.3"; before 0.2 "detectron2 CUDA compiler  10.1")
        told.nvcc = told.nvcc or m.group(1)
        told.sign("nvcc", number, s)
    elif key == "Python" and (m := re.match(r"(\d\.\d{1,2}\.\d{1,3})\b", value)):
        told.python = told.python or m.group(1)


# DeepSpeed's ds_report ("DeepSpeed general environment info:"): "torch version .................... 2.3.0+cu121",
# "torch cuda version ............... 12.1", "nvcc version ..................... 12.0" (deepspeed/env_report.py).
_DOT_LEADER = re.compile(r"([A-Za-z][\w ./()-]{1,40}?) \.{3,} (\S.*?)\s*$")


def _read_dotted(told: Told, key: str, value: str, number: int, s: str) -> None:
    if key == "torch version" and (m := re.match(r"(\d+\.\d+(?:\.\d+)?(?:[.\w]*)(?:\+[\w.]+)?)$", value)):
        told.torch = told.torch or m.group(1)
        told.sign("torch", number, s)
    elif key == "torch cuda version" and (m := re.match(r"(\d{1,2}\.\d{1,2})\b", value)):
        told.torch_cuda = told.torch_cuda or m.group(1)
        told.sign("torch", number, s)
    elif key == "torch hip version" and (m := re.match(r"(\d{1,2}\.\d{1,2})\b", value)):
        told.torch_hip = told.torch_hip or m.group(1)
    elif key == "nvcc version" and (m := re.match(r"(\d{1,2}\.\d{1,2})\b", value)):
        told.nvcc = told.nvcc or m.group(1)
        told.sign("nvcc", number, s)
    elif key == "torch install path":
        _read_paths(told, value, number)


def _set_available(told: Told, available: bool, number: int, text: str) -> None:
    """torch.cuda.is_available()'s value on line ``number``: the last one printed wins, and its line leads the sign
    (a paste that prints True and then False shows the False first)."""
    changed = told.cuda_available is not None and told.cuda_available != available
    told.cuda_available = available
    told.sign("cuda_available", number, text)
    lines = told.signs["cuda_available"]
    if changed and lines[-1].line == number:
        lines.insert(0, lines.pop())


def _read_smi(told: Told, s: str, raw: str, number: int) -> bool:
    """Reads nvidia-smi's lines; True for a banner row no other reader reads (a GPU's row, its statistics row, a
    border or MIG cell row: cells of numbers and modes, no prose)."""
    if "NVIDIA-SMI" in s:
        m = _SMI_VERSION.search(s)
        if m:
            told.driver = told.driver or m.group(2)
            told.smi_answered = True
            told.sign("driver", number, s)
            if m.group(3):
                told.cuda_driver = told.cuda_driver or _mm(m.group(3))
                told.sign("cuda_driver", number, s)
                desktop = told.compat_banner is None and _DESKTOP_DRIVER.match(m.group(2))
                own = told.own_cuda(m.group(2)) if desktop else None
                banner = release_tuple(m.group(3)) if own else None
                if own and banner and banner[:2] > (release_tuple(own) or banner)[:2]:
                    # NVML reports the CUDA of the libcuda it loaded: one newer than the driver's own is
                    # the cuda-compat package's (an image's /usr/local/cuda/compat, an LD_LIBRARY_PATH).
                    told.compat_banner = (number, s)
            elif re.search(r"CUDA\s+Version\s*:\s*N/A", s):
                told.sign("smi_cuda_na", number, s)  # NVML answers but libcuda is not there
            return False
    if "river" in s and "ersion" in s and "NVRM" not in s:
        m = _DRIVER_CUDA.search(s)
        if m and not told.driver:
            told.driver = m.group(1)
            told.sign("driver", number, s)
            if m.group(2) and "?" not in s:
                told.cuda_driver = told.cuda_driver or m.group(2)
                told.smi_answered = True
                told.sign("cuda_driver", number, s)
    st = raw.strip()
    if st.startswith("|") and "PID" in st and "Process name" in st:
        # the header of nvidia-smi's processes table (a paste may hold only the table's tail): nvidia-smi prints it
        # only after NVML found the GPUs
        told.smi_answered = True
        told.sign("smi_processes", number, st)
    elif st.startswith("|"):
        m = _SMI_GPU_ROW.match(st) if ":" in st else None  # (a GPU's row holds its bus id)
        if m:
            shown = m.group(2)
            name = shown.rstrip(".\u2026").strip() or None
            index = int(m.group(1))
            if name and shown.endswith(("...", "\u2026")) and index not in told.gpus:
                told.cut_gpus.add(index)
            told.add_gpu(index, name, number, st)
            return True
        m2 = _SMI_MODE.search(st)
        if m2 and m2.group(1) in _EXCLUSIVE_MODES:
            told.sign("exclusive_mode", number, st)
        return m2 is not None or st.strip("|=-+ ") in _SMI_FILLER
    if s.startswith("GPU"):
        m = _SMI_L.match(s)
        if m:
            told.add_gpu(int(m.group(1)), m.group(2), number, s)
            return False
        mc = _GPU_LIST_CC.match(s)
        if mc:
            for i in re.findall(r"\d+", mc.group(1)):
                told.capabilities.setdefault(int(i), mc.group(2))
            return False
        ml = _GPU_LIST.match(s)
        if ml and not re.match(r"\d", ml.group(2)) and len(ml.group(2)) < 120:
            name = _ELIDED.sub("", ml.group(2)).strip()  # "NVIDIA H200 (...)": a UUID cut out of the paste
            for i in re.findall(r"\d+", ml.group(1)):
                told.add_gpu(int(i), name, number, s)
            return False
    if "NVML library version" in s:
        m = _NVML_LIB.search(s)
        if m:
            told.nvml_library = m.group(1)
            told.sign("nvml_library", number, s)
    return False


def _read_csv_row(told: Told, header: list[str], cells: list[str], row: int, number: int, s: str) -> None:
    cols = dict(zip(header, cells, strict=True))
    index = int(cols["index"]) if cols.get("index", "").isdigit() else row
    if cols.get("name"):
        told.add_gpu(index, cols["name"], number, s)
    if re.match(r"\d{3}\.", cols.get("driver_version", "")):
        told.driver = told.driver or cols["driver_version"]
        told.smi_answered = True  # --query-gpu prints one row per GPU
        told.sign("driver", number, s)
    if re.match(r"\d{1,2}\.\d$", cols.get("compute_cap", "")):
        told.capabilities.setdefault(index, cols["compute_cap"])
    if cols.get("compute_mode", "").startswith(_EXCLUSIVE_MODES):
        told.sign("exclusive_mode", number, s)


def _read_system(told: Told, s: str, number: int) -> None:
    if "NVRM" in s:
        m = _NVRM_VERSION.search(s)
        if m:
            told.driver = told.driver or m.group(1)
            told.sign("driver", number, s)
            told.sign("kernel_module_version", number, s)
        m2 = _NVRM_API.search(s)
        if m2:
            told.nvml_library = told.nvml_library or m2.group(1)
            told.driver = told.driver or m2.group(2)
            told.sign("driver_mismatch", number, s)
        elif "API mismatch" in s and (c := _NVRM_CLIENT.search(s)):
            told.nvrm_client = (c.group(1), number, s)  # dmesg breaks the message after "but"
        elif told.nvrm_client and (k := _NVRM_MODULE.match(s)) and number - told.nvrm_client[1] <= 2:
            client, at, text = told.nvrm_client
            told.nvml_library = told.nvml_library or client
            told.driver = told.driver or k.group(1)
            told.sign("driver_mismatch", at, text)
            told.sign("driver_mismatch", number, s)
            told.nvrm_client = None
        if _NVRM_FAIL.search(s):
            told.sign("kernel_module", number, s)
    if "NVIDIA" in s:
        m = _LSPCI.search(s) if "controller" in s else None
        if m:
            slot = _PCI_SLOT.match(s)
            if slot is None or slot.group(1) not in told.pci_slots:  # (lspci run twice lists its GPUs twice)
                told.add_pci_gpu(_bracketed(m.group(1)), number, s)
            if slot is not None:
                told.pci_slots.add(slot.group(1))
        elif not told.driver:
            _read_windows_driver(told, s, number)
    elif (
        not told.driver
        and ("DriverVersion" in s or "Driver Version" in s or "Driver version" in s)
        and (told.gpus or told.pci_gpus or told.nvidia_named)
    ):
        # Device Manager's "Driver Version: 31.0.15.5186" and wmic's "DriverVersion=...", once an NVIDIA
        # GPU is named above it (other vendors number their Windows drivers differently).
        _read_windows_driver(told, s, number)
    elif not told.driver and told.windows_driver_line is None and "DriverVersion" in s and _WIN_DRIVER.search(s):
        told.windows_driver_line = (s, number)  # read once a GPU named below it is NVIDIA's
    if "NVIDIA" in s:
        told.nvidia_named = True
        if s.startswith("Name=") and s[5:].startswith(_NVIDIA_BRANDS) and len(s) < 90:
            told.add_gpu(len(told.gpus), s[5:].strip(), number, s)  # wmic ... /format:list
        if not told.driver and told.windows_driver_line is not None:
            _read_windows_driver(told, *told.windows_driver_line)
    if s.startswith(("ii ", "hi ", "iU ", "rc ")):
        m = _DPKG.match(s)
        if m:
            d = _DRIVER_PKG.match(m.group(1))
            if d and s.startswith("ii"):
                told.sign("driver_package:" + d.group(1), number, s)
            if s.startswith("ii") and _USERSPACE_PKG.match(m.group(1)) and _USERSPACE_VERSION.match(m.group(2)):
                told.sign("userspace_driver", number, s)  # the version NVML's library is at
            elif re.match(r"(?:lib)?(?:cuda|nvidia|cudnn|libcu|libnv)", m.group(1)) or "NVIDIA" in s:
                told.sign("system_packages", number, s)
    elif s.startswith("Upgrade:") and "nvidia" in s:
        m = _APT_UPGRADE.match(s)
        if m:
            told.sign("driver_upgrade", number, s)
    elif s.startswith(("cuda-drivers", "nvidia-driver", "kmod-nvidia")):
        m = _YUM_DRIVER.match(s)
        if m:
            told.sign("driver_package", number, s)


def module_version(line: str) -> str | None:
    """The kernel module's version in an ``NVRM version:`` line (/proc/driver/nvidia/version), or None."""
    m = _NVRM_VERSION.search(line)
    return m.group(1) if m else None


def userspace_version(line: str) -> str | None:
    """The driver version of a ``dpkg -l`` row of the driver's user-space package, or None."""
    m = _DPKG.match(line)
    v = _USERSPACE_VERSION.match(m.group(2)) if m else None
    return v.group(1) if v else None


def _read_windows_driver(told: Told, s: str, number: int) -> None:
    w = _WIN_DRIVER.search(s)
    if w and int(w.group(1)) >= 20:
        digits = (w.group(2) + w.group(3))[-5:]
        told.driver = f"{digits[:3]}.{digits[3:]}"  # NVIDIA's scheme: 31.0.15.5186 is 551.86
        told.windows = True
        told.sign("driver", number, s)
        # wmic's and PowerShell's table row: the GPU's name in the same row ("31.0.15.5186  NVIDIA GeForce RTX 3060").
        rest = " ".join((s[: w.start()] + " " + s[w.end() :]).split())
        if rest.startswith(_NVIDIA_BRANDS) and len(rest) < 80:
            told.add_gpu(len(told.gpus), rest, number, s)


def _read_ld_path(told: Told, value: str, number: int, line: str) -> None:
    entries = [e for e in value.split(":") if e]
    if any(_SYSTEM_CUDA_DIR.search(e + "/") and "site-packages" not in e for e in entries):
        told.sign("ld_library_path", number, line)


def _read_packages(told: Told, s: str, number: int) -> None:
    if ("torch-" in s or "torchvision-" in s) and (".whl" in s or "/whl/" in s):
        m = _WHEEL.search(s)
        # (pip's "Downloading torch-1.7.1-cp38-cp38-win_amd64.whl" or a bare file name; not a file named in prose)
        if m and (m.group(0)[0] == "/" or len(s[: m.start()].split()) <= 2):
            version = m.group(3).rstrip(".")
            tag = m.group(4) or m.group(1)
            told.packages.append((m.group(2), version + (f"+{tag}" if tag else ""), "", number))
            # a CUDA build of torch 1.x/2.x for x86_64 carries its kernels, several hundred MB at the least; a
            # smaller wheel is a CPU build (PyPI's Windows wheel of 2.1.2, 192.3 MB: lllyasviel/Fooocus#1202)
            small = (z := _WHEEL_SIZE.search(s, m.end())) is not None and float(z.group(2)) < 300
            if small and not tag and m.group(2) == "torch" and not version.startswith("0."):
                told.sign("cpu_build", number, s)
            return
    if len(s) > 400 or not s.startswith(_PACKAGE_FIRST):
        return
    m = _PKG_EQ.match(s)
    if m and _INTERESTING.match(_dist(m.group(1))):
        told.packages.append((_dist(m.group(1)), m.group(2), "", number))
        return
    m = _CONDA_SPEC.match(s)
    if m and _INTERESTING.match(_dist(m.group(1))):
        # environment.yml / `conda install` specs: "pytorch=1.11.0", "pytorch=1.11.0=py3.9_cuda11.3_cudnn8.2.0_0"
        told.packages.append((_dist(m.group(1)), m.group(2), m.group(3) or "", number))
        return
    if " --> " in s and (c := _CONDA_CHANGE.match(s)) and _INTERESTING.match(_dist(c.group(1))):
        # conda's "The following packages will be UPDATED/DOWNGRADED/SUPERSEDED:" row: what the env gets is on the
        # right ("pytorch  pytorch::pytorch-1.12.1-py3.10_cuda11~ --> pkgs/main::pytorch-1.12.1-cpu_py310h9dbd814_1":
        # a conda-forge install that swapped pytorch's CUDA build for a CPU one, Janspiry/Image-Super-Resolution-
        # via-Iterative-Refinement#103)
        if c.group(2).startswith(c.group(1) + "-"):
            version, _, build = c.group(2)[len(c.group(1)) + 1 :].partition("-")
            if version[:1].isdigit():
                told.packages.append((_dist(c.group(1)), version, build, number))
                if "cuda" in s[: s.index(" --> ")] and "cpu" in build:
                    told.sign("conda_cpu_swap", number, s)
        return
    m = _CONDA_PLAN.match(s)
    if m and _INTERESTING.match(_dist(m.group(1))) and m.group(2).startswith(m.group(1) + "-"):
        # conda's "The following NEW packages will be INSTALLED:" row:
        # "pytorch  pytorch/win-64::pytorch-1.10.0-py3.6_cpu_0"
        version, _, build = m.group(2)[len(m.group(1)) + 1 :].partition("-")
        if version[:1].isdigit():
            told.packages.append((_dist(m.group(1)), version, build, number))
        return
    m = _PKG_COLS.match(s)
    if m and _INTERESTING.match(_dist(m.group(1))):
        build = m.group(3) or ""
        if build.startswith(("/", "~", "C:\\")):
            build = ""  # pip list's location column, not a build string
        told.packages.append((_dist(m.group(1)), m.group(2), build, number))


# A word every key read below holds (显卡: graphics card, 驱动: driver)
_KEY_WORD = re.compile("name|torch|gpu|driver|cuda|python|nvcc|mode|card|显卡|驱动")
# The most words of a key _read_key_value reads by name before a " (" (one with "driver" in it, or "python版本", may
# have more)
_KEY_WORDS = max(len(k.split()) for k in (*_KEYS, *_KV_KEYS, *_GPU_KEYS, *_TORCH_KEYS, "cuda version"))


def _read_key_value(told: Told, s: str, number: int) -> None:
    colon = s.find(":", 0, _MAX_KEY)
    if colon <= 0:
        return
    head = s[:colon].lower()
    if head in ("name", "version") and _read_pip_show(told, head, _value(s[colon + 1 :]), number, s):
        return
    if "`" not in head and _KEY_WORD.search(head) is None:
        if _GPU_VALUE.match(s, colon):
            _read_gpu_value(told, s, colon, number)
        return  # no key read below holds none of these words (the key is this text, blanks squeezed)
    words = head.replace("`", "").split()
    if (
        len(words) > _KEY_WORDS
        and "(" not in head
        and "driver" not in (bare := " ".join(words))
        and "驱动" not in bare
        and not bare.startswith("python版本")
    ):
        # (a log line's "... gpu memory 26729 MiB on cuda:0 ..."): no key below has this many words
        if _GPU_VALUE.match(s, colon):
            _read_gpu_value(told, s, colon, number)
        return
    key = " ".join(words)
    paren = key.find(" (")
    if paren > 0:
        if key in _HF_TORCH_KEYS:
            _read_hf_torch(told, _value(s[colon + 1 :]), number, s)
            return
        key = key[:paren]
    if key in _KEYS:
        return  # the collect_env grammar reads these
    if key == "cuda version" and (q := _SMI_Q_CUDA.match(s)):
        # `nvidia-smi -q` pads its keys to one column: its "CUDA Version" is the driver's (a template's
        # "CUDA Version: 11.8" may be any CUDA)
        told.cuda_driver = told.cuda_driver or q.group(1)
        told.sign("cuda_driver", number, s)
        return
    if not (
        key in _KV_KEYS
        or key in _GPU_KEYS
        or key in _TORCH_KEYS
        or (("driver" in key or "驱动" in key) and not told.driver)
        or key.startswith("python版本")
    ):
        if _GPU_VALUE.match(s, colon):
            _read_gpu_value(told, s, colon, number)
        return  # a key read below, checked before the value is cut out
    value = _value(s[colon + 1 :])
    if not value or value.lower() in ("module not found", "n/a", "none", "unknown"):
        return
    if key in _TORCH_KEYS:
        # also "Torch version: torch.version: '2.0.1+cu117'" (the expression typed before its value)
        value = _value(re.sub(r"^torch\.(?:__)?version(?:__)?\s*[:=]?\s*", "", value))
        m = re.match(r"(\d+\.\d+(?:\.\d+)?(?:[.\w]*)(?:\+[\w.]+)?)", value)
        if m:
            told.torch = told.torch or m.group(1)
            told.sign("torch", number, s)
    elif key == "compute mode":  # nvidia-smi -q
        if value.startswith(_EXCLUSIVE_MODES):
            told.sign("exclusive_mode", number, s)
    elif key in _GPU_KEYS or (key in ("name", "product name") and value.startswith(_NVIDIA_BRANDS)):
        name = _MIB_TAIL.sub("", re.sub(r"\s*\([^)]*\)", "", value)).strip()
        if APPLE_CHIP_NAME.match(name):
            # a template's "GPU models and configuration: M1 Max": Apple silicon's GPU, no NVIDIA one (the Mac is read
            # from it as from system_profiler's chip line)
            told.macos = True
            told.sign("macos", number, s)
        elif _NO_GPU_VALUE.match(name):
            told.sign("no_gpu_told", number, s)  # "- GPU: No GPU", "GPU: none": the reporter says there is none
        elif (
            name
            and not name[0].isdigit()
            and name.lower() not in _SWITCH_VALUES  # cog.yaml's "gpu: true", a config's "gpu: auto"
            and not any(_same_model(name, n) for n in told.gpus.values())
        ):
            told.add_gpu(len(told.gpus), name, number, s)
    elif key == "cuda available":
        if value in ("True", "False"):
            _set_available(told, value == "True", number, s)
    elif ("driver" in key or "驱动" in key) and not told.driver:  # 驱动: "driver" in Chinese
        m = re.match(r"(\d{3}\.\d{1,3}(?:\.\d{1,3})?)\b", value)
        if m:
            told.driver = m.group(1)
            told.sign("driver", number, s)
            if told.cuda_driver is None and (c := _DRIVERS_CUDA.match(value, m.end())):
                told.cuda_driver = c.group(1)  # "Driver: 591.86 / CUDA 13.1": the banner's two, typed on one line
                told.sign("cuda_driver", number, s)
    elif key in ("nvcc version", "nvcc"):
        m = re.match(r"(?:V|release\s+)?(\d{1,2}\.\d{1,2})\b", value)
        if m:
            told.nvcc = told.nvcc or m.group(1)
            told.sign("nvcc", number, s)
    elif key in ("python", "python version") or key.startswith("python版本"):
        m = re.match(r"(\d\.\d{1,2}(?:\.\d{1,3})?)", value)
        if m:
            told.python = told.python or m.group(1)


# The Hugging Face libraries' `env` commands (transformers, diffusers, accelerate): "- PyTorch version (GPU?):
# 2.1.0+cu121 (True)", torch.cuda.is_available() in the brackets; newer transformers prints "PyTorch version
# (accelerator?): 2.9.1+cu128 (CUDA)", the first of CUDA, XPU, NPU, HPU available, or NA (transformers/commands/env.py).
# The driver's CUDA typed after its version ("Driver: 591.86 / CUDA 13.1"); a toolkit's is another CUDA
_DRIVERS_CUDA = re.compile(
    r"\s*[/,(|]?\s*CUDA\s*(?:Version)?\s*[:=]?\s*(\d{1,2}\.\d)\b(?![\d.]*\s*(?:toolkit|runtime))", re.I
)
_SMI_Q_CUDA = re.compile(r"CUDA Version {8,}: (\d{1,2}\.\d{1,2})\s*$")
_HF_TORCH_KEYS = frozenset({"pytorch version (gpu?)", "pytorch version (accelerator?)"})
_HF_TORCH = re.compile(r"(\d+\.\d+(?:\.\d+)?[\w.]*(?:\+[\w.]+)?)\s*\(\s*(True|False|CUDA|NA|[A-Z]{3})\s*\)")
_MIB_TAIL = re.compile(r",\s*\d+\s*MiB\s*$")
# A GPU field's value that says there is none ("No GPU", "none", "no dedicated GPU", "N/A", "-")
_SWITCH_VALUES = frozenset(("true", "false", "yes", "on", "off", "auto", "all", "enabled", "disabled", "required"))
_NO_GPU_VALUE = re.compile(
    r"(?i:no(?:ne)?\b(?:\s+(?:dedicated\s+|discrete\s+|nvidia\s+)?(?:gpu|graphics))?|n/?a|-+)\s*\.?$"
)


def _read_hf_torch(told: Told, value: str, number: int, text: str) -> None:
    m = _HF_TORCH.match(value)
    if not m:
        return
    told.torch = told.torch or m.group(1)
    told.sign("torch", number, text)
    said = m.group(2)
    if said in ("True", "CUDA"):
        _set_available(told, True, number, text)
    elif said in ("False", "NA"):  # (XPU, NPU, HPU: another accelerator, whose torch CUDA may not be for)
        _set_available(told, False, number, text)


def _read_pip_show(told: Told, head: str, value: str, number: int, s: str) -> bool:
    """`pip show torch`: "Name: torch", then within a few lines "Version: 2.3.1+cpu" (True where the line was its)."""
    if head == "name":
        if value.lower() in ("torch", "torchvision", "torchaudio"):
            told.pip_show = (value.lower(), number)
            return True
        return False
    if told.pip_show is None or number - told.pip_show[1] > 3 or not re.match(r"\d+\.\d+", value):
        return False
    name, _ = told.pip_show
    told.pip_show = None
    told.packages.append((name, value.split()[0], "", number))
    return True


def _read_visible_devices(told: Told, s: str, number: int) -> None:
    """CUDA_VISIBLE_DEVICES set where torch ran (an `env` row, an export, a command's prefix), not told of in prose
    ("export CUDA_VISIBLE_DEVICES = 0" with blanks is not a shell's): a value that hides every GPU is a sign."""
    if "echo" in s and "$CUDA_VISIBLE_DEVICES" in s and _ECHO_CVD.search(s):
        told.cvd_echo = number  # its value is the next line
        return
    m = _CVD.search(s) or _CVD_PYTHON.search(s)
    value = None if m is None else m.group("value")
    if value is not None and _hides_gpus(value):
        told.sign("cvd_hidden", number, s)
    elif value:
        told.sign("cvd_set", number, s)  # set to GPU indexes (which may be ones the machine lacks)
    if "export" in s and _CVD_EXPORT.search(s):
        told.sign("cvd_exported", number, s)
    elif s.startswith("CUDA_VISIBLE_DEVICES=") and (u := _CVD_UNEXPORTED.match(s)) and not _hides_gpus(u.group(1)):
        told.sign("cvd_unexported", number, s)  # typed in a shell, ended by ";" or "&&": a shell variable only


def _hides_gpus(value: str) -> bool:
    # CUDA shows the devices listed before the first invalid index (CUDA C Programming Guide, CUDA Environment
    # Variables): "-1" or an empty value leaves none; Slurm sets "NoDevFiles" for a job given no GPU
    v = value.strip().strip("'\"")
    return v in ("", "-1", "NoDevFiles", "none") or v.startswith("-1,")


def _read_assignments(told: Told, s: str, number: int) -> None:
    """torch's version, CUDA and availability as ``name=value`` pairs a script printed on one line."""
    if not _names_assigned(s.lower()):
        return  # no name this reads stands before an "=" (the pattern's every position costs on a long line)
    for key, value in _ASSIGNED.findall(s):
        key = key.lower()
        value = value.strip("'\"`")
        if key in _ASSIGNED_TORCH and (m := re.match(r"\d+\.\d+(?:\.\d+)?(?:[.\w]*)(?:\+[\w.]+)?$", value)):
            told.torch = told.torch or m.group(0)
            told.sign("torch", number, s)
        elif key in _ASSIGNED_CUDA and re.match(r"\d{1,2}\.\d{1,2}$", value):
            told.torch_cuda = told.torch_cuda or value
            told.sign("torch", number, s)
        elif key in _ASSIGNED_AVAILABLE and value in ("True", "False"):
            _set_available(told, value == "True", number, s)


def _names_assigned(low: str) -> bool:
    """Whether a name of _ASSIGNED_TORCH, _ASSIGNED_CUDA or _ASSIGNED_AVAILABLE ends right before an "=" of the lowered
    line, but for _ASSIGNED's one blank (what _ASSIGNED must match for _read_assignments to take a value)."""
    at = low.find("=")
    while at >= 0:
        head = low[max(0, at - _ASSIGNED_LONGEST - 1) : at]
        if head.endswith(_ASSIGNED_NAMES) or (head[-1:].isspace() and head[:-1].endswith(_ASSIGNED_NAMES)):
            return True
        at = low.find("=", at + 1)
    return False


# A value _read_gpu_value may take opens with a brand of _BARE_STARTS (matched at the key's colon).
_GPU_VALUE = re.compile(r":\s{0,40}[`'\"]?(?:NVIDIA|Nvidia|GeForce|Quadro|Tesla|TITAN|RTX|GTX)")


def _read_gpu_value(told: Told, s: str, colon: int, number: int) -> None:
    """A ``key: value`` line of any key (any language: "显卡型号: GeForce GTX 1650") whose whole value is a GPU
    model the knowledge table knows: the table, not the key, keeps a prose value from inventing a GPU."""
    rest = s[colon + 1 : colon + 90].lstrip().lstrip("`'\"")
    if not rest.startswith(_BARE_STARTS) or number == told.last_gpu_line:
        return  # no GPU's name opens the value, or another reader took this line's GPU ("GPU 0: ...")
    # (diffusers' "Accelerator: NVIDIA A100-SXM4-40GB, 40960 MiB" is nvidia-smi's name and memory.total)
    name = _gpu_name(_MIB_TAIL.sub("", re.sub(r"\s*\([^)]*\)", "", _value(s[colon + 1 :]))))
    if len(name) >= 60 or not _BARE_GPU.match(name) or not _model_words(name):
        return
    if any(_same_model(name, other) for other in (*told.gpus.values(), *told.pci_gpus)):
        return  # the same model named again (a template's bullet beside nvidia-smi's row) is not a second GPU
    if _known_gpu(name):
        told.add_gpu(len(told.gpus), name, number, s)


# The words of a GPU model's name besides those with a digit ("GeForce RTX 3090 Ti", "Tesla V100-PCIE-16GB"): a
# value with any other word is prose about a GPU ("GeForce RTX 3090 is what I bought"), which the table's
# patterns would still match.
_MODEL_WORDS = frozenset((
    "nvidia", "geforce", "quadro", "tesla", "titan", "rtx", "gtx", "gt", "ti", "super", "laptop", "mobile", "gpu",
    "max-q", "pcie", "sxm", "nvl", "x", "xp", "v", "ada", "blackwell", "pro", "sff",
))  # fmt: skip


def _model_words(name: str) -> bool:
    return all(w.lower() in _MODEL_WORDS or any(c.isdigit() for c in w) for w in name.split())


def _gpu_name(text: str) -> str:
    """A hand-typed model spelled as NVIDIA does: "RTX3060" -> "RTX 3060", "1080TI"/"1080Ti" -> "1080 Ti"."""
    return _TI_SPACE.sub(r"\1 Ti", _RTX_SPACE.sub(r"\1 \2", " ".join(text.split())))


def _same_model(a: str, b: str | None) -> bool:
    """Whether two names may be one model ("GeForce GTX 1650", "NVIDIA GeForce GTX 1650", a name cut short)."""
    x = a.lower().removeprefix("nvidia ").strip()
    y = (b or "").lower().removeprefix("nvidia ").strip()
    return bool(y) and (x.startswith(y) or y.startswith(x))


# A word each test of _read_context needs in its line (as written; for a test of two words, the rarer one): a line
# that holds none of them is one where every test fails but torch_mentioned's. read_forms finds the lines that hold
# one in a scan of the whole text per first character (Words), where a long log would pay _read_context's hundred
# tests on each of its lines. A test added to _read_context adds its word here.
_CONTEXT_WORDS = Words(
    (
        "river", "=", "GPU is", "gpu is", "GPU IS", *_BARE_STARTS, "GTX", "RTX", "etson", "ETSON", "whl/",
        "reported version is", "uspen", "sleep", "ibernat", "have", "has no", "/dev/shm", "too old",
        "_check_driver()", "Torch ", "驱动", "驅動", "ドライバ", "显卡", "顯示卡", "GPU", "版本", "バージョン",
        "AutoBatch: CUDA:", "Device: cuda:", "+cpu", "+cu", "compute capability", "ARCHS = ", "compat", "my ", "My ",
        "our ", "I have a", *_CUDA13_NAMES,
        "directml", "DirectML", "(release), REVISION", "CUDA_VISIBLE_DEVICES", "Python-",
        "YOLOv5", "(you have ", "etpack", "ETPACK", "pip install", "pip3 install",
        "xclusive", "XCLUSIVE", "MiB free)", "kfd", "agx", "AGX", "Agx", "ROCm", "rocm", "aarch64",
        "PU version", "pu version", "PU-only", "pu-only", "PU only",
        "pu only", "PU build", "pu build", "i386", "x86_64", "osetta", "+cu", "__cuda=", "Cuda compilation tools",
        "Creating", "Starting", "Recreating",
        "Attaching", "exited with code", "@", "/.dockerenv", "lurm", "batch", "srun", "SBATCH", "--container-image",
        "run", "capabilities:", "runtime:", "driver:", "nvidia-", "Torch is not able to use GPU",
        "Unsloth: No NVIDIA GPU found",
        "docker-compose version", "Pytorch binaries", "cudnn", "l4t", "NCCL version", "cdiVersion", "/dev/nvidia",
        "'devices' was unexpected",
        "abric", "nvls.cc", "(NVLS) Multicast", "802", "wsl", "WSL", "/mnt/", "\\", "/Users/", "-packages/", "ube",
        "k8s", "k3s", "k0s", "kind:", "nvidia.com/gpu", "runtimeClassName", "default_runtime_name", "=> /", "ldd ",
        "gfx", "Windows", "windows", "Apple M", "macOS", "Mac", "acbook", "MBP", "Darwin", "homebrew", "Metal ",
        ".app/", "OS",
    ),
    fold=False,
)  # fmt: skip


_BARE_MODEL = re.compile(r"^((?:10|16|20|30|40|50)[5-9]0)(ti|super)?$", re.I)
_COUNT_WORD = re.compile(r"[x×]\d*$", re.I)  # "rtx3090 x 4", "A100 x8": how many, after the name
_MEMORY_WORD = re.compile(r"\d+(?:\.\d+)?\s?(?:GB|GiB|G)$", re.I)  # "6Gb", "24GB": the card's memory, not its name
_PROSE_WORDS = frozenset(
    (
        "and", "with", "on", "in", "is", "was", "are", "were", "which", "that", "but", "or", "for", "to", "from", "at",
        "as", "it", "has", "have", "had", "does", "did", "not", "can", "cannot", "card", "graphics", "machine", "box",
        "server",
    )
)  # fmt: skip


def _own_gpu_name(words: str) -> str | None:
    """The longest run of ``words``' first words that names a GPU the knowledge table knows ("NVIDIA GeForce RTX 3090
    Ti" of "NVIDIA GeForce RTX 3090 Ti and 64 GB", "V100s" as "V100"), or None."""
    parts = words.split()
    # the name ends before the first word of prose ("RTX 3090 and ...", "V100 with ...")
    cut = next(
        (
            i
            for i, w in enumerate(parts)
            if w.lower() in _PROSE_WORDS or _MEMORY_WORD.match(w) or (i and _COUNT_WORD.match(w))
        ),
        len(parts),
    )
    parts = parts[:cut]
    if not any(c.isdigit() for c in "".join(parts)):
        return None  # (every GPU name holds a number: "my laptop", "our cluster")
    if parts and (bare := _BARE_MODEL.match(parts[0])):
        # "my 4060 ti", "I have a 3080ti": GeForce's number alone (GTX for the 10 and 16 series, RTX for the rest)
        series = "GTX" if bare.group(1)[:2] in ("10", "16") else "RTX"
        parts = [series, bare.group(1), *([bare.group(2)] if bare.group(2) else []), *parts[1:]]
    for k in range(len(parts), 0, -1):
        name = _TI_SPACE.sub(r"\1 Ti", _RTX_SPACE.sub(r"\1 \2", " ".join(parts[:k])))
        for candidate in (name, name[:-1] if name.endswith("s") and name[-2:-1].isdigit() else None):
            if candidate and candidate[-1:].isalnum() and _known_gpu(candidate):
                return candidate
    return None


def _torch_mentioned(told: Told, s: str, number: int) -> None:
    if "orch" in s and "torch_mentioned" not in told.signs and _TORCH_END.search(s.lower()) and _TORCH_WORD.search(s):
        told.sign("torch_mentioned", number, s)  # prose that speaks of torch: the paste is not only the driver side


def _read_context(told: Told, s: str, raw: str, number: int) -> None:
    # The prose readers run only where their anchor word is (each line of a long paste pays for every test). Every
    # test they make of the Told's state holds on an empty Told (a field still None, a sign not yet given, a flag still
    # False): read_forms skips a line read before that changes nothing in an empty one (tests/test_line_scans.py).
    if (
        told.stated_driver is None
        and ("river is" in s or "river version is" in s or "river =" in s or "river version =" in s)
        and (m := _PROSE_DRIVER.search(s))
    ):
        told.stated_driver = (m.group(1), number, s)
    if told.stated_driver is None and "river " in s and len(s) < 60 and (m := _DRIVER_LINE.match(s)):
        told.stated_driver = (m.group(1), number, s)
    if "=" in s and ("torch" in s or "cuda" in s) and "==" not in s and not _CONDA_SPEC.match(s):
        _read_assignments(told, s, number)  # (a conda spec, "torch=2.1.0", names what to install, not what runs)
    if told.stated_gpu is None and (
        (("GPU is" in s or "gpu is" in s or "GPU IS" in s) and (m := _PROSE_GPU.search(s)))
        or (len(s) < 60 and s.startswith(_BARE_STARTS) and (m := _BARE_GPU_LINE.match(s)))
    ):
        name = _RTX_SPACE.sub(r"\1 \2", m.group(1).strip())
        if _known_gpu(name):  # the first name the knowledge table knows (prose cannot invent a GPU)
            told.stated_gpu = (name, number, s)
    if told.stated_gpu is None and s.count(",") >= 2 and ("GTX" in s or "RTX" in s) and len(s) < 200:
        for item in s.replace("*", "").split(":", 1)[-1].split(","):
            name = item.strip().rstrip(".")
            if _SPEC_ITEM_GPU.match(name) and _known_gpu(name := _RTX_SPACE.sub(r"\1 \2", name)):
                told.stated_gpu = (name, number, s)  # one item of a typed hardware list
                break
    if told.stated_gpu is None and ("my " in s or "My " in s or "our " in s or "have " in s):
        for o in _OWN_GPU.finditer(s):
            if (own := _own_gpu_name(o.group(1))) is not None:
                told.stated_gpu = (own, number, s)
                break
    if (
        "13" in s
        and (
            "uda13" in s
            or "UDA13" in s
            or "uda 13" in s
            or "UDA 13" in s
            or "uda-13" in s
            or "UDA-13" in s
            or "uda_13" in s
        )
        and _CUDA13_BUILD.search(s)
    ):
        told.sign("cuda13_build", number, s)
    if (
        told.stated_gpu is None
        and ("etson" in s or "ETSON" in s or "agx" in s or "AGX" in s or "Agx" in s)
        and (j := _JETSON_BOARD.search(s))
    ):
        # "my jetson nano (Jetpack 4.4 [L4T 32.4.3])": a Jetson board named in prose is the machine's GPU
        board = (j.group(1) or j.group(2)).replace("-", " ")
        name = "Jetson " + " ".join(_JETSON_WORDS.get(w.lower(), w.capitalize()) for w in board.split())
        if _known_gpu(name):
            told.stated_gpu = (name, number, s)
    if (
        "whl/" in s
        and "install" in s
        and (w := _INDEX_INSTALL.search(s))
        and (told.index_install is None or told.index_install[0] != w.group(1).lower())
    ):
        # pip's "--index-url …/whl/cpu" (or /whl/cu121, /whl/rocm6.2): which build the torch installed last is (the
        # same index again keeps its first line)
        told.index_install = (w.group(1).lower(), number, s)
    if "reported version is" in s and (k := _KERNEL_REPORTED.search(s)):
        # TensorFlow's cuda_diagnostics: "kernel reported version is: 418.67.0" (the loaded kernel module)
        told.driver = told.driver or k.group(1)
        told.sign("driver", number, s)
        told.sign("kernel_module_version", number, s)
    if (
        ("have" in s or "has no" in s)
        and ("don" in (low := s.lower()) or "do not" in low or "did" in low or "has" in low)  # (what it must match)
        and _TOLD_NO_GPU.search(s)
    ):
        told.sign("no_gpu_told", number, s)  # "Since I don't have a GPU I don't need CUDA"
    if "aarch64" in s and _AARCH64_TOLD.search(s):
        told.sign("aarch64_told", number, s)  # "Get an aarch64 machine, e.g. GB200" (Linux's name; a Mac says arm64)
    if (
        "PU version" in s
        or "pu version" in s
        or "PU-only" in s
        or "pu-only" in s
        or "PU only" in s
        or "pu only" in s
        or "PU build" in s
        or "pu build" in s
    ) and _CPU_TORCH_TOLD.search(s):
        told.sign("cpu_build_told", number, s)  # "`pip install torch` resulted in the CPU version of torch"
    if ("ROCm" in s or "rocm" in s) and _ROCM_TOLD.search(s):
        told.sign("rocm_told", number, s)  # "Building current ROCm image (3ec1c71) prevents ComfyUI from starting"
    if "kfd" in s and _KFD_ABSENT.search(s):
        told.sign("kfd_absent", number, s)  # "there is no kfd folder in /dev", "/dev/kfd: No such file or directory"
    if ("xclusive" in s or "XCLUSIVE" in s) and _EXCLUSIVE_TOLD.search(s):
        # the reporter's words: "When I run on the cluster with `exclusive` GPU instead of `shared`"
        # (choderalab/yank#443, its traceback cut before the error)
        told.sign("exclusive_mode", number, s)
    if "without" in s and "GPU" in s and _WITHOUT_GPU.search(s):
        told.sign("no_gpu_told", number, s)  # "use the docker in a normal EC2 without GPU" (pytorch/serve#2000)
    if ("uspen" in s or "sleep" in s or "ibernat" in s) and _AFTER_SUSPEND.search(s) and _BROKEN.search(s):
        told.sign("after_suspend", number, s)  # the GPU lost after the machine slept, in the reporter's words
    if "/dev/shm" in s and "No space left on device" in s:
        # "OSError: [Errno 28] No space left on device: '/dev/shm/…'", or a report that says so (nebari-dev/nebari#1642)
        told.sign("shm_no_space", number, s)
    if "too old" in s and _TOLD_TOO_OLD.search(s) and "on your system is too old" not in s:
        told.sign("driver_too_old_told", number, s)  # a report of torch's driver message, in the reporter's words
    if "_check_driver()" in s and len(s) < 40:
        told.sign("check_driver", number, s)  # the source line of torch's _lazy_init frame
    if (
        told.stated_torch is None
        and (at := s.find("Torch ")) >= 0
        and s[at + 6 : at + 7].isdigit()
        and (m := _STATED_TORCH.search(s, max(0, at - 2))) is not None
    ):
        told.stated_torch = (f"{m.group(1)}+{m.group(2)}", number, s)
    if ("驱动" in s or "驅動" in s or "ドライバ" in s) and told.stated_driver is None and (m := _CJK_DRIVER.search(s)):
        told.stated_driver = (m.group(1), number, s)  # "驱动版本 535.54.03" typed in Chinese or Japanese prose
    if ("显卡" in s or "顯示卡" in s or "GPU" in s) and told.stated_gpu is None and (m := _CJK_GPU.search(s)):
        name = _RTX_SPACE.sub(r"\1 \2", m.group(1).strip())
        if _known_gpu(name):  # "我的显卡是 RTX 4090" ("my graphics card is ...")
            told.stated_gpu = (name, number, s)
    if (
        ("+cpu" in s or "+cu" in s)
        and told.stated_torch is None
        and "orch" not in s
        and (c := _BUILD_TAGGED.search(s))
        and not _COMPANION.search(s)
    ):
        # a version with PyTorch's CPU or CUDA tag, quoted alone ("it says "2.0.0+cpu Autocast half"", SD.Next's System
        # Info; `print(torch.__version__)` "gives me "1.10.2+cu102"", replicate/cog#436): torch's (a line that names
        # torch or a companion, or pins a package, is read by the other readers; torchvision's are 0.x)
        told.stated_torch = (f"{c.group(1)}+{c.group(2)}", number, s)
    if ("版本" in s or "バージョン" in s) and told.stated_torch is None and (m := _CJK_TORCH.search(s)):
        told.stated_torch = (m.group(1), number, s)  # "torch 版本 2.1.0+cu121"
    if (
        "MiB free)" in s
        and (g := _GGML_LISTED.match(s))
        and (g.group(2).startswith(_NVIDIA_BRANDS) or _known_gpu(g[2]))
    ):
        told.add_gpu(int(g.group(1)), g.group(2), number, s)  # ggml's `--list-devices`: a CUDA device it opened
    if "compute capability" in s and (g := _GGML_DEVICE.search(s)) and _known_gpu(g.group(2)):
        told.add_gpu(int(g.group(1)), g.group(2), number, s)
        told.capabilities.setdefault(int(g.group(1)), g.group(3))
    if "compat" in s and _CUDA_COMPAT.search(s):
        told.sign("cuda_compat", number, s)  # CUDA's forward-compatibility package, or its folder on a path
    if "ARCHS = " in s and (archs := ggml_archs(s)):
        told.arch_flags.setdefault("ggml", (archs, number, s))  # (read as detectron2's arch flags are)
    if s.startswith("Device: cuda:") and (c := _COMFY_DEVICE.match(s)) and _known_gpu(c.group(2)):
        told.add_gpu(int(c.group(1)), c.group(2), number, s)  # torch's CUDA device: CUDA works there
        _set_available(told, True, number, s)
    if s.startswith("AutoBatch: CUDA:") and (a := _AUTOBATCH.match(s)) and _known_gpu(a.group(2).strip()):
        told.add_gpu(int(a.group(1)), a.group(2).strip(), number, s)  # torch's CUDA device: CUDA works there
        _set_available(told, True, number, s)
    if ("directml" in s or "DirectML" in s) and "directml" not in told.signs:
        told.sign("directml", number, s)  # (a path, a venv line, a package list: see _read_paths)
    if "l4t" in s and (image := _L4T_IMAGE.search(s)):
        told.sign("l4t_image:" + (image.group(1) or image.group(2)), number, s)  # a Jetson (L4T) container image
    if "(release), REVISION" in s:
        told.sign("l4t_release", number, s)  # /etc/nv_tegra_release: the file exists only on a Jetson's L4T
    if ("etpack" in s or "ETPACK" in s) and _JETPACK.search(s):
        told.sign("jetpack", number, s)
    if ("pip install" in s or "pip3 install" in s) and (p := _PYPI_TORCH.search(s)) and not _OTHER_INDEX.search(s):
        # pip's default index: its aarch64 torch is a CPU build (torch_builds.toml, pypi_default's notes)
        told.sign("pypi_torch_install", number, p.group(0))
    if "CUDA_VISIBLE_DEVICES" in s:
        _read_visible_devices(told, s, number)
    if "Python-" in s and " torch-" in s and (u := _ULTRALYTICS.search(s)):
        # Ultralytics' banner: "Ultralytics YOLOv8.1.3 🚀 Python-3.10.11 torch-2.1.0+cpu CPU (...)" or
        # "... torch-1.13.1+cu117 CUDA:0 (Tesla T4, 15102MiB)" (YOLOv5's too)
        told.python = told.python or u.group(1)
        _read_banner(told, u.group(2), u.group(3), u.group(4), number, s)
    if "YOLOv5" in s and "torch" in s and (u := _YOLOV5.search(s)):
        _read_banner(told, u.group(1), u.group(2), u.group(3), number, s)
    if "(you have " in s and (y := _XFORMERS_PYTHON.match(s)) and told.python in (None, y.group(1)):
        told.python = y.group(2)  # xFormers' "Python  3.10.13 (you have 3.10.8)": the python installed is the second
    if "(you have " in s and (x := _XFORMERS_TORCH.match(s)):
        # xFormers' "built for" line: the torch it was built for, and the torch installed
        built, have = x.group(1), x.group(3)
        if told.torch is None:
            told.torch = have
            told.sign("torch", number, s)
        if have.endswith("+cpu"):
            told.sign("cpu_build", number, s)
        elif built != have:
            told.sign(f"xformers_built_for:{built}:{have}", number, s)
    if ("i386" in s or "x86_64" in s or "osetta" in s) and _APPLE_CHIP_WORD.search(s):
        told.sign("rosetta_told", number, s)  # "my M1 Pro reports platform i386": an x86_64 python under Rosetta
    if "+cu" in s and "install" in s and (a := _ASKED_CUDA.search(s)):
        told.sign("install_asked_cuda", number, s)
    if "__cuda=" in s:
        # conda info's "virtual packages : __cuda=10.2=0": the "maximum version of CUDA supported by the display
        # driver" (conda's user guide, "Managing virtual packages"), read from the driver's libcuda
        m = _CONDA_CUDA.search(s)
        if m:
            told.cuda_driver = told.cuda_driver or m.group(1)
            told.sign("cuda_driver", number, s)
    if "release" in s and "Cuda compilation tools" in s:
        m = _NVCC.search(s)
        if m:
            told.nvcc = told.nvcc or m.group(1)
            told.sign("nvcc", number, s)
    if (
        s.startswith(("Creating", "Starting", "Recreating", "Attaching")) or "exited with code" in s
    ) and _COMPOSE.search(s):
        told.sign("container", number, s)
    if ("@" in raw or "/.dockerenv" in raw) and _CONTAINER_PROMPT.search(raw.strip()):
        told.sign("container", number, raw.strip())  # with its prompt, which shows the container
    if ("lurm" in s or "batch" in s or "srun" in s or "SBATCH" in s) and _SLURM.search(s):
        told.sign("slurm", number, s)
        if _SLURM_GPU.search(s):
            told.sign("slurm_gpu_request", number, s)
    if "--container-image" in s:
        told.sign("pyxis_run", number, s)  # Slurm's pyxis plugin: the job step runs in an enroot container
    if " run" in s and ("docker" in s or "podman" in s or "nerdctl" in s) and _DOCKER_RUN.search(s):
        told.sign("container_run_gpu" if _GPU_FLAG.search(s) else "container_run_no_gpu", number, s)
    if (
        ("gpu" in s or "nvidia" in s)
        and ("capabilities:" in s or "runtime:" in s or s.startswith("driver:"))
        and _GPU_REQUEST.search(s)
    ):
        told.sign("container_gpu_requested", number, s)
    if "install" in s and "nvidia-" in s and (m := _APT_INSTALL.search(s)) and (b := _BRANCH_PKG.search(s, m.end())):
        # "apt-get install nvidia-driver-396": a branch, not a version (396.18 and 396.54 run different CUDA).
        told.sign("driver_branch:" + b.group(1), number, s)
    if "nvidia-smi" in s and "ontainer" in s and _SMI_ABSENT_INSIDE.search(s):
        told.sign("smi_absent_in_container", number, s)
    elif "nvidia-smi" in s and "ontainer" in s and _SMI_WORKS_INSIDE.search(s):
        told.sign("smi_works_in_container", number, s)
    if "nvidia-smi" in s and (m := _NO_SMI.search(s)):
        told.sign("no_smi", number, s)
        if m.group(0).startswith(("exec:", "executable file")):
            told.sign("container", number, s)  # the container runtime's own words: it ran in a container
    if "Unsloth: No NVIDIA GPU found" in s:
        _set_available(told, False, number, s)  # Unsloth raises it where torch.cuda.is_available() is False
    if "Torch is not able to use GPU" in s:
        # Stable Diffusion web UI's launch check, raised when `assert torch.cuda.is_available()` fails in its
        # python (AUTOMATIC1111/stable-diffusion-webui modules/launch_utils.py): the answer False, in its words
        _set_available(told, False, number, s)
    if "docker-compose version" in s:
        told.sign("compose_version", number, s)
    if "NCCL version" in s and (n := _NCCL_BUILT.search(s)):
        told.sign(f"nccl_cuda:{n.group(1)}", number, s)  # NCCL's banner: the CUDA it was built with
    if "cudnn" in s and ".dll" in s:
        # a cuDNN DLL named with its major ("cudnn_ops_infer64_9.dll" in torch's lib folder): which cuDNN is there
        for major in CUDNN_DLL_MAJOR.findall(s):
            told.sign(f"cudnn_dll:{major}", number, s)
    if "Pytorch binaries were compiled with Cuda" in s:
        # apex's setup.py (2019) printed its warning, a blank line, then torch's CUDA on a line of its own (NVIDIA/
        # apex#315): the message alone does not hold the version
        told.sign("apex_torch_cuda", number, s)
    if "cdiVersion" in s and _CDI_VERSION.match(s):
        told.sign("cdi_spec", number, s)
    elif "/dev/nvidia" in s and (m := _CDI_NODE.match(s)):
        told.sign("cdi_node", number, s)
    if "'devices' was unexpected" in s and "reservations" in s:
        told.sign("compose_no_devices", number, s)
    if "abric" in s and "usually caused by" not in s and _FABRIC.search(bare := s.replace("`", "")):
        # (a backtick may split the word in markdown; NCCL's NVLS hint "usually caused by ... error in the Fabric
        # Manager" is no report of it)
        told.sign("fabric_manager", number, s)
        if _FABRIC_BAD.search(bare.split("journalctl")[0] if "journalctl" in bare else bare):
            told.sign("fabric_manager_failed", number, s)
    if ("nvls.cc" in s and " WARN " in s) or "(NVLS) Multicast" in s:
        # NCCL's NVLink SHARP (multicast through the NVSwitches) failed: "transport/nvls.cc:223 NCCL WARN Cuda failure
        # 999" (NVIDIA/nccl-tests#276, NVIDIA/nccl#1488), "Failed to bind NVLink SHARP (NVLS) Multicast memory ...
        # usually caused by a system or configuration error in the Fabric Manager or NVSwitches" (NCCL 2.29)
        told.sign("nvls_failed", number, s)
    if "802" in s and ("CUDA" in s or "cuda" in s) and _CUDA_802.search(s):
        told.sign("cuda_802", number, s)  # "CUDA initialization fails with 802 system error", in a report's words
    if "wsl" in s or "WSL" in s or "/mnt/" in s or "\\" in s or "/Users/" in s or "-packages/" in s:
        # (the tests _read_paths makes first)
        _read_paths(told, s, number)
    if "@" in raw and not told.macos and ("MBP" in raw or "Mac" in raw) and _MAC_PROMPT.search(raw):
        told.macos = True
        told.sign("macos", number, raw.strip())
    if "\\" in raw and not told.windows and "\\" not in s and _WIN_PATH.search(raw):
        told.windows = True  # a cmd.exe prompt ("D:\darknet\x64>darknet.exe ...") that plain() took off the line
    if ("ube" in s or "k8s" in s or "k3s" in s or "k0s" in s or s.startswith("kind:")) and _K8S.search(s):
        told.sign("kube", number, s)  # Kubernetes: a pod gets the NVIDIA runtime by its node's default or its spec
    if "nvidia.com/gpu" in s and _POD_GPU.search(s):
        told.sign("pod_gpu_request", number, s)
    if "runtimeClassName" in s and _RUNTIME_CLASS.search(s):
        told.sign("pod_runtime_class", number, s)
    if "default_runtime_name" in s and (d := _DEFAULT_RUNTIME.search(s)):
        told.sign("containerd_default:" + d.group(1), number, s)
    if " => /" in s and (d := _LDD_CUDA.match(s)) and "-packages/" not in d.group(2):
        told.sign("ldd_system_cuda", number, s)  # ldd: a CUDA library of the toolkit resolved outside the wheels
    if s.startswith("ldd ") and "-packages/" in s:
        told.sign("ldd_wheel", number, s)
    if "gfx" in s and (g := _GFX.search(s)):
        told.sign("amd_gfx:" + g.group(1), number, s)
    if ("Windows" in s or "windows" in s) and len(s) < 48 and _WINDOWS_LINE.match(s):
        told.windows = True  # a hand-typed "Windows 10" / "OS: Windows 11 Pro" line
        told.sign("windows", number, s)
    if (
        (
            "Apple M" in s
            or "macOS" in s
            or "Mac" in s
            or "acbook" in s
            or "MBP" in s
            or "Darwin" in s
            or "homebrew" in s
            or "Metal " in s
            or ".app/" in s
            or s.startswith("OS")
        )
        and (not told.macos or len(told.signs.get("macos", ())) < 8)
        and _says_macos(s)
    ):
        told.macos = True
        told.sign("macos", number, s)


def _read_banner(told: Told, torch: str, index: str | None, gpu: str | None, number: int, s: str) -> None:
    """An Ultralytics or YOLOv5 banner's torch (its build) and the CUDA device it names, if any."""
    if told.torch is None:
        told.torch = torch
        told.sign("torch", number, s)
    if torch.endswith("+cpu"):
        told.sign("cpu_build", number, s)
    if gpu and index is not None:
        told.add_gpu(int(index), gpu.strip(), number, s)


def _read_paths(told: Told, s: str, number: int) -> None:
    if "directml" in s or "DirectML" in s:
        # torch-directml, Windows' backend for AMD and Intel GPUs (a "...-directml" fork of a program, its package)
        told.sign("directml", number, s)
    if "-packages/" in s and _POSIX_SITE.search(s):
        told.posix_python = True
    if ("/Users/" in s or "/Applications/" in s) and _says_macos(s):
        told.macos = True  # a home folder on macOS (Windows writes C:\Users), an application bundle
        told.sign("macos", number, s)
    if ("wsl" in s or "WSL" in s or "/mnt/" in s) and _WSL.search(s):
        told.sign("wsl", number, s)
    if "\\" in s and _WIN_PATH.search(s):
        told.windows = True


def _bracketed(text: str | None) -> str | None:
    if not text:
        return None
    m = re.search(r"\[([^\]]{2,80})\]", text)
    return m.group(1).strip() if m else None


def _dist(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _mm(value: str) -> str | None:
    m = re.match(r"(\d{1,3})\.(\d{1,3})", value)
    return f"{int(m.group(1))}.{int(m.group(2))}" if m else None
