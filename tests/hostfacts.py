"""Host facts built in tests from parts (the platform and peak tests build machines they cannot run on)."""

from __future__ import annotations

from pathlib import Path

from envtool.model import Accelerator, HostFacts, NvidiaFacts, PlatformFacts, PythonFacts, SystemFacts, TorchBuild


def host(
    *,
    accels: tuple[Accelerator, ...] = (),
    pf: PlatformFacts | None = None,
    torch: TorchBuild | None = None,
    nvidia: NvidiaFacts | None = None,
    os_name: str = "Linux",
    arch: str = "x86_64",
) -> HostFacts:
    return HostFacts(
        system=SystemFacts(os_name=os_name, arch=arch),
        nvidia=nvidia or NvidiaFacts(),
        python=PythonFacts(torch=torch),
        accelerators=accels,
        platform=pf or PlatformFacts(),
    )


def text(hw: Path, name: str) -> str:
    """A capture from ``../shared/fixtures/hw``, as text."""
    return (hw / name).read_text(encoding="utf-8", errors="replace")
