"""Every accelerator that is not an NVIDIA GPU on x86, and the platform facts around it.

Runs the readers of ``amd.py``, ``intel.py``, ``apple.py`` and ``arm.py``; tools only where the
machine gives a reason to (a display controller of that vendor on the PCI bus, a KFD tree, macOS),
so a plain x86 server pays for a few file reads. Tools run through ``envtool.runner`` with a timeout.
"""

from __future__ import annotations

import dataclasses
import os
import platform
import time
from collections.abc import Mapping
from pathlib import Path

from envtool import runner
from envtool.errors import ToolNotFoundError
from envtool.knowledge import accelerators as kn
from envtool.model import Accelerator, PlatformFacts, ProbeNote
from envtool.probes import amd, apple, arm, intel, pci


class _Tools:
    """Runs probe tools and keeps one note per tool (ok, unavailable, timeout, error)."""

    def __init__(self, env: Mapping[str, str], extra_path: tuple[str, ...] = ()) -> None:
        self.env = dict(env)
        if extra_path:
            self.env["PATH"] = os.pathsep.join([self.env.get("PATH", ""), *extra_path])
        self.notes: list[ProbeNote] = []

    def __call__(self, argv: list[str], timeout: float) -> str | None:
        name = f"platforms.{argv[0]}"
        try:
            done = runner.capture(argv, timeout=timeout, env=self.env)
        except ToolNotFoundError:
            self.notes.append(ProbeNote(probe=name, status="unavailable", reason="not installed"))
            return None
        except Exception as exc:  # a tool that cannot start must not take detect down
            self.notes.append(ProbeNote(probe=name, status="error", reason=str(exc)))
            return None
        if done.timed_out:
            self.notes.append(
                ProbeNote(probe=name, status="timeout", reason=done.describe_failure(), duration_s=done.duration_s)
            )
            return None
        if done.returncode != 0:
            self.notes.append(
                ProbeNote(probe=name, status="unavailable", reason=done.describe_failure(3), duration_s=done.duration_s)
            )
            return None
        self.notes.append(ProbeNote(probe=name, status="ok", duration_s=done.duration_s))
        return done.stdout


def _group_names() -> tuple[str, ...]:
    try:
        import grp

        return tuple(sorted({grp.getgrgid(g).gr_name for g in os.getgroups()}))
    except (ImportError, KeyError, OSError):
        return ()


def _amd_from_pci(devices: list[pci.PciDevice]) -> list[Accelerator]:
    out: list[Accelerator] = []
    for d in devices:
        if d.vendor not in ("amd", "hygon"):
            continue
        spec = kn.amd_gpu(pci_device=f"{d.device_id:04x}") if d.vendor == "amd" else None
        out.append(
            Accelerator(
                index=len(out),
                vendor=d.vendor,
                name=spec.name if spec else d.name,
                arch=spec.gfx if spec else None,
                pci_id=d.pci_id,
                driver=d.driver,
                source="pci",
                notes=("only the PCI bus shows this GPU (no KFD, rocminfo or rocm-smi answered)",),
            )
        )
    return out


def _fill_amd(a: Accelerator) -> Accelerator:
    """A name or gfx target from the knowledge table where the reader had none."""
    if a.vendor != "amd" or (a.arch and a.name):
        return a
    spec = kn.amd_gpu(name=a.name, pci_device=a.pci_id)
    if spec is None:
        return a
    return dataclasses.replace(
        a,
        name=a.name or spec.name,
        arch=a.arch or spec.gfx,
        memory_shared=a.memory_shared if a.memory_shared is not None else (spec.shared_memory or None),
    )


def probe_platforms(
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 5.0,
    root: str = "/",
    os_name: str | None = None,
    arch: str | None = None,
    kernel: str | None = None,
) -> tuple[tuple[tuple[Accelerator, ...], PlatformFacts], tuple[ProbeNote, ...]]:
    """((accelerators, platform facts), notes). ``root`` prefixes /sys, /proc, /etc, /dev and /opt/rocm."""
    start = time.monotonic()
    env = dict(os.environ if env is None else env)
    uname = platform.uname()
    os_name = os_name or uname.system
    arch = arch or uname.machine
    kernel = kernel or uname.release
    r = Path(root)
    tools = _Tools(env, extra_path=(str(r / "opt/rocm/bin"),))
    accels: list[Accelerator] = []
    facts: dict[str, object] = {}
    notes: list[str] = []

    if os_name == "Darwin":
        found, mac = apple.probe_apple(tools, timeout=timeout)
        accels += found
        facts.update({k: v for k, v in mac.items() if v is not None})
    elif os_name == "Linux":
        bus = pci.read_sysfs(r / "sys/bus/pci/devices") or []
        kfd_dir = r / "sys/class/kfd/kfd/topology"
        rocm_root = r / "opt/rocm"
        if kfd_dir.is_dir() or rocm_root.is_dir() or any(d.vendor in ("amd", "hygon") for d in bus):
            found, amd_notes = amd.probe_amd(tools, topology=kfd_dir, timeout=timeout)
            notes += amd_notes
            if not found:
                found = _amd_from_pci(bus)
            accels += [_fill_amd(a) for a in found]
            facts["rocm_version"] = amd.read_rocm_version(rocm_root)
            facts["amdgpu_loaded"] = amd.amdgpu_loaded(r / "sys")
            access, groups = amd.device_access(r / "dev")
            facts["kfd_accessible"] = access
            facts["render_groups"] = groups
            facts["user_groups"] = _group_names()
        if any(d.vendor_id == intel.INTEL_VENDOR for d in bus):
            found_intel, ifacts = intel.probe_intel(tools, bus, timeout=timeout)
            accels += [dataclasses.replace(a, index=len(accels) + i) for i, a in enumerate(found_intel)]
            if "level_zero" in ifacts:
                facts["level_zero"] = ifacts["level_zero"]
            if ifacts.get("level_zero_version"):
                notes.append(f"Level Zero {ifacts['level_zero_version']} (xpu-smi's banner)")
        facts.update(
            {
                k: v
                for k, v in arm.probe_arm(arch=arch, kernel=kernel, proc=r / "proc", etc=r / "etc").items()
                if v is not None
            }
        )
    facts["visible_devices"] = amd.visible_devices(env) + tuple(
        (k, env[k]) for k in ("ZE_AFFINITY_MASK", "ONEAPI_DEVICE_SELECTOR") if k in env
    )
    if notes:
        facts["notes"] = tuple(facts.get("notes", ())) + tuple(notes)  # type: ignore[arg-type]
    pf = PlatformFacts(**facts)  # type: ignore[arg-type]
    out_notes = [n for n in tools.notes if n.status in ("timeout", "error")]
    out_notes.append(ProbeNote(probe="platforms", status="ok", duration_s=time.monotonic() - start))
    return (tuple(accels), pf), tuple(out_notes)
