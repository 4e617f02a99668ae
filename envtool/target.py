"""Pure: the machine a report describes, as a plan needs it (``plan --for REPORT``).

A Docker build host, a login node or a CI runner has no GPU; the GPU node it plans for sent a
report instead: an ``envtool detect --json`` output or anything ``diagnose`` reads (a pasted
``collect_env`` dump). From it come the target's platform (``sys.platform``), architecture,
GPUs, driver and Python; the profile is then checked against those facts, not this machine's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from envtool.errors import BadInputError
from envtool.model import Finding, HostFacts

# platform.system() -> sys.platform, for the systems envtool plans for.
_PLATFORMS = {"linux": "linux", "windows": "win32", "darwin": "darwin"}
_ARCHS = {"amd64": "x86_64", "x64": "x86_64", "x86_64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}


@dataclass(frozen=True, kw_only=True)
class Target:
    """Another machine, from its report."""

    source: str  # the report's name (a path or <stdin>)
    facts: HostFacts
    platform: str  # sys.platform of the target
    arch: str | None  # "x86_64", "aarch64", "arm64"; None: the report does not say
    python: str | None  # the target's Python version, when the report names it
    notes: tuple[str, ...] = ()


def platform_of(os_name: str | None, os_pretty: str | None = None) -> str | None:
    """``sys.platform`` for a report's OS (``Linux`` -> ``linux``); WSL is Linux."""
    for text in (os_name, os_pretty):
        low = (text or "").lower()
        for key, plat in _PLATFORMS.items():
            if key in low:
                return plat
        if "macos" in low or "mac os" in low or "os x" in low:
            return "darwin"
        if any(d in low for d in ("ubuntu", "debian", "centos", "red hat", "rhel", "rocky", "fedora", "suse")):
            return "linux"
    return None


def arch_of(arch: str | None) -> str | None:
    return _ARCHS.get((arch or "").strip().lower()) if arch else None


def target_from_facts(facts: HostFacts, source: str) -> Target:
    """The target of a report's facts; bad input when the report does not say which OS it ran."""
    s = facts.system
    plat = platform_of(s.os_name, s.os_pretty)
    if plat is None:
        raise BadInputError(
            f"{source}: the report does not say which operating system the machine runs (no OS line); "
            "give the target's `envtool detect --json` output"
        )
    arch = arch_of(s.arch)
    notes = []
    if arch is None:
        notes.append(f"{source} does not name the machine's architecture; x86_64 is assumed where it matters")
    if not facts.nvidia.gpus and facts.nvidia.driver_version is None:
        notes.append(f"{source} lists no NVIDIA GPU and no driver")
    return Target(source=source, facts=facts, platform=plat, arch=arch, python=facts.python.version, notes=tuple(notes))


def load_target(text: str, name: str) -> Target:
    """A report's text (envtool JSON or a collect_env dump) -> the machine it describes."""
    from envtool import diagnose

    return target_from_facts(diagnose.load_report(text, name), name)


def foreign_prefix(prefix: str | None, name: str | None, backend: str, platform: str) -> str | None:
    """``--prefix`` as a directory of the target (not resolved against this machine's working directory)."""
    if prefix is None:
        if backend != "conda" and name is not None:
            raise BadInputError("--for with --name: give --prefix DIR, the environment's directory on the target")
        return None
    pure = PureWindowsPath(prefix) if platform == "win32" else PurePosixPath(prefix)
    if not pure.is_absolute():
        raise BadInputError(f"--prefix {prefix}: with --for, give an absolute directory on the target machine")
    return str(pure)


def with_misfits(rendered: str, profile: str, t: Target, misfits: Sequence[Finding]) -> str:
    """The export opened by comment lines saying why its profile does not fit the target (after a shebang)."""
    lines = [f"# envtool: profile {profile} does not fit the machine of {t.source}:"]
    lines += [f"#   {f.id}: {f.message} (fix: {f.fix})" for f in misfits]
    head, rest = ("", rendered)
    if rendered.startswith("#!"):
        head, _, rest = rendered.partition("\n")
        head += "\n"
    return head + "\n".join(lines) + "\n" + rest


def describe(t: Target, profile_python: str | None = None) -> dict[str, object]:
    """What ``plan --for`` shows of the target (JSON ``data.for``)."""
    nv = t.facts.nvidia
    notes = list(t.notes)
    if profile_python and t.python and not t.python.startswith(profile_python + "."):
        notes.append(
            f"the target runs Python {t.python}; the plan creates Python {profile_python} "
            f"(python{profile_python} must exist there, or use --backend uv or conda)"
        )
    return {
        "input": t.source,
        "platform": t.platform,
        "arch": t.arch,
        "os": t.facts.system.os_pretty or t.facts.system.os_name,
        "python": t.python,
        "driver": nv.driver_version,
        "driver_cuda": nv.cuda_driver_version,
        "gpus": [{"name": g.name, "compute_capability": g.compute_capability} for g in nv.gpus],
        "notes": notes,
    }


# --------------------------------------------------------------------------- the shell: reads the report file

MAX_BYTES = 64 * 2**20  # a report is kilobytes; refuse to read a disk image


def read_target(path: str, platform: str | None = None) -> Target:
    """The machine of ``--for REPORT``: bad input (exit 2, before any work) when it cannot be read."""
    if platform is not None:
        raise BadInputError(f"--for {path} names the target's platform itself; leave out --platform {platform}")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise BadInputError(
            f"--for {path}: cannot read ({exc.strerror or exc}); give the target's `envtool detect --json` output"
        ) from exc
    if len(raw) > MAX_BYTES:
        raise BadInputError(f"--for {path}: larger than {MAX_BYTES // 2**20} MiB; give the report itself, not a log")
    return load_target(raw.decode("utf-8", errors="replace"), path)
