"""What the NVIDIA driver says: NVML first, ``nvidia-smi -q -x`` as the fallback, then the PCI bus.

The package splits by source: ``nvml`` (the only module that imports ``pynvml``), ``smi``
(running nvidia-smi and the pure parsers of its output), ``topology`` (``nvidia-smi topo -m``
and NVML's P2P view, for the distributed bench) and ``pci`` (sysfs). This module holds the
probe that ``envtool detect`` runs, and re-exports the public names of the others.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from envtool.model import NvidiaFacts, ProbeNote
from envtool.probes.nvidia.nvml import (
    THROTTLE_REASON_BITS,
    cuda_version_from_int,
    read_nvml,
    throttle_reasons_from_mask,
)
from envtool.probes.nvidia.smi import parse_nvidia_smi_query_csv, parse_nvidia_smi_xml, read_nvidia_smi
from envtool.probes.nvidia.topology import (
    GpuTopology,
    link_class,
    nvlink_count,
    parse_nvidia_smi_topo,
    probe_topology,
    read_nvidia_smi_topo,
    read_nvml_topology,
    topology_from_nvml,
)
from envtool.probes.pci import nvidia_present as hardware_present

__all__ = [
    "THROTTLE_REASON_BITS",
    "GpuTopology",
    "cuda_version_from_int",
    "hardware_present",
    "link_class",
    "nvlink_count",
    "parse_nvidia_smi_query_csv",
    "parse_nvidia_smi_topo",
    "parse_nvidia_smi_xml",
    "probe_nvidia",
    "probe_topology",
    "read_nvidia_smi",
    "read_nvidia_smi_topo",
    "read_nvml",
    "read_nvml_topology",
    "throttle_reasons_from_mask",
    "topology_from_nvml",
]


def probe_nvidia(
    timeout: float = 5.0,
    env: Mapping[str, str] | None = None,
    sys_root: str = "/sys",
) -> tuple[NvidiaFacts, tuple[ProbeNote, ...]]:
    """NVML first; nvidia-smi when NVML is unavailable or fails; then the PCI bus. Never raises.

    Takes at most about ``2 * timeout`` (one timeout each for NVML and nvidia-smi).
    """
    notes: list[ProbeNote] = []
    facts: NvidiaFacts | None = None
    try:
        facts, nvml_note = read_nvml(timeout)
        notes.append(nvml_note)
        if facts is None or facts.error:
            smi_facts = _probe_nvidia_smi(timeout, env, notes)
            if smi_facts is not None and (facts is None or smi_facts.error is None):
                facts = smi_facts
    except Exception as exc:  # a bug here must not stop `envtool detect`
        notes.append(ProbeNote(probe="nvidia", status="error", reason=_bug(exc)))
    try:
        present = hardware_present(sys_root)
    except Exception as exc:  # the same: a note, never a crash
        present = None
        notes.append(ProbeNote(probe="pci", status="error", reason=_bug(exc)))
    return dataclasses.replace(facts or NvidiaFacts(), hardware_present=present), tuple(notes)


def _bug(exc: BaseException, doing: str = "") -> str:
    where = f" {doing}" if doing else ""
    return f"internal error{where}: {type(exc).__name__}: {exc}"


def _probe_nvidia_smi(timeout: float, env: Mapping[str, str] | None, notes: list[ProbeNote]) -> NvidiaFacts | None:
    text, note = read_nvidia_smi(timeout, env)
    if text is None:
        notes.append(note)
        if note.status == "error":
            # nvidia-smi ran and the driver refused: keep its words for the rules.
            return NvidiaFacts(source="nvidia-smi", error=note.reason)
        return None
    try:
        facts = parse_nvidia_smi_xml(text)
    except ValueError as exc:
        notes.append(dataclasses.replace(note, status="error", reason=str(exc)))
        return None
    except Exception as exc:  # a parser bug becomes a note
        notes.append(dataclasses.replace(note, status="error", reason=_bug(exc, "parsing nvidia-smi XML")))
        return None
    notes.append(note)
    return facts
