"""The lab onboarding checklist: ordered checks -> ``CheckResult`` list.

Each check is a function of a ``Context`` (what is known so far) and returns a result; a
check whose prerequisite did not pass is SKIP with that reason, never a fake PASS. The
things that touch the machine (the deep torch probe, a transformers import, the workload)
are fields of the context, so tests can give their own; ``Context.for_target`` fills them with
the real ones, which run the target python through ``envtool.runner`` (the workload through
``envtool.workload``).

This is envtool's one verification engine: ``envtool checklist`` and ``onboard`` run the whole
list, ``envtool install`` the checks that apply to a new environment (``INSTALL_CHECKS``), with
the install plan in the context so the ``pins`` check compares the environment with it.

A lab tunes the checklist with a TOML file (thresholds, which checks, its own commands).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import os
import re
import time
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from envtool import rules
from envtool.errors import BadInputError, EnvtoolError
from envtool.knowledge import accelerators as kn
from envtool.model import Accelerator, CheckResult, Finding, HostFacts, Profile, Severity, Status, TorchRuntime
from envtool.plan import Plan
from envtool.tomlfile import read_toml
from envtool.util import GIB, version_parts

_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


# --------------------------------------------------------------------------- the checklist file


@dataclass(frozen=True, kw_only=True)
class CommandCheck:
    """A lab's own check: an argv list run with a timeout; never a shell string."""

    id: str
    title: str
    argv: tuple[str, ...]
    expect_exit: int = 0
    timeout: float = 30.0
    fix: str = ""


@dataclass(frozen=True, kw_only=True)
class ChecklistConfig:
    min_python: str = "3.10"
    min_disk_gib: float = 20.0
    min_ram_gib: float = 8.0
    min_shm_gib: float = 1.0
    min_driver: str | None = None
    expected_profile: str | None = None
    min_accuracy: float = 0.85
    skip: tuple[str, ...] = ()
    train: bool = False  # the sentiment smoke fine-tune takes minutes: opt in
    bench_options: Mapping[str, Any] = field(default_factory=dict)
    commands: tuple[CommandCheck, ...] = ()
    source: str | None = None


_THRESHOLDS = {
    "min_python": str,
    "min_disk_gib": (int, float),
    "min_ram_gib": (int, float),
    "min_shm_gib": (int, float),
    "min_driver": str,
    "expected_profile": str,
    "min_accuracy": (int, float),
}
_CHECKS = {"skip": list, "train": bool}
_BENCH = {"model": str, "precision": str, "batch_size": int, "seq_len": int, "steps": int, "warmup": int, "device": str}
_COMMAND = {"id": str, "title": str, "argv": list, "expect_exit": int, "timeout": (int, float), "fix": str}
_TOP = {"thresholds": dict, "checks": dict, "bench": dict, "command": list}


def _type_name(t: Any) -> str:
    return " or ".join(x.__name__ for x in t) if isinstance(t, tuple) else t.__name__


def _validate(path: str, table: Mapping[str, Any], schema: Mapping[str, Any], prefix: str) -> None:
    for key, value in table.items():
        where = f"{prefix}{key}"
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f"did you mean '{close[0]}'?" if close else f"allowed: {', '.join(sorted(schema))}"
            raise BadInputError(f"{path}: unknown key '{where}'; {hint}")
        want = schema[key]
        if isinstance(value, bool) and want in (int, float, (int, float)):
            raise BadInputError(f"{path}: key '{where}' must be a {_type_name(want)}, not a boolean")
        if not isinstance(value, want):
            raise BadInputError(
                f"{path}: key '{where}' must be a {_type_name(want)}, not {type(value).__name__} ({value!r})"
            )


def load_config(path: str | None) -> ChecklistConfig:
    """Read and validate a checklist TOML file (None: the defaults). Errors are exit 2."""
    if path is None:
        return ChecklistConfig()
    _, raw = read_toml(path, "checklist file")
    _validate(path, raw, _TOP, "")
    th = raw.get("thresholds", {})
    _validate(path, th, _THRESHOLDS, "thresholds.")
    ch = raw.get("checks", {})
    _validate(path, ch, _CHECKS, "checks.")
    be = raw.get("bench", {})
    _validate(path, be, _BENCH, "bench.")
    for key in ("min_disk_gib", "min_ram_gib", "min_shm_gib"):
        if key in th and th[key] < 0:
            raise BadInputError(f"{path}: key 'thresholds.{key}' must be >= 0")
    if "min_accuracy" in th and not 0 <= th["min_accuracy"] <= 1:
        raise BadInputError(f"{path}: key 'thresholds.min_accuracy' must be between 0 and 1")
    for key in ("min_python", "min_driver"):
        # Bounded digits: _vtuple's int() refuses numbers of more than 4300 digits.
        if key in th and not re.fullmatch(r"\d{1,9}(\.\d{1,9}){0,3}", th[key]):
            raise BadInputError(
                f"{path}: key 'thresholds.{key}' must be a version like '3.10' or '535.104.05', not {th[key]!r}"
            )
    known = set(CHECK_IDS)
    for sid in ch.get("skip", []):
        if not isinstance(sid, str) or sid not in known:
            close = difflib.get_close_matches(str(sid), sorted(known), n=1)
            raise BadInputError(
                f"{path}: 'checks.skip' names {sid!r}, which is not a check"
                + (f"; did you mean '{close[0]}'?" if close else "")
            )
    commands = []
    seen = set(known)
    for i, cmd in enumerate(raw.get("command", [])):
        if not isinstance(cmd, dict):
            raise BadInputError(f"{path}: [[command]] #{i + 1} must be a table")
        _validate(path, cmd, _COMMAND, f"command[{i}].")
        for req in ("id", "argv"):
            if req not in cmd:
                raise BadInputError(f"{path}: [[command]] #{i + 1} needs '{req}'")
        if not _ID.match(cmd["id"]) or cmd["id"] in seen:
            raise BadInputError(
                f"{path}: command[{i}].id {cmd['id']!r} must be a new plain name"
                " (lowercase letters, digits, '_', '-', '.')"
            )
        seen.add(cmd["id"])
        argv = cmd["argv"]
        if not argv or not all(isinstance(a, str) for a in argv):
            raise BadInputError(
                f"{path}: command[{i}].argv must be a non-empty list of strings (an argv list, never a shell string)"
            )
        if cmd.get("timeout", 30.0) <= 0:
            raise BadInputError(f"{path}: command[{i}].timeout must be > 0 seconds")
        commands.append(
            CommandCheck(
                id=cmd["id"],
                title=str(cmd.get("title", cmd["id"])),
                argv=tuple(argv),
                expect_exit=cmd.get("expect_exit", 0),
                timeout=float(cmd.get("timeout", 30.0)),
                fix=cmd.get("fix", ""),
            )
        )
    return ChecklistConfig(
        min_python=th.get("min_python", "3.10"),
        min_disk_gib=float(th.get("min_disk_gib", 20.0)),
        min_ram_gib=float(th.get("min_ram_gib", 8.0)),
        min_shm_gib=float(th.get("min_shm_gib", 1.0)),
        min_driver=th.get("min_driver"),
        expected_profile=th.get("expected_profile"),
        min_accuracy=float(th.get("min_accuracy", 0.85)),
        skip=tuple(ch.get("skip", ())),
        train=bool(ch.get("train", False)),
        bench_options=dict(be),
        commands=tuple(commands),
        source=path,
    )


# --------------------------------------------------------------------------- context


@dataclass(kw_only=True)
class Context:
    """What the checks see. The callables are the only things that touch the machine."""

    facts: HostFacts
    python: str
    python_exists: bool
    config: ChecklistConfig
    profile: Profile | None
    profile_note: str
    deep_probe: Callable[[], TorchRuntime]
    transformers_probe: Callable[[], dict[str, Any]]
    workload: Callable[[Mapping[str, Any]], dict[str, Any]]
    train: Callable[[], dict[str, Any]]
    command: Callable[[CommandCheck], tuple[int | None, str]]
    # ``{"python": "3.11.9", "dists": {name: version}}`` of the target, or ``{"error": ...}``
    packages_probe: Callable[[], dict[str, Any]] | None = None
    drift_probe: Callable[[], CheckResult | None] | None = None  # the environment against its lock file
    plan: Plan | None = None  # the install plan the environment must match (set by `envtool install`)
    results: dict[str, CheckResult] = field(default_factory=dict)
    # What the checks learnt on the way, for the report and the lock file:
    torch_runtime: TorchRuntime | None = None  # the deep probe's answer, asked at most once
    installed: dict[str, str] | None = None  # every distribution of the target (the pins check)
    bench_result: dict[str, Any] | None = None  # the bench check's workload result with its verdict

    @classmethod
    def for_target(
        cls,
        *,
        facts: HostFacts,
        python: str,
        config: ChecklistConfig,
        profile: Profile | None,
        profile_note: str,
        plan: Plan | None = None,
        env: Mapping[str, str] | None = None,
        deep_timeout: float = 120.0,
        workload_timeout: float = 900.0,
    ) -> Context:
        """A context whose probes run ``python`` for real, each child with ``env``."""
        env = dict(os.environ if env is None else env)
        probes = TargetProbes(python=python, env=env, deep_timeout=deep_timeout, workload_timeout=workload_timeout)
        return cls(
            facts=facts,
            python=python,
            python_exists=os.path.exists(python),
            config=config,
            profile=profile,
            profile_note=profile_note,
            deep_probe=probes.deep,
            transformers_probe=probes.transformers,
            workload=probes.workload,
            train=probes.train,
            command=probes.command,
            packages_probe=probes.packages,
            drift_probe=probes.drift,
            plan=plan,
        )

    def runtime(self) -> TorchRuntime:
        if self.torch_runtime is None:
            self.torch_runtime = self.deep_probe()
        return self.torch_runtime

    def passed(self, cid: str) -> bool:
        r = self.results.get(cid)
        return r is not None and r.status in (Status.PASS, Status.WARN)

    def blocked(self, cid: str, why: str) -> str:
        """Why a check cannot run because ``cid`` did not pass: ``why``, or the reason ``cid`` was skipped."""
        r = self.results.get(cid)
        if r is not None and r.status == Status.SKIP:
            return f"{r.title} was skipped ({r.seen})"
        return why

    def facts_seen(self) -> HostFacts:
        """The facts with the deep probe's answer when a check asked for it."""
        if self.torch_runtime is None:
            return self.facts
        return dataclasses.replace(self.facts, torch_runtime=self.torch_runtime)


def _r(cid: str, status: Status, seen: str, fix: str = "") -> CheckResult:
    return CheckResult(id=cid, title=TITLES[cid], status=status, seen=seen, fix=fix if status != Status.PASS else "")


def _skip(cid: str, why: str) -> CheckResult:
    return CheckResult(id=cid, title=TITLES.get(cid, cid), status=Status.SKIP, seen=why)


def _findings_of(facts: HostFacts, ids: Sequence[str]) -> list[Finding]:
    return [f for f in rules.evaluate(facts) if f.id in ids]


# --------------------------------------------------------------------------- the checks


def check_os(ctx: Context) -> CheckResult:
    s = ctx.facts.system
    what = (
        f"{s.os_pretty or s.os_name or '?'} on {s.arch or '?'}"
        + (f" (WSL{s.wsl})" if s.wsl else "")
        + (f", in {s.container}" if s.container else "")
    )
    if s.os_name == "Linux" and s.arch in ("x86_64", "aarch64"):
        return _r("os", Status.PASS, what)
    if s.os_name in ("Windows", "Darwin") or (s.os_name == "Linux" and s.arch):
        return _r(
            "os",
            Status.WARN,
            what,
            "PyTorch's CUDA wheels and envtool's profiles target Linux x86_64/aarch64;"
            " on Windows use WSL2, on macOS expect the CPU/MPS build",
        )
    return _r("os", Status.FAIL, what, "use a Linux x86_64 or aarch64 machine")


def check_python(ctx: Context) -> CheckResult:
    v = ctx.facts.python.version
    if not ctx.python_exists or v is None:
        return _r(
            "python",
            Status.FAIL,
            f"cannot run {ctx.python}",
            "give an existing interpreter with --python, or create an environment with `envtool install`",
        )
    if version_parts(v) >= version_parts(ctx.config.min_python):
        return _r("python", Status.PASS, f"Python {v} ({ctx.python})")
    return _r(
        "python",
        Status.FAIL,
        f"Python {v} is older than {ctx.config.min_python}",
        "create an environment with a newer Python: `envtool install --profile auto`",
    )


def check_disk(ctx: Context) -> CheckResult:
    disks = [d for d in ctx.facts.system.disks if d.free_bytes is not None]
    if not disks:
        return _skip("disk", "free disk could not be read")
    low = min(disks, key=lambda d: d.free_bytes or 0)
    seen = ", ".join(f"{d.path}: {d.free_bytes / GIB:.1f} GiB free" for d in disks)  # type: ignore[operator]
    need = ctx.config.min_disk_gib * GIB
    if (low.free_bytes or 0) >= need:
        return _r("disk", Status.PASS, seen)
    status = Status.FAIL if (low.free_bytes or 0) < need / 4 else Status.WARN
    return _r(
        "disk",
        status,
        seen + f" (want {ctx.config.min_disk_gib:g} GiB)",
        f"free space at {low.path}, or put environments and HF_HOME on a larger disk",
    )


def check_ram(ctx: Context) -> CheckResult:
    total = ctx.facts.system.ram_total_bytes
    if total is None:
        return _skip("ram", "RAM could not be read")
    seen = f"{total / GIB:.1f} GiB"
    if total >= ctx.config.min_ram_gib * GIB:
        return _r("ram", Status.PASS, seen)
    return _r(
        "ram",
        Status.WARN,
        seen + f" (want {ctx.config.min_ram_gib:g} GiB)",
        "use smaller batches, or a machine with more memory",
    )


def check_shm(ctx: Context) -> CheckResult:
    shm = ctx.facts.system.shm_bytes
    if ctx.facts.system.os_name != "Linux" or shm is None:
        return _skip(
            "shm",
            "/dev/shm exists only on Linux" if ctx.facts.system.os_name != "Linux" else "/dev/shm could not be read",
        )
    seen = f"{shm / GIB:.2f} GiB"
    if shm >= ctx.config.min_shm_gib * GIB:
        return _r("shm", Status.PASS, seen)
    return _r(
        "shm",
        Status.WARN,
        seen + f" (want {ctx.config.min_shm_gib:g} GiB)",
        "in docker: `--shm-size=8g` or `--ipc=host`; on a host: `sudo mount -o remount,size=8G /dev/shm`",
    )


# --------------------------------------------------------------------------- the GPU of each vendor


@dataclass(frozen=True, kw_only=True)
class _Gpus:
    """The GPUs a torch of this machine should run on: the deep probe's device prefix, how many, whose."""

    vendor: str  # "nvidia", "jetson", "amd", "intel", "apple"
    prefix: str  # "cuda" (NVIDIA, Jetson and ROCm through HIP), "xpu" or "mps"
    count: int
    label: str


def _amd_gpus(facts: HostFacts) -> list[Accelerator]:
    return [a for a in facts.accelerators if a.vendor == "amd"]


def _xpu_gpus(facts: HostFacts) -> list[Accelerator]:
    return [a for a in facts.accelerators if a.vendor == "intel" and kn.xpu_family(a.name, a.pci_id)]


def _accel_names(accels: Sequence[Accelerator]) -> str:
    return ", ".join(sorted({(a.name or a.pci_id or a.vendor) + (f" ({a.arch})" if a.arch else "") for a in accels}))


def machine_gpus(facts: HostFacts, rt: TorchRuntime | None = None) -> _Gpus | None:
    """The GPUs the checks expect torch to use, or None (no GPU torch can use on this machine).

    On a machine with an NVIDIA and an AMD GPU one torch build serves one vendor: a ROCm torch
    is judged on the AMD GPUs, any other on the NVIDIA ones (the recommendation targets those).
    """
    pf = facts.platform
    nv = facts.nvidia
    amd = _amd_gpus(facts)
    hip = (rt.hip if rt is not None and rt.version else None) or (
        facts.python.torch.hip if facts.python.torch else None
    )
    if pf.kind == "tegra":
        return _Gpus(vendor="jetson", prefix="cuda", count=1, label=f"the Jetson GPU ({pf.soc or 'Tegra'})")
    if amd and (hip or not (nv.gpus or nv.hardware_present)):
        return _Gpus(vendor="amd", prefix="cuda", count=len(amd), label="AMD GPU(s) " + _accel_names(amd))
    if nv.gpus or nv.hardware_present:
        return _Gpus(vendor="nvidia", prefix="cuda", count=len(nv.gpus), label="NVIDIA GPU(s)")
    xpu = [a for a in _xpu_gpus(facts) if a.usable is not False]
    if _xpu_gpus(facts):
        return _Gpus(
            vendor="intel", prefix="xpu", count=len(xpu), label="Intel GPU(s) " + _accel_names(_xpu_gpus(facts))
        )
    if pf.kind == "apple-silicon" and not pf.rosetta:
        return _Gpus(vendor="apple", prefix="mps", count=1, label=f"the Apple GPU ({pf.soc or 'Apple silicon'})")
    return None


def _finding_result(cid: str, findings: Sequence[Finding], seen: str) -> CheckResult | None:
    """FAIL (an error) or WARN from the first of ``findings``, or None when there are none."""
    if not findings:
        return None
    errors = [f for f in findings if f.severity == Severity.ERROR]
    top = errors or list(findings)
    status = Status.FAIL if errors else Status.WARN
    return _r(cid, status, "; ".join(x for x in (seen, *(f.message for f in top)) if x), top[0].fix)


def _driver_jetson(ctx: Context) -> CheckResult:
    pf = ctx.facts.platform
    if not pf.l4t:
        return _r(
            "driver",
            Status.WARN,
            "a Jetson (Tegra kernel) whose L4T release could not be read from /etc/nv_tegra_release",
            "check `cat /etc/nv_tegra_release`; flash or update the board with NVIDIA's SDK Manager (JetPack)",
        )
    jp = f" = JetPack {pf.jetpack}" if pf.jetpack else " (JetPack not in envtool's table)"
    cuda = f", CUDA {pf.board_cuda}" if pf.board_cuda else ""
    return _r(
        "driver",
        Status.PASS,
        f"L4T {pf.l4t}{jp}{cuda}: on Jetson the GPU driver is part of L4T (no separate driver package)"
        + (f", {pf.board}" if pf.board else ""),
    )


def _driver_amd(ctx: Context) -> CheckResult:
    pf = ctx.facts.platform
    amd = _amd_gpus(ctx.facts)
    seen = f"{len(amd)} AMD GPU device(s): {_accel_names(amd)}" + (
        f", ROCm {pf.rocm_version}" if pf.rocm_version else ""
    )
    bad = _finding_result("driver", _findings_of(ctx.facts, ("amdgpu_missing", "rocm_no_access")), seen)
    if bad is not None:
        return bad
    if pf.amdgpu_loaded and pf.kfd_accessible:
        return _r("driver", Status.PASS, seen + "; amdgpu loaded, /dev/kfd opens for reading and writing")
    unknown = [w for w, v in (("amdgpu", pf.amdgpu_loaded), ("/dev/kfd access", pf.kfd_accessible)) if v is None]
    return _r(
        "driver",
        Status.WARN,
        seen + f"; not read: {', '.join(unknown)}",
        "check `lsmod | grep amdgpu` and `ls -l /dev/kfd` (this user needs the render and video groups)",
    )


def _driver_intel(ctx: Context) -> CheckResult:
    pf = ctx.facts.platform
    xpu = _xpu_gpus(ctx.facts)
    seen = f"{len(xpu)} Intel GPU(s): {_accel_names(xpu)}"
    bad = _finding_result("driver", _findings_of(ctx.facts, ("xpu_no_level_zero",)), seen)
    if bad is not None:
        return bad
    if pf.level_zero or any(a.usable for a in xpu):
        return _r("driver", Status.PASS, seen + "; Level Zero lists the GPU(s) (sycl-ls)")
    return _r(
        "driver",
        Status.WARN,
        seen + "; Level Zero not checked (sycl-ls did not run)",
        "install Intel's GPU driver with its Level Zero runtime (Intel's 'PyTorch Prerequisites for Intel GPUs' "
        "page), then check that `sycl-ls` lists the GPU as [level_zero:gpu]",
    )


def _driver_apple(ctx: Context) -> CheckResult:
    pf = ctx.facts.platform
    seen = f"{pf.soc or 'Apple silicon'}, macOS {pf.macos_version or '?'}"
    bad = _finding_result("driver", _findings_of(ctx.facts, ("mps_unavailable",)), seen)
    if bad is not None:
        return bad
    if pf.macos_version is None:
        return _r("driver", Status.WARN, seen + ": the macOS version was not read", "check `sw_vers`")
    return _r(
        "driver",
        Status.PASS,
        seen + f": MPS needs macOS {kn.mps_min_macos()} or later (the Metal driver is part of macOS)",
    )


def check_driver(ctx: Context) -> CheckResult:
    nv = ctx.facts.nvidia
    gpus = machine_gpus(ctx.facts)
    vendor = gpus.vendor if gpus is not None else None
    if vendor == "jetson":
        return _driver_jetson(ctx)
    if vendor == "amd":
        return _driver_amd(ctx)
    if vendor == "intel":
        return _driver_intel(ctx)
    if vendor == "apple":
        return _driver_apple(ctx)
    if rules.has_gpu(ctx.facts) is False or (vendor is None and not nv.gpus):
        return _skip("driver", "no GPU on this machine (NVIDIA, AMD, Intel or Apple)")
    if nv.error or not nv.driver_version:
        return _r(
            "driver",
            Status.FAIL,
            nv.error or "an NVIDIA GPU is on the PCI bus but no driver answers",
            "install the NVIDIA driver (`sudo ubuntu-drivers install`), then reboot",
        )
    seen = f"driver {nv.driver_version} (CUDA {nv.cuda_driver_version or '?'}), {len(nv.gpus)} GPU(s): " + ", ".join(
        sorted({g.name or "?" for g in nv.gpus})
    )
    lost = _findings_of(ctx.facts, ("gpu_error",))
    if lost:  # the driver answers but cannot read a GPU (lost, fallen off the bus): not ready
        return _r("driver", Status.FAIL, seen + "; " + "; ".join(f.message for f in lost), lost[0].fix)
    if ctx.config.min_driver and version_parts(nv.driver_version) < version_parts(ctx.config.min_driver):
        return _r(
            "driver",
            Status.FAIL,
            seen + f"; the lab wants >= {ctx.config.min_driver}",
            f"update the NVIDIA driver to >= {ctx.config.min_driver}",
        )
    return _r("driver", Status.PASS, seen)


def check_profile(ctx: Context) -> CheckResult:
    if ctx.profile is None:
        return _r("profile", Status.FAIL, ctx.profile_note, "name an existing profile (see `envtool profiles`)")
    misfits = rules.profile_fit(ctx.profile, ctx.facts)
    if not misfits:
        return _r("profile", Status.PASS, f"{ctx.profile.name} ({ctx.profile_note}) fits this machine")
    return _r("profile", Status.FAIL, "; ".join(m.message for m in misfits), misfits[0].fix)


def check_env(ctx: Context) -> CheckResult:
    py = ctx.facts.python
    if not ctx.python_exists or py.version is None:
        return _r(
            "env",
            Status.FAIL,
            f"{ctx.python} does not run",
            "create the environment: `envtool install --profile auto --prefix DIR`",
        )
    return _r("env", Status.PASS, f"{py.env_kind or '?'} at {py.env_prefix or '?'}")


def pin_mismatches(pins: Sequence[str], dists: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Pure: each exact pin against the installed versions -> (what matches, what does not).

    A pin without a local label (``torch==2.13.0``) matches any local build (``2.13.0+cpu``).
    """
    have = {canonicalize_name(k): v for k, v in dists.items()}
    good: list[str] = []
    bad: list[str] = []
    for pin in pins:
        req = Requirement(pin)
        got = have.get(canonicalize_name(req.name))
        if got is None:
            bad.append(f"{req.name} is not installed (wanted {req.specifier})")
        elif req.specifier.contains(got, prereleases=True):
            good.append(f"{req.name} {got}")
        else:
            bad.append(f"{req.name} {got} does not match {req.specifier}")
    return good, bad


def check_pins(ctx: Context) -> CheckResult:
    plan = ctx.plan
    if plan is None:
        return _skip("pins", "no install plan to compare with (`envtool install` checks this)")
    if not ctx.passed("env"):
        return _skip("pins", ctx.blocked("env", "the target environment does not run"))
    if ctx.packages_probe is None:
        return _skip("pins", "no way to list the target's packages was given")
    info = ctx.packages_probe()
    if "error" in info:
        return _r("pins", Status.FAIL, str(info["error"]), "check that the environment's python runs")
    ctx.installed = dict(info.get("dists") or {})
    want_py = plan.profile.python
    got_py = str(info.get("python") or "?")
    bad = [] if not want_py or got_py.startswith(want_py + ".") else [f"Python {got_py}, the profile wants {want_py}"]
    good, wrong = pin_mismatches([*plan.torch_requirements, *plan.requirements], ctx.installed)
    bad += wrong
    if bad:
        return _r(
            "pins",
            Status.FAIL,
            "; ".join(bad),
            f"recreate the environment: `envtool install --profile {plan.profile.name} --force-recreate`",
        )
    return _r("pins", Status.PASS, f"Python {got_py}" + (": " + ", ".join(good) if good else ""))


def check_torch_imports(ctx: Context) -> CheckResult:
    if ctx.plan is not None and not ctx.plan.profile.torch:
        return _skip("torch_imports", f"profile {ctx.plan.profile.name} installs no torch")
    if not ctx.passed("env"):
        return _skip("torch_imports", ctx.blocked("env", "the target environment does not run"))
    if ctx.facts.python.torch is None:
        return _r(
            "torch_imports",
            Status.FAIL,
            "torch is not installed in the target environment",
            "`envtool install --profile auto`",
        )
    rt = ctx.runtime()
    if rt.outcome != "ok":
        return _r(
            "torch_imports",
            Status.FAIL,
            f"{rt.outcome}: {rt.error}",
            "reinstall torch into a fresh environment: `envtool install --profile auto`",
        )
    # Without a GPU the deep probe runs its tiny kernel on the CPU (the GPUs have their own check).
    cpu = [d for d in rt.devices if d.device == "cpu"]
    broken = [d for d in cpu if not d.ok]
    if broken:
        return _r(
            "torch_imports",
            Status.FAIL,
            "; ".join(f"a tiny kernel failed on {d.device}: {d.error}" for d in broken),
            "reinstall torch into a fresh environment: `envtool install --profile auto`",
        )
    ran = "".join(f", a tiny kernel ran on {d.device}" for d in cpu)
    return _r(
        "torch_imports",
        Status.PASS,
        f"torch {rt.version} ({_build_text(rt)}) in {rt.duration_s or 0:.1f} s{ran}",
    )


def _build_text(rt: TorchRuntime) -> str:
    if rt.hip:
        return "ROCm " + rt.hip
    if rt.cuda:
        return "CUDA " + rt.cuda
    if rt.xpu or "+xpu" in (rt.version or ""):
        return "XPU" + (f" {rt.xpu}" if rt.xpu else "")
    return "CPU build" + (", MPS" if rt.mps_available else "")


def _build_fits_plan(rt: TorchRuntime, profile: Profile) -> bool:
    """The torch build is the profile's: its CUDA line (major.minor), its ROCm line, XPU, or a CPU build."""
    if profile.variant.startswith("rocm"):
        return bool(rt.hip) and version_parts(rt.hip, 2) == version_parts(profile.variant.removeprefix("rocm"), 2)
    if profile.variant == "xpu":
        return bool(rt.xpu or "+xpu" in (rt.version or "")) and not rt.cuda and not rt.hip
    if rt.hip:
        return False
    if not rt.cuda or not profile.cuda:
        return (rt.cuda or None) == profile.cuda
    return rt.cuda.split(".")[:2] == profile.cuda.split(".")[:2]


def check_torch_build(ctx: Context) -> CheckResult:
    if not ctx.passed("torch_imports"):
        return _skip("torch_build", ctx.blocked("torch_imports", "torch does not import"))
    rt = ctx.runtime()
    other = rt.hip or rt.xpu or "+xpu" in (rt.version or "")
    seen = (f"torch {rt.version}, {_build_text(rt)}" if other else f"torch {rt.version}, CUDA {rt.cuda or 'none'}") + (
        f", archs {' '.join(rt.arch_list)}" if rt.arch_list else ""
    )
    if ctx.plan is not None and not _build_fits_plan(rt, ctx.plan.profile):
        p = ctx.plan.profile
        got = _build_text(rt) if (rt.cuda or other) else "a CPU build"
        return _r(
            "torch_build",
            Status.FAIL,
            f"{got} was installed; profile {p.name} wants {p.variant}",
            f"recreate the environment: `envtool install --profile {p.name} --force-recreate`",
        )
    bad = _findings_of(
        ctx.facts_seen(),
        (
            "driver_too_old",
            "arch_unsupported",
            "cpu_build_on_gpu",
            "conflicting_installs",
            "accel_build_mismatch",
            "macos_x86_torch_eol",
        ),
    )
    errors = [f for f in bad if f.severity == Severity.ERROR]
    if errors:
        return _r("torch_build", Status.FAIL, "; ".join(f.message for f in errors), errors[0].fix)
    if bad:
        return _r("torch_build", Status.WARN, "; ".join(f.message for f in bad), bad[0].fix)
    fits = ctx.facts.nvidia.gpus or machine_gpus(ctx.facts, rt) is not None
    return _r("torch_build", Status.PASS, seen + " fits the driver and every GPU" if fits else seen)


# Where to look when torch sees none of a vendor's GPUs.
_NO_DEVICE_FIX = {
    "nvidia": "check the driver, CUDA_VISIBLE_DEVICES and the torch build (`envtool detect --deep`)",
    "jetson": "install the torch wheel for this JetPack (`envtool detect` names the profile); check `envtool detect "
    "--deep`",
    "amd": "check the torch build (a ROCm one), /dev/kfd access (render and video groups) and HIP_VISIBLE_DEVICES "
    "(`envtool detect --deep`)",
    "intel": "check the torch build (the xpu one), Intel's driver with Level Zero (`sycl-ls`) and ZE_AFFINITY_MASK "
    "(`envtool detect --deep`)",
    "apple": "check the macOS version (MPS needs macOS 14+) and that python is arm64, not under Rosetta "
    "(`python -c 'import platform; print(platform.machine())'`)",
}


def check_gpu_kernel(ctx: Context) -> CheckResult:
    if machine_gpus(ctx.facts) is None:
        return _skip("gpu_kernel", "no GPU on this machine (NVIDIA, AMD, Intel or Apple)")
    if not ctx.passed("torch_imports"):
        return _skip("gpu_kernel", ctx.blocked("torch_imports", "torch does not import"))
    rt = ctx.runtime()
    gpus = machine_gpus(ctx.facts, rt)
    assert gpus is not None  # the torch build only chooses between vendors that are there
    runs = [d for d in rt.devices if d.device.split(":")[0] == gpus.prefix]
    if not runs:
        available = {"cuda": rt.cuda_available, "xpu": rt.xpu_available, "mps": rt.mps_available}[gpus.prefix]
        return _r(
            "gpu_kernel",
            Status.FAIL,
            f"torch sees no GPU ({gpus.prefix} available: {available}); this machine has {gpus.label}",
            _NO_DEVICE_FIX[gpus.vendor],
        )
    bad = [d for d in runs if not d.ok]
    seen = ", ".join(
        f"{d.device} {d.name}" + (f" ({d.arch})" if d.arch else "") + f": {'ok' if d.ok else d.error}" for d in runs
    )
    if bad or len(runs) < gpus.count:
        return _r(
            "gpu_kernel",
            Status.FAIL,
            seen + (f" ({len(runs)} of {gpus.count} GPUs visible)" if len(runs) < gpus.count else ""),
            "see `envtool detect --deep --debug`",
        )
    return _r("gpu_kernel", Status.PASS, seen)


def _plan_installs(plan: Plan, name: str) -> bool:
    return any(canonicalize_name(Requirement(r).name) == name for r in plan.requirements)


def check_transformers(ctx: Context) -> CheckResult:
    if ctx.plan is not None and not _plan_installs(ctx.plan, "transformers"):
        return _skip("transformers", f"profile {ctx.plan.profile.name} installs no transformers")
    if not ctx.passed("torch_imports"):
        return _skip("transformers", ctx.blocked("torch_imports", "torch does not import"))
    out = ctx.transformers_probe()
    if not out.get("ok"):
        return _r(
            "transformers",
            Status.FAIL,
            str(out.get("error")),
            "install transformers into the environment (`pip install transformers`),"
            " or recreate it with `envtool install`",
        )
    return _r(
        "transformers",
        Status.PASS,
        f"transformers {out.get('version')} built a BERT ({out.get('parameters')} parameters)",
    )


def check_train_step(ctx: Context) -> CheckResult:
    if not ctx.passed("transformers"):
        return _skip("train_step", ctx.blocked("transformers", "transformers does not build a BERT"))
    res = ctx.workload(
        {
            "model": "tiny",
            "batch_size": 8,
            "seq_len": 64,
            "steps": 6,
            "warmup": 0,
            "device": "cpu" if not ctx.facts.nvidia.gpus else None,
        }
    )
    err = res.get("error") or {}
    if not res.get("ok") and err.get("kind") == MISSING_WORKLOAD:
        return _skip("train_step", str(err.get("message")))
    if not res.get("ok"):
        return _r(
            "train_step",
            Status.FAIL,
            f"{err.get('kind')}: {err.get('message')}",
            "see `envtool bench --model tiny --debug`",
        )
    losses = [float(x) for x in res.get("losses") or []]
    if not losses or not all(math.isfinite(x) for x in losses):
        return _r(
            "train_step", Status.FAIL, f"losses {losses}", "a non-finite loss: check the torch build and precision"
        )
    seen = "losses " + " ".join(f"{x:.3f}" for x in losses)
    head, tail = sum(losses[:2]) / len(losses[:2]), sum(losses[-2:]) / len(losses[-2:])
    if tail < head:
        return _r("train_step", Status.PASS, seen + " (falling)")
    return _r(
        "train_step",
        Status.FAIL,
        seen + " (not falling)",
        "the optimizer does not learn on a fixed batch: check the torch install",
    )


def check_drift(ctx: Context) -> CheckResult:
    """`envtool check` as a check: only for an environment that `envtool install` made (it has a lock file)."""
    got = ctx.drift_probe() if ctx.drift_probe is not None and ctx.python_exists else None
    if got is None:
        return _skip("drift", "no envtool-lock.json yet (`envtool install` writes it when its verification ends)")
    return got


def check_bench(ctx: Context) -> CheckResult:
    if not ctx.passed("train_step"):
        return _skip("bench", ctx.blocked("train_step", "one fine-tune step does not run"))
    from envtool import bench

    options = dict(ctx.config.bench_options)
    # the same sourced peaks `envtool bench` passes, for the device the options pick
    options.update(bench.peak_options(ctx.facts, options.get("device")))
    res = ctx.workload(options)
    verdict = bench.judge(res, ctx.facts)
    ctx.bench_result = {
        **res,
        "verdict": {"status": str(verdict.status), "reasons": list(verdict.reasons), "mfu": verdict.mfu},
    }
    if not res.get("ok"):
        return _r("bench", Status.FAIL, verdict.reasons[0], "see `envtool bench --debug`")
    seen = (
        f"{res.get('samples_per_s', 0):.1f} samples/s, {res.get('tflops', 0):.3g} TFLOP/s"
        f" on {res.get('device_name')} ({res.get('precision')}): " + "; ".join(verdict.reasons[:2])
    )
    status = {Status.PASS: Status.PASS, Status.WARN: Status.WARN}.get(verdict.status, Status.FAIL)
    return _r("bench", status, seen, "see `envtool bench` for what explains it")


def check_smoke_train(ctx: Context) -> CheckResult:
    if not ctx.config.train:
        return _skip("smoke_train", "not asked for (set checks.train = true in the checklist file, or --train)")
    if not ctx.passed("train_step"):
        return _skip("smoke_train", ctx.blocked("train_step", "one fine-tune step does not run"))
    res = ctx.train()
    if not res.get("ok", True) or "test" not in res:
        return _r("smoke_train", Status.FAIL, str(res.get("error") or res), "see `python -m finetune_smoke.train`")
    acc = float(res["test"]["accuracy"])
    seen = f"test accuracy {acc:.3f} with {res.get('model', {}).get('source', res.get('model'))}"
    if acc >= ctx.config.min_accuracy:
        return _r("smoke_train", Status.PASS, seen)
    return _r(
        "smoke_train",
        Status.FAIL,
        seen + f" (want >= {ctx.config.min_accuracy})",
        "check the model folder and the environment",
    )


CHECKS: tuple[tuple[str, str, Callable[[Context], CheckResult]], ...] = (
    ("os", "OS and architecture supported", check_os),
    ("python", "Python version", check_python),
    ("disk", "Free disk", check_disk),
    ("ram", "RAM", check_ram),
    ("shm", "/dev/shm size", check_shm),
    ("driver", "GPU driver present (NVIDIA, Jetson L4T, amdgpu/KFD, Level Zero, macOS for MPS)", check_driver),
    ("profile", "Driver and GPUs fit the profile", check_profile),
    ("env", "Target environment exists", check_env),
    ("pins", "Python and packages match the install plan", check_pins),
    ("torch_imports", "torch imports", check_torch_imports),
    ("torch_build", "torch's GPU build (CUDA, ROCm, XPU) fits the driver and GPUs", check_torch_build),
    ("gpu_kernel", "A tiny kernel runs on each GPU", check_gpu_kernel),
    ("transformers", "transformers imports and builds a BERT", check_transformers),
    ("train_step", "A fine-tune step runs with a finite, falling loss", check_train_step),
    ("drift", "The environment still matches its envtool-lock.json", check_drift),
    ("bench", "BERT fine-tune speed (bench verdict)", check_bench),
    ("smoke_train", "Sentiment smoke fine-tune accuracy", check_smoke_train),
)
TITLES = {cid: title for cid, title, _ in CHECKS}
STATUS_MARK = {
    "pass": ("PASS", "green"),
    "warn": ("WARN", "yellow"),
    "fail": ("FAIL", "bold red"),
    "skip": ("SKIP", "dim"),
}
CHECK_IDS = tuple(TITLES)
# What `envtool install` checks in the environment it has just made: the machine itself was
# judged before installing (the profile's fit), the bench and the smoke fine-tune take minutes.
INSTALL_CHECKS = ("python", "env", "pins", "torch_imports", "torch_build", "gpu_kernel", "transformers", "train_step")
MISSING_WORKLOAD = "missing_workload"  # a workload result's error kind: envtool shipped without finetune_smoke


def _command_check(ctx: Context, cmd: CommandCheck) -> CheckResult:
    code, output = ctx.command(cmd)
    tail = output.strip().splitlines()[-1][:200] if output.strip() else ""
    if code is None:
        return CheckResult(
            id=cmd.id,
            title=cmd.title,
            status=Status.FAIL,
            seen=f"`{' '.join(cmd.argv)}` did not finish within {cmd.timeout:g} s",
            fix=cmd.fix,
        )
    if code == cmd.expect_exit:
        return CheckResult(
            id=cmd.id, title=cmd.title, status=Status.PASS, seen=f"exit {code}" + (f": {tail}" if tail else "")
        )
    return CheckResult(
        id=cmd.id,
        title=cmd.title,
        status=Status.FAIL,
        seen=f"exit {code}, expected {cmd.expect_exit}" + (f": {tail}" if tail else ""),
        fix=cmd.fix,
    )


def run_checks(ctx: Context, only: Collection[str] | None = None) -> Iterator[CheckResult]:
    """Run every check in order, yielding each result as it finishes (with its duration).

    ``only``: just these built-in checks (in the list's order) and none of the lab's commands.
    """
    for cid, _, fn in CHECKS:
        if only is not None and cid not in only:
            continue
        start = time.monotonic()
        if cid in ctx.config.skip:
            res = _skip(cid, f"left out by {ctx.config.source or 'the checklist file'}")
        else:
            try:
                res = fn(ctx)
            except EnvtoolError as exc:
                res = _r(cid, Status.FAIL, str(exc), "see the message")
        res = dataclasses.replace(res, duration_s=time.monotonic() - start)
        ctx.results[cid] = res
        yield res
    for cmd in ctx.config.commands if only is None else ():
        start = time.monotonic()
        res = dataclasses.replace(_command_check(ctx, cmd), duration_s=time.monotonic() - start)
        ctx.results[cmd.id] = res
        yield res


# --------------------------------------------------------------------------- the real probes (the target python)

TRANSFORMERS_PROBE = """
import json
try:
    import torch, transformers
    from transformers import BertConfig, BertForSequenceClassification
    cfg = BertConfig(vocab_size=512, hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64)
    model = BertForSequenceClassification(cfg)
    out = model(input_ids=torch.randint(0, 512, (2, 8)), labels=torch.tensor([0, 1]))
    ok = bool(torch.isfinite(out.loss).item())
    print(json.dumps({
        "ok": ok,
        "version": transformers.__version__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "error": None if ok else "non-finite loss",
    }))
except BaseException as exc:
    print(json.dumps({"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}))
"""

PACKAGES_PROBE = """
import importlib.metadata as m, json, sys
dists = {}
for d in m.distributions():
    name = d.metadata["Name"]
    if name and name not in dists:
        dists[name] = d.version
print(json.dumps({"python": sys.version.split()[0], "dists": dists}))
"""


def parse_last_json(stdout: str) -> dict[str, Any] | None:
    for line in reversed(stdout.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except ValueError:
                return None
            return obj if isinstance(obj, dict) else None
    return None


@dataclass(frozen=True, kw_only=True)
class TargetProbes:
    """The context's callables for a real target python; every child gets ``env``."""

    python: str
    env: Mapping[str, str]
    deep_timeout: float = 120.0
    workload_timeout: float = 900.0

    def deep(self) -> TorchRuntime:
        from envtool.probes.torch_runtime import probe_torch_runtime

        return probe_torch_runtime(self.python, timeout=self.deep_timeout, env=self.env)[0]

    def transformers(self) -> dict[str, Any]:
        from envtool import runner

        done = runner.capture(
            [self.python, "-c", TRANSFORMERS_PROBE],
            timeout=180,
            env={**self.env, "HF_HUB_OFFLINE": "1"},
            tie_to_parent=True,
        )
        return parse_last_json(done.stdout) or {"ok": False, "error": done.describe_failure(5)}

    def packages(self) -> dict[str, Any]:
        from envtool import runner

        # cwd: `python -c` puts the working directory first on sys.path; its packages are not the environment's
        done = runner.capture(
            [self.python, "-c", PACKAGES_PROBE], timeout=120, env=self.env, cwd=os.path.dirname(self.python) or None
        )
        return parse_last_json(done.stdout) or {"error": done.describe_failure(5)}

    def drift(self) -> CheckResult | None:
        from envtool import envcheck

        return envcheck.checklist_check(self.python)

    def workload(self, options: Mapping[str, Any]) -> dict[str, Any]:
        from envtool import workload

        try:
            return workload.run_bench(self.python, options, timeout=self.workload_timeout, env=self.env)
        except FileNotFoundError as exc:
            return {"ok": False, "error": {"kind": MISSING_WORKLOAD, "message": str(exc)}}

    def train(self) -> dict[str, Any]:
        from envtool import workload

        try:
            done = workload.run_module(
                self.python, "train", ["--json"], timeout=self.workload_timeout, env=self.env, with_data=True
            )
        except FileNotFoundError as exc:
            return {"ok": False, "error": {"kind": MISSING_WORKLOAD, "message": str(exc)}}
        return workload.result_of(done, self.python, self.workload_timeout)

    def command(self, cmd: CommandCheck) -> tuple[int | None, str]:
        from envtool import runner

        try:
            done = runner.capture(list(cmd.argv), timeout=cmd.timeout)
        except EnvtoolError as exc:
            return 127, str(exc)
        return (None if done.timed_out else done.returncode), done.stdout + done.stderr


def verification_ok(results: Sequence[CheckResult]) -> bool:
    """No check failed (a skip or a warning is not a failure)."""
    return all(r.status != Status.FAIL for r in results)
