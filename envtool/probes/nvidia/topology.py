"""How the GPUs of one machine reach each other, for ``envtool bench --nproc``.

It explains a low all-reduce bandwidth or scaling efficiency. Two readers, one shape:
``nvidia-smi topo -m`` (parsed by a pure function) and NVML's P2P status and common PCIe
ancestor (read by ``nvml.read_nvml_pairs``, decoded here by a pure function).
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from envtool import runner
from envtool.errors import ExternalError, ToolNotFoundError
from envtool.model import ProbeNote
from envtool.probes.nvidia.nvml import read_nvml_pairs
from envtool.probes.nvidia.smi import _first_meaningful_line

__all__ = [
    "GpuTopology",
    "link_class",
    "nvlink_count",
    "parse_nvidia_smi_topo",
    "probe_topology",
    "read_nvidia_smi_topo",
    "read_nvml_topology",
    "topology_from_nvml",
]


@dataclass(frozen=True, kw_only=True)
class GpuTopology:
    """The GPU-to-GPU link matrix of one machine.

    ``links`` holds one entry per unordered pair (i < j) with nvidia-smi's code: ``NV#`` (a
    bonded set of # NVLinks), ``PIX``, ``PXB``, ``PHB``, ``NODE``, ``SYS`` (legend of
    `nvidia-smi topo -m`), or ``NV`` when NVML says NVLink P2P works but not over how many links.
    ``p2p`` holds, per pair, NVML's P2P read status ("ok", "not_supported", ...), when read.
    """

    source: str  # "nvidia-smi topo -m" or "nvml"
    gpus: tuple[int, ...] = ()
    links: tuple[tuple[int, int, str], ...] = ()
    p2p: tuple[tuple[int, int, str], ...] = ()
    cpu_affinity: tuple[tuple[int, str], ...] = ()
    numa_affinity: tuple[tuple[int, str], ...] = ()
    nics: tuple[str, ...] = ()


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# The link codes of `nvidia-smi topo -m`, from its own legend (printed under every matrix, e.g.
# shared/fixtures/nvidia-smi/h100-80gb-mig-driver590-capture.txt, section "topo -m"):
# X = self; SYS = PCIe + the SMP interconnect between NUMA nodes (QPI/UPI); NODE = PCIe + the
# interconnect between host bridges within a NUMA node; PHB = PCIe + a host bridge (the CPU);
# PXB = several PCIe bridges, no host bridge; PIX = at most one PCIe bridge; NV# = # bonded NVLinks.
# Older drivers printed SOC for what is now SYS.
def link_class(code: str) -> str:
    """``nvlink``; ``pcie`` (switches only: PIX/PXB); ``pcie_host`` (PHB/NODE/SYS: via the CPU); else ``unknown``."""
    c = code.strip().upper()
    if c.startswith("NV"):
        return "nvlink"
    if c in ("PIX", "PXB"):
        return "pcie"
    if c in ("PHB", "NODE", "SYS", "SOC"):
        return "pcie_host"
    return "unknown"


def nvlink_count(code: str) -> int | None:
    """The # of ``NV#``; None for other codes or a bare ``NV``."""
    m = re.fullmatch(r"NV(\d+)", code.strip().upper())
    return int(m.group(1)) if m else None


def parse_nvidia_smi_topo(text: str) -> GpuTopology | None:
    """Parse `nvidia-smi topo -m` output; None when it holds no GPU matrix.

    Tolerates the ANSI underline nvidia-smi puts on the header row, NIC/mlx5 rows and columns,
    empty trailing cells, and a legend after the matrix.
    """
    lines = [_ANSI.sub("", line).rstrip("\r\n") for line in text.splitlines()]
    header: list[str] | None = None
    rows: dict[int, list[str]] = {}
    nics: list[str] = []
    for line in lines:
        if line.strip().startswith("Legend"):
            break
        cells = [c.strip() for c in line.split("\t")]
        if header is None:
            if "GPU0" in cells and cells[0] == "":
                header = cells[1:]
            continue
        first = cells[0]
        m = re.fullmatch(r"GPU(\d+)", first)
        if m:
            rows[int(m.group(1))] = cells[1:]
        elif first and not first.startswith("#"):
            nics.append(first)
    if header is None or not rows:
        return None
    gpu_cols = {i: int(h[3:]) for i, h in enumerate(header) if re.fullmatch(r"GPU\d+", h)}
    cpu_col = header.index("CPU Affinity") if "CPU Affinity" in header else None
    numa_col = header.index("NUMA Affinity") if "NUMA Affinity" in header else None
    links: dict[tuple[int, int], str] = {}
    cpu: list[tuple[int, str]] = []
    numa: list[tuple[int, str]] = []
    for g, cells in sorted(rows.items()):
        for col, other in gpu_cols.items():
            if other == g or col >= len(cells):
                continue
            code = cells[col]
            if code and code != "X":
                links.setdefault((min(g, other), max(g, other)), code)
        for aff_col, out in ((cpu_col, cpu), (numa_col, numa)):
            if aff_col is not None and aff_col < len(cells) and cells[aff_col] and cells[aff_col] != "N/A":
                out.append((g, cells[aff_col]))
    return GpuTopology(
        source="nvidia-smi topo -m",
        gpus=tuple(sorted(rows)),
        links=tuple((a, b, c) for (a, b), c in sorted(links.items())),
        cpu_affinity=tuple(cpu),
        numa_affinity=tuple(numa),
        nics=tuple(nics),
    )


def read_nvidia_smi_topo(timeout: float, env: Mapping[str, str] | None = None) -> tuple[str | None, ProbeNote]:
    """Run ``nvidia-smi topo -m``; its stdout, or None and the reason."""
    start = time.monotonic()

    def note(status: str, reason: str = "") -> ProbeNote:
        return ProbeNote(probe="nvidia-smi topo", status=status, reason=reason, duration_s=time.monotonic() - start)

    try:
        done = runner.capture(["nvidia-smi", "topo", "-m"], timeout=timeout, env=env)
    except ToolNotFoundError:
        return None, note("unavailable", "nvidia-smi was not found on PATH")
    except ExternalError as exc:
        return None, note("error", str(exc))
    if done.timed_out:
        return None, note("timeout", f"nvidia-smi topo -m did not answer within {timeout:g} s")
    if done.returncode != 0:
        return None, note("error", _first_meaningful_line(done.stdout, done.stderr) or f"exit code {done.returncode}")
    return done.stdout, note("ok")


# nvmlGpuTopologyLevel_t -> the topo -m code of the same meaning. Values from nvidia-ml-py
# pynvml.py ("NVML_TOPOLOGY_INTERNAL = 0", "SINGLE = 10", "MULTIPLE = 20", "HOSTBRIDGE = 30",
# "NODE = 40", "SYSTEM = 50"), as in nvml.h's nvmlGpuTopologyLevel_t.
_NVML_LEVEL_CODES = {0: "PIX", 10: "PIX", 20: "PXB", 30: "PHB", 40: "NODE", 50: "SYS"}
# nvmlGpuP2PStatus_t, from nvidia-ml-py pynvml.py (NVML_P2P_STATUS_OK = 0 ... UNKNOWN = 6).
_NVML_P2P_STATUS = {
    0: "ok",
    1: "chipset_not_supported",
    2: "gpu_not_supported",
    3: "ioh_topology_not_supported",
    4: "disabled_by_regkey",
    5: "not_supported",
    6: "unknown",
}


def topology_from_nvml(
    pairs: Mapping[tuple[int, int], tuple[int | None, int | None, int | None]], gpus: Sequence[int]
) -> GpuTopology:
    """Pure: NVML answers per pair (common-ancestor level, P2P read status, NVLink P2P status) -> GpuTopology."""
    links, p2p = [], []
    for (a, b), (level, read, nvlink) in sorted(pairs.items()):
        if nvlink == 0:
            code = "NV"
        elif level is not None and level in _NVML_LEVEL_CODES:
            code = _NVML_LEVEL_CODES[level]
        else:
            code = "?"
        links.append((a, b, code))
        if read is not None:
            p2p.append((a, b, _NVML_P2P_STATUS.get(read, f"status_{read}")))
    return GpuTopology(source="nvml", gpus=tuple(gpus), links=tuple(links), p2p=tuple(p2p))


def read_nvml_topology(timeout: float) -> tuple[GpuTopology | None, ProbeNote]:
    """NVML's view of every GPU pair (P2P read / NVLink status, common PCIe ancestor), bounded by ``timeout``."""
    answer, note = read_nvml_pairs(timeout)
    if answer is None:
        return None, note
    pairs, n = answer
    return topology_from_nvml(pairs, range(n)), note


def probe_topology(
    timeout: float = 10.0, env: Mapping[str, str] | None = None
) -> tuple[GpuTopology | None, tuple[ProbeNote, ...]]:
    """``nvidia-smi topo -m`` first (it counts NVLinks), NVML's P2P view as the fallback.

    When both answer, NVML's P2P status is merged into nvidia-smi's matrix.
    """
    text, note = read_nvidia_smi_topo(timeout, env)
    topo = parse_nvidia_smi_topo(text) if text else None
    notes = [note]
    nv, nv_note = read_nvml_topology(timeout)
    notes.append(nv_note)
    if topo is None:
        return nv, tuple(notes)
    if nv is not None and nv.p2p:
        topo = dataclasses.replace(topo, p2p=nv.p2p)
    return topo, tuple(notes)
