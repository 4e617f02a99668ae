"""Orchestration below every command: resolve a profile, plan, install, verify, check, onboard.

The commands parse their arguments into the typed options here and return what these
functions return. The machine's facts are collected once per run and passed down (a caller
may give its own, as tests do); the one verification engine is ``envtool.checklist``.

The install pipeline is a sequence of plain steps (``INSTALL_STEPS``): each takes the run's
state and returns it, or an exit code that ends the run (``execute``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as _dt
import json
import os
import re
import socket
import sys
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from envtool import checklist, export, guard, install, profiles, redact, resolve, rules, runner
from envtool import plan as planmod
from envtool import target as targetmod
from envtool.errors import EXIT_FAILED, BadInputError, ExternalError, ToolNotFoundError
from envtool.model import (
    CheckResult,
    CommandResult,
    Finding,
    HostFacts,
    Profile,
    PythonFacts,
    Recommendation,
    Severity,
    Status,
    envelope,
    facts_to_data,
    to_jsonable,
)
from envtool.target import Target
from envtool.util import atomic_write_text, existing_env_python

_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class QuietUi:
    """A ``Ui`` that shows nothing and answers no: for callers without a person (tests, scripts)."""

    def status(self, message: str) -> None:
        pass

    def line(self, text: str) -> None:
        pass

    @contextlib.contextmanager
    def progress(self, description: str, total: float | None = None) -> Iterator[Callable[..., None]]:
        yield lambda n=1, description=None: None

    def confirm(self, question: str) -> bool:
        return False


def _collect(python: str | None = None) -> HostFacts:
    from envtool.detect import collect_facts

    return collect_facts(python=python)


# --------------------------------------------------------------------------- profile and plan


@dataclass(frozen=True, kw_only=True)
class PlanRequest:
    """What `plan` and `install` are asked for."""

    profile: str  # a name, an alias, or "auto" (the recommended one)
    backend: str = "venv"
    prefix: str | None = None
    name: str | None = None
    groups: tuple[str, ...] = ()
    profiles_dir: str | None = None
    platform: str | None = None  # another sys.platform to plan for; None: this one
    offline: bool = False  # do not ask the index what it would install
    for_report: str | None = None  # plan for the machine this report describes (`plan --for`)


@dataclass(frozen=True, kw_only=True)
class ResolvedProfile:
    profile: Profile
    reasons: tuple[str, ...] = ()  # why `auto` chose it; empty for a profile asked for by name


def check_request(req: PlanRequest) -> None:
    """Refuse a malformed request before any work starts (exit 2)."""
    if req.name is not None and _PLAIN_NAME.fullmatch(req.name) is None:
        raise BadInputError(f"--name {req.name!r} must be a plain name (letters, digits, '.', '_', '-')")
    if req.prefix is not None and not req.prefix.strip():
        raise BadInputError("--prefix needs a directory")


def resolve_profile(name: str, profiles_dir: str | None, facts: HostFacts | None) -> ResolvedProfile:
    """The profile named, or for ``auto`` the one ``rules.recommend`` picks for ``facts``."""
    profs = profiles.load_profiles(profiles_dir)
    if name != "auto":
        return ResolvedProfile(profile=profiles.find_profile(name, profs))
    if facts is None:
        raise ValueError("--profile auto needs the machine's facts")
    rec = rules.recommend(facts, profs)
    return ResolvedProfile(profile=profiles.find_profile(rec.name, profs), reasons=rec.reasons)


def recommendation_data(name: str, reasons: Sequence[str]) -> dict[str, Any]:
    return {"name": name, "reasons": list(reasons)}


def conda_tool(path: str | None = None) -> str:
    """The conda-like tool present: conda, then mamba, then micromamba (conda if none)."""
    return next((t for t in planmod.CONDA_TOOLS if runner.which(t, path)), "conda")


def base_python(profile: Profile) -> str:
    """The interpreter that creates a venv: this one when its version matches, else python3.X."""
    want = profile.python
    if not want or want == f"{sys.version_info[0]}.{sys.version_info[1]}":
        return sys.executable
    return runner.which(f"python{want}") or f"python{want}"


def envs_dir(env: Mapping[str, str] | None = None) -> str:
    """Where `--name` puts venv/uv environments: ENVTOOL_ENVS_DIR, else ~/.local/share/envtool/envs."""
    env = os.environ if env is None else env
    return env.get("ENVTOOL_ENVS_DIR") or str(Path.home() / ".local" / "share" / "envtool" / "envs")


def build_plan(
    req: PlanRequest, profile: Profile, env: Mapping[str, str] | None = None, *, target: Target | None = None
) -> planmod.Plan:
    """The pure planner, given what only this machine knows (its platform, python, conda tool).

    ``target``: another machine (``plan --for``): its platform, and no interpreter or tool path of this one.
    """
    if target is None:
        prefix = str(Path(req.prefix).expanduser().absolute()) if req.prefix else None
        platform = req.platform or sys.platform
    else:  # a directory on the target, as written there
        platform = target.platform
        prefix = targetmod.foreign_prefix(req.prefix, req.name, req.backend, platform)
    here = target is None
    return planmod.build_plan(
        profile,
        backend=req.backend,
        prefix=prefix,
        name=req.name,
        envs_dir=envs_dir(env),
        groups=req.groups,
        platform=platform,
        base_python=base_python(profile) if req.backend == "venv" and here else None,
        conda_tool=conda_tool() if req.backend == "conda" and here else "conda",
    )


def plan(req: PlanRequest, fmt: str, *, facts: HostFacts | None = None) -> CommandResult:
    """`envtool plan`: the plan in ``fmt``; the machine is surveyed only for ``--profile auto``.

    With ``--for`` the machine is the one a report describes, and its misfits are findings.
    """
    check_request(req)
    target = targetmod.read_target(req.for_report, req.platform) if req.for_report else None
    if target is not None:
        facts = target.facts
    elif facts is None and req.profile == "auto":
        facts = _collect()
    chosen = resolve_profile(req.profile, req.profiles_dir, facts)
    machine = target.arch if target is not None else None
    p, checked = resolve.check_plan(
        build_plan(req, chosen.profile, target=target), offline=req.offline, machine=machine
    )
    rendered = export.render_any(p, fmt, arch=machine)
    data: dict[str, Any] = {"plan": planmod.plan_to_data(p), "format": fmt, "rendered": rendered}
    if chosen.reasons:
        data["recommended_profile"] = recommendation_data(chosen.profile.name, chosen.reasons)
    findings: list[Finding] = list(checked)
    if target is not None:
        data["for"] = targetmod.describe(target, chosen.profile.python)
        misfits = [m.finding() for m in rules.profile_fit(chosen.profile, target.facts)]
        if misfits and fmt != "json":  # the text goes to the screen alone: say it there too
            rendered = targetmod.with_misfits(rendered, chosen.profile.name, target, misfits)
        findings = misfits + findings
    failed = any(f.severity == Severity.ERROR for f in findings)
    return CommandResult(command="plan", data=data, text=rendered, findings=tuple(findings), exit_code=int(failed))


# --------------------------------------------------------------------------- the install pipeline


@dataclass(frozen=True, kw_only=True)
class InstallOptions:
    request: PlanRequest
    dry_run: bool = False
    yes: bool = False
    force: bool = False  # install although the profile does not fit this machine
    force_recreate: bool = False
    keep_failed: bool = False
    bert: bool = True  # the BERT training step of the verification
    step_timeout: float = 3600.0


@dataclass(frozen=True, kw_only=True)
class Verification:
    """Which checks verify the new environment: ``install``'s subset, or (``onboard``) the whole list."""

    config: checklist.ChecklistConfig = field(default_factory=checklist.ChecklistConfig)
    only: Collection[str] | None = checklist.INSTALL_CHECKS
    profile_note: str = "installed"
    announce: str = "verifying the new environment ..."


@dataclass(kw_only=True)
class InstallState:
    """One install run, filled in step by step."""

    options: InstallOptions
    verification: Verification
    facts: HostFacts  # the machine, surveyed once before the run
    ui: Any
    command: str = "install"
    data: dict[str, Any] = field(default_factory=dict)
    findings: tuple[Finding, ...] = ()
    errors: tuple[str, ...] = ()
    profile: Profile | None = None
    plan: planmod.Plan | None = None
    target: Path | None = None
    log_file: Path | None = None
    partial: Path | None = None
    steps: list[dict[str, Any]] = field(default_factory=list)
    context: checklist.Context | None = None  # the verification's, with what its checks learnt
    checks: tuple[CheckResult, ...] = ()

    def result(self, exit_code: int) -> CommandResult:
        return CommandResult(
            command=self.command, data=self.data, findings=self.findings, errors=self.errors, exit_code=exit_code
        )


Step = Callable[[InstallState], "InstallState | int"]


def execute(state: InstallState, steps: Sequence[Step]) -> tuple[InstallState, int]:
    """Run ``steps`` in order; the first that returns an int ends the run with that exit code."""
    for step in steps:
        out = step(state)
        if isinstance(out, int):
            return state, out
        state = out
    return state, 0


def choose_profile(s: InstallState) -> InstallState | int:
    """The profile, and whether it fits this machine (a misfit stops the run unless --force)."""
    chosen = resolve_profile(s.options.request.profile, s.options.request.profiles_dir, s.facts)
    s.profile = chosen.profile
    s.data["profile"] = chosen.profile.name
    if chosen.reasons:
        s.data["recommended_profile"] = recommendation_data(chosen.profile.name, chosen.reasons)
    misfits = rules.profile_fit(chosen.profile, s.facts)
    if misfits and not s.options.force:
        s.findings = tuple(m.finding() for m in misfits)
        name = chosen.profile.name
        s.errors = (f"profile {name} does not fit this machine; pick another (`envtool profiles`) or use --force",)
        return EXIT_FAILED
    s.findings = tuple(
        dataclasses.replace(m.finding(Severity.WARN), message=m.message + " (installing anyway: --force)")
        for m in misfits
    )
    return s


def make_plan(s: InstallState) -> InstallState | int:
    assert s.profile is not None
    s.plan = build_plan(s.options.request, s.profile)
    if not s.findings:  # what the index would install, asked before anything changes
        s.plan, checked = resolve.check_plan(s.plan, offline=s.options.request.offline)
        if any(f.severity == Severity.ERROR for f in checked) and not s.options.force:
            s.data["plan"] = planmod.plan_to_data(s.plan)
            s.findings = tuple(checked)
            name = s.profile.name
            s.errors = (f"profile {name} does not fit this machine; pick another (`envtool profiles`) or use --force",)
            return EXIT_FAILED
        s.findings = tuple(
            dataclasses.replace(f, severity=Severity.WARN, message=f.message + " (installing anyway: --force)")
            if f.severity == Severity.ERROR
            else f
            for f in checked
        )
    s.data["plan"] = planmod.plan_to_data(s.plan)
    if s.options.dry_run:
        s.data["dry_run"] = True
        s.data["rendered"] = planmod.to_text(s.plan)
        return 0
    return s


def _conda_env_dir(tool: str, name: str) -> Path:
    """Where conda will put env NAME (its first envs dir), so the run can lock, check and roll back."""
    done = runner.capture([tool, "info", "--json"], timeout=60)
    try:
        info = json.loads(done.stdout)
        dirs = info.get("envs_dirs") or info.get("envs directories") or []
    except ValueError:
        dirs = []
    if not done.ok or not dirs:
        raise ExternalError(
            f"could not read the envs directory from `{tool} info --json`; use --prefix DIR instead of --name"
        )
    return Path(dirs[0]) / name


def find_target(s: InstallState) -> InstallState | int:
    """The installer is there, and where the environment goes."""
    p = s.plan
    assert p is not None and s.profile is not None
    if p.backend == "uv" and runner.which("uv") is None:
        raise ToolNotFoundError("uv", "install it (`python -m pip install uv`) or use --backend venv")
    if p.backend == "conda" and runner.which(p.tool) is None:
        raise ToolNotFoundError(p.tool, "install conda, mamba or micromamba, or use --backend venv")
    s.target = Path(p.prefix) if p.prefix else _conda_env_dir(p.tool, p.name or s.profile.name)
    s.log_file = s.target.with_name(s.target.name + ".envtool.log")
    return s


def confirm(s: InstallState) -> InstallState | int:
    assert s.plan is not None
    s.ui.status(planmod.to_text(s.plan).rstrip())
    if not s.options.yes and not s.ui.confirm(f"Create a new environment at {s.target}?"):
        s.errors = ("not confirmed; rerun with --yes to install without asking",)
        return EXIT_FAILED
    s.data["log"] = str(s.log_file)
    return s


def prepare(s: InstallState) -> InstallState | int:
    """Clear what a killed run left, refuse (or replace) an existing target, mark ours."""
    assert s.target is not None and s.log_file is not None
    recovered = install.recover_interrupted(s.target)
    if recovered:
        s.ui.status(recovered)
        s.data["recovered"] = recovered
    install.prepare_target(s.target, force_recreate=s.options.force_recreate)
    s.target.parent.mkdir(parents=True, exist_ok=True)
    s.log_file.write_text("", encoding="utf-8")
    s.partial = install.mark_partial(s.target)
    return s


def _settle(s: InstallState) -> None:
    """After a failed run: drop the marker once nothing is left, or when the user keeps the env."""
    assert s.partial is not None and s.target is not None
    if s.options.keep_failed or not s.target.exists():
        s.partial.unlink(missing_ok=True)


def run_plan(s: InstallState) -> InstallState | int:
    """The plan's steps, with live output, a progress bar and rollback on failure or Ctrl-C."""
    p, target, log_file = s.plan, s.target, s.log_file
    assert p is not None and target is not None and log_file is not None and s.profile is not None
    with s.ui.progress(f"installing {s.profile.name}", total=len(p.steps)) as advance:
        current = [0]

        def on_step(i: int, reason: str) -> None:
            if current[0]:
                advance(1)
            current[0] = i
            s.ui.status(f"[bold]step {i}/{len(p.steps)}[/bold]: {reason}")

        try:
            s.steps = install.execute(
                p,
                target,
                log_file=log_file,
                on_line=s.ui.line,
                on_step=on_step,
                keep_failed=s.options.keep_failed,
                step_timeout=s.options.step_timeout,
            )
        except KeyboardInterrupt:
            kept = "kept" if s.options.keep_failed else "rolled back"
            s.ui.status(f"interrupted; {kept} {target}; log: {log_file}")
            _settle(s)
            raise
        except BaseException:
            _settle(s)
            raise
        advance(1)
    return s


def show_check(ui: Any, res: CheckResult) -> None:
    label, style = checklist.STATUS_MARK[str(res.status)]
    ui.status(f"[{style}]{label}[/] {res.title} [dim]({res.duration_s:.1f} s)[/dim]")


def verify(s: InstallState) -> InstallState | int:
    """The checklist's checks in the new environment's own python, standing on its own."""
    from envtool.detect import with_python

    p, target = s.plan, s.target
    assert p is not None and target is not None
    s.ui.status(s.verification.announce)
    python = p.python if p.prefix else planmod.env_python(str(target), p.platform)
    env = install.standalone_env()
    s.context = checklist.Context.for_target(
        facts=with_python(s.facts, python, env),
        python=python,
        config=s.verification.config,
        profile=p.profile,
        profile_note=s.verification.profile_note,
        plan=p,
        env=env,
    )
    results = []
    for res in checklist.run_checks(s.context, only=s.verification.only):
        results.append(res)
        show_check(s.ui, res)
    s.checks = tuple(results)
    s.data["python"] = python
    return s


def write_lock(s: InstallState) -> InstallState | int:
    assert s.target is not None and s.plan is not None and s.context is not None and s.partial is not None
    lock = install.write_lock(s.target, s.plan, s.context.installed or {}, s.checks, s.steps)
    s.partial.unlink(missing_ok=True)
    s.data["lock_file"] = str(lock)
    return s


def write_guard(s: InstallState) -> InstallState | int:
    """Pin what was just verified so that a later install into the environment cannot replace it."""
    assert s.target is not None and s.plan is not None and s.context is not None
    if any(c.status == Status.FAIL for c in s.checks):
        return s
    guarded = guard.after_install(s.target, s.plan, s.data["python"], s.context.installed or {})
    if guarded:
        s.ui.status(guarded["message"])
        s.data["guard"] = guarded
    return s


PROVISION_STEPS: tuple[Step, ...] = (prepare, run_plan, verify, write_lock, write_guard)


def provision(s: InstallState) -> InstallState | int:
    """The steps that hold the target's lock (SIGTERM rolls back like Ctrl-C)."""
    assert s.target is not None
    with install.target_lock(s.target), install.sigterm_as_interrupt():
        s, code = execute(s, PROVISION_STEPS)
    return code or s


def conclude(s: InstallState) -> InstallState | int:
    assert s.plan is not None
    s.data.update(
        {
            "target": str(s.target),
            "steps": s.steps,
            "verification": [to_jsonable(c) for c in s.checks],
            "activate": install.activation_hint(s.plan),
        }
    )
    failed = [c for c in s.checks if c.status == Status.FAIL]
    if failed:
        s.errors = ("verification failed: " + "; ".join(f"{c.title}: {c.seen}" for c in failed),)
        return EXIT_FAILED
    return s


INSTALL_STEPS: tuple[Step, ...] = (choose_profile, make_plan, find_target, confirm, provision, conclude)


def run_install(
    options: InstallOptions,
    ui: Any,
    *,
    facts: HostFacts | None = None,
    verification: Verification | None = None,
    command: str = "install",
) -> tuple[InstallState, int]:
    """The install pipeline; ``facts`` of the machine when the caller has them already."""
    check_request(options.request)
    if options.request.for_report:
        report = options.request.for_report
        raise BadInputError(
            f"install --for {report}: envtool installs only on the machine it runs on; "
            f"write the plan here (`envtool plan --for {report} ...`) and run `envtool install` on the target"
        )
    if verification is None:
        config = (
            checklist.ChecklistConfig()
            if options.bert
            else checklist.ChecklistConfig(skip=("train_step",), source="--no-bert")
        )
        verification = Verification(config=config)
    state = InstallState(
        options=options,
        verification=verification,
        facts=_collect() if facts is None else facts,
        ui=ui,
        command=command,
    )
    return execute(state, INSTALL_STEPS)


def install_command(options: InstallOptions, ui: Any, *, facts: HostFacts | None = None) -> CommandResult:
    """`envtool install`."""
    state, code = run_install(options, ui, facts=facts)
    return state.result(code)


# --------------------------------------------------------------------------- the checklist


@dataclass(frozen=True, kw_only=True)
class ChecklistOptions:
    python: str  # the target interpreter (it may not exist: the "env" check says so)
    profile: str | None = None
    checklist: str | None = None  # a lab's checklist TOML
    output: str | None = None  # the report file (.html, .md or .json)
    format: str = "text"  # what goes to stdout
    train: bool = False
    profiles_dir: str | None = None
    redact: bool = False  # replace identifying values before anything is rendered or written


def report_format(path: str) -> str:
    from envtool.report import FORMAT_BY_SUFFIX

    fmt = FORMAT_BY_SUFFIX.get(Path(path).suffix.lower())
    if fmt is None:
        raise BadInputError(f"--output {path}: name the report .html, .md or .json")
    return fmt


def load_checklist_config(options: ChecklistOptions) -> checklist.ChecklistConfig:
    """The lab's checklist file and the --output name, checked before any work starts."""
    config = checklist.load_config(options.checklist)
    if options.train:
        config = dataclasses.replace(config, train=True)
    if options.output:
        report_format(options.output)
    return config


def checklist_context(
    options: ChecklistOptions,
    config: checklist.ChecklistConfig,
    facts: HostFacts,
    *,
    profile: Profile | None = None,
    profile_note: str = "",
) -> tuple[checklist.Context, Recommendation]:
    """The context for ``options.python`` and the recommendation for ``facts``.

    The profile is ``profile`` when given, else the one asked for, else the checklist file's,
    else the recommended one.
    """
    profs = profiles.load_profiles(options.profiles_dir)
    rec = rules.recommend(facts, profs)
    if profile is None:
        name = options.profile or config.expected_profile or rec.name
        if options.profile:
            profile_note = "asked for"
        elif config.expected_profile:
            profile_note = f"expected by {config.source}"
        else:
            profile_note = "recommended by detect"
        try:
            profile = profiles.find_profile(name, profs)
        except BadInputError as exc:
            profile, profile_note = None, str(exc)
    ctx = checklist.Context.for_target(
        facts=facts, python=options.python, config=config, profile=profile, profile_note=profile_note
    )
    return ctx, rec


def target_facts(python: str) -> HostFacts:
    """The machine with ``python`` as its target (a missing one is recorded, not refused)."""
    if os.path.exists(python):
        return _collect(python)
    return dataclasses.replace(_collect(), python=PythonFacts(executable=python))


def checklist_result(
    options: ChecklistOptions,
    ctx: checklist.Context,
    results: Sequence[CheckResult],
    rec: Recommendation,
    *,
    command: str = "checklist",
    extra: Mapping[str, Any] | None = None,
) -> CommandResult:
    """The checklist's data, its report on stdout (``--format``) and in ``--output``."""
    from envtool import report

    data: dict[str, Any] = {
        **(extra or {}),
        "host": socket.gethostname(),
        "generated_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "target": {"python": ctx.python, "profile": ctx.profile.name if ctx.profile else None},
        "checks": [to_jsonable(r) for r in results],
        "facts": facts_to_data(ctx.facts_seen()),
        "recommended_profile": recommendation_data(rec.name, rec.reasons),
        "bench": ctx.bench_result,
    }
    redactor = redact.process_redactor() if options.redact else None
    if redactor is not None:
        data = redactor.redact(to_jsonable(data))
    failed = any(r.status == Status.FAIL for r in results)
    result = CommandResult(command=command, data=data, exit_code=1 if failed else 0)
    if options.format != "text":
        result = dataclasses.replace(result, text=report.render(envelope(result), options.format))
    if options.output:
        text = report.render(envelope(result), report_format(options.output))
        try:
            atomic_write_text(Path(options.output), text, prefix=".envtool-report-")
        except OSError as exc:
            raise BadInputError(f"--output {options.output}: cannot write ({exc.strerror or exc})") from exc
        data["report_file"] = str(Path(options.output))
    return result if redactor is None else redactor.result(result)


def run_checklist(options: ChecklistOptions, ui: Any, *, facts: HostFacts | None = None) -> CommandResult:
    """`envtool checklist`: every check in order, then the report."""
    config = load_checklist_config(options)
    ctx, rec = checklist_context(options, config, target_facts(options.python) if facts is None else facts)
    results = []
    for res in checklist.run_checks(ctx):
        results.append(res)
        show_check(ui, res)
    return checklist_result(options, ctx, results, rec)


# --------------------------------------------------------------------------- onboard


@dataclass(frozen=True, kw_only=True)
class OnboardOptions:
    prefix: str
    profile: str = "auto"
    backend: str = "venv"
    output: str | None = "onboarding.html"
    checklist: str | None = None
    yes: bool = False
    train: bool = False
    profiles_dir: str | None = None


env_python = existing_env_python  # the interpreter of an environment directory, if any


def onboard(options: OnboardOptions, ui: Any, *, facts: HostFacts | None = None) -> CommandResult:
    """Provision ``prefix`` (when it holds no environment) and run the whole checklist once.

    A new environment is verified by the whole checklist inside the install (so the lock file
    records it); an existing one is checked as it is.
    """
    existing = env_python(options.prefix)
    check = ChecklistOptions(
        python=existing or os.path.join(options.prefix, "bin", "python"),
        profile=None if options.profile == "auto" else options.profile,
        checklist=options.checklist,
        output=options.output,
        train=options.train,
        profiles_dir=options.profiles_dir,
    )
    config = load_checklist_config(check)
    data: dict[str, Any] = {"prefix": options.prefix}
    if existing is not None:
        ui.status(f"[bold]1/2[/bold] {options.prefix} already holds an environment: checking it as it is")
        ui.status("[bold]2/2[/bold] the onboarding checklist")
        data["install"] = None
        ctx, rec = checklist_context(check, config, target_facts(existing) if facts is None else facts)
        results = []
        for res in checklist.run_checks(ctx):
            results.append(res)
            show_check(ui, res)
        return checklist_result(check, ctx, results, rec, command="onboard", extra=data)
    ui.status(f"[bold]1/2[/bold] provisioning {options.prefix} with profile {options.profile}")
    request = PlanRequest(
        profile=options.profile, backend=options.backend, prefix=options.prefix, profiles_dir=options.profiles_dir
    )
    state, code = run_install(
        InstallOptions(request=request, yes=options.yes),
        ui,
        facts=facts,
        verification=Verification(
            config=config,
            only=None,
            profile_note="installed by onboard",
            announce="[bold]2/2[/bold] the onboarding checklist, in the new environment",
        ),
        command="onboard",
    )
    data["install"] = state.data
    if state.context is None:  # it stopped before the verification
        return CommandResult(command="onboard", data=data, findings=state.findings, errors=state.errors, exit_code=code)
    rec = rules.recommend(state.facts, profiles.load_profiles(options.profiles_dir))
    check = dataclasses.replace(check, python=state.context.python)
    return checklist_result(check, state.context, state.checks, rec, command="onboard", extra=data)
