"""`envtool install`: check the profile against this machine, plan, run into a NEW environment, verify.

The pipeline: resolve the profile -> refuse on findings (unless --force) -> plan -> stop here for
--dry-run -> confirm (unless --yes) -> lock the target -> execute (live output, full log,
rollback on failure or Ctrl-C/SIGTERM) -> verify in the new python -> write envtool-lock.json.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from envtool.commands import HELPS
from envtool.commands.plan import add_target_arguments, plan_from_args, planmod_name_ok, resolve_profile
from envtool.errors import EXIT_FAILED, BadInputError, ExternalError, ToolNotFoundError
from envtool.model import CommandResult, Finding, Severity

NAME = "install"
HELP = HELPS[NAME]


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_target_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="stop after showing the plan")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before installing")
    p.add_argument("--force", action="store_true", help="install even when the profile does not fit this machine")
    p.add_argument("--force-recreate", action="store_true", help="replace an existing environment at the target")
    p.add_argument(
        "--keep-failed", action="store_true", help="keep a half-made environment after a failure (for debugging)"
    )
    p.add_argument("--no-bert", action="store_true", help="skip the BERT training step of the verification")
    p.add_argument(
        "--step-timeout", type=float, default=3600.0, metavar="S", help="timeout of each install step (default 3600)"
    )


def _conda_env_dir(tool: str, name: str) -> Path:
    """Where conda will put env NAME (its first envs dir), so we can lock, check and roll back."""
    from envtool import runner

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


def _check_tool(plan: Any) -> None:
    from envtool import runner

    if plan.backend == "uv" and runner.which("uv") is None:
        raise ToolNotFoundError("uv", "install it (`python -m pip install uv`) or use --backend venv")
    if plan.backend == "conda" and runner.which(plan.tool) is None:
        raise ToolNotFoundError(plan.tool, "install conda, mamba or micromamba, or use --backend venv")


def _settle(partial: Path, target: Path, keep_failed: bool) -> None:
    """After a failed run: drop the marker once nothing is left, or when the user keeps the env."""
    if keep_failed or not target.exists():
        partial.unlink(missing_ok=True)


def run(args: argparse.Namespace, ui: Any = None) -> CommandResult:
    from envtool import guard, install, rules
    from envtool import plan as planmod
    from envtool.detect import collect_facts

    if getattr(args, "for_report", None):
        raise BadInputError(
            f"install --for {args.for_report}: envtool installs only on the machine it runs on; "
            f"write the plan here (`envtool plan --for {args.for_report} ...`) and run `envtool install` on the target"
        )
    if args.name is not None and not planmod_name_ok(args.name):
        raise BadInputError(f"--name {args.name!r} must be a plain name (letters, digits, '.', '_', '-')")
    profile, reasons = resolve_profile(args.profile, args.profiles_dir)
    facts = collect_facts()
    misfits = rules.profile_fit(profile, facts)
    p = plan_from_args(args, profile)
    data: dict[str, Any] = {"profile": profile.name, "plan": planmod.plan_to_data(p)}
    if reasons:
        data["recommended_profile"] = {"name": profile.name, "reasons": reasons}
    if misfits and not args.force:
        return CommandResult(
            command=NAME,
            data=data,
            findings=tuple(misfits),
            errors=(
                f"profile {profile.name} does not fit this machine; pick another (`envtool profiles`) or use --force",
            ),
            exit_code=EXIT_FAILED,
        )
    forced = tuple(
        Finding(id=m.id, severity=Severity.WARN, message=m.message + " (installing anyway: --force)", fix=m.fix)
        for m in misfits
    )
    ui.status(planmod.to_text(p).rstrip())
    if args.dry_run:
        data["dry_run"] = True
        return CommandResult(command=NAME, data=data, findings=forced)
    _check_tool(p)
    target = Path(p.prefix) if p.prefix else _conda_env_dir(p.tool, p.name or profile.name)
    if not args.yes and not ui.confirm(f"Create a new environment at {target}?"):
        return CommandResult(
            command=NAME,
            data=data,
            findings=forced,
            errors=("not confirmed; rerun with --yes to install without asking",),
            exit_code=EXIT_FAILED,
        )
    log_file = target.with_name(target.name + ".envtool.log")
    data["log"] = str(log_file)
    with install.target_lock(target), install.sigterm_as_interrupt():
        recovered = install.recover_interrupted(target)  # a killed run's half-made environment
        if recovered:
            ui.status(recovered)
            data["recovered"] = recovered
        install.prepare_target(target, force_recreate=args.force_recreate)
        target.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text("", encoding="utf-8")
        partial = install.mark_partial(target)
        with ui.progress(f"installing {profile.name}", total=len(p.steps)) as advance:
            state = {"step": 0}

            def on_step(i: int, reason: str) -> None:
                if state["step"]:
                    advance(1)
                state["step"] = i
                ui.status(f"[bold]step {i}/{len(p.steps)}[/bold]: {reason}")

            try:
                steps = install.execute(
                    p,
                    target,
                    log_file=log_file,
                    on_line=ui.line,
                    on_step=on_step,
                    keep_failed=args.keep_failed,
                    step_timeout=args.step_timeout,
                )
            except KeyboardInterrupt:
                ui.status(f"interrupted; {'kept' if args.keep_failed else 'rolled back'} {target}; log: {log_file}")
                _settle(partial, target, args.keep_failed)
                raise
            except BaseException:
                _settle(partial, target, args.keep_failed)
                raise
            advance(1)
        ui.status("verifying the new environment ...")
        python = p.python if p.prefix else planmod.env_python(str(target), p.platform)
        checks, dists = install.verify(p, python, bert=not args.no_bert)
        lock = install.write_lock(target, p, dists, checks, steps)
        # The guard (envtool/guard.py): pin what was just verified so a later install cannot replace it.
        guarded = guard.after_install(target, p, python, dists) if install.verification_ok(checks) else None
        if guarded:
            ui.status(guarded["message"])
        partial.unlink(missing_ok=True)
    ok = install.verification_ok(checks)
    data.update(
        {
            "target": str(target),
            "python": python,
            "steps": steps,
            "verification": checks,
            "lock_file": str(lock),
            "activate": install.activation_hint(p),
        }
    )
    if guarded is not None:
        data["guard"] = guarded
    errors = (
        ()
        if ok
        else (
            "verification failed: "
            + "; ".join(f"{c['check']}: {c['detail']}" for c in checks if c["status"] == "fail"),
        )
    )
    return CommandResult(command=NAME, data=data, findings=forced, errors=errors, exit_code=0 if ok else EXIT_FAILED)


def render(result: CommandResult) -> list[Any]:
    """Findings, the plan (dry run), the verification table and how to activate."""
    from rich.table import Table
    from rich.text import Text

    from envtool import render as base

    d = result.data
    out: list[Any] = []
    for f in result.findings:
        out.append(Text(f"{f.severity} {f.id}: {f.message}" + (f"\n     fix: {f.fix}" if f.fix else "")))
    if d.get("dry_run"):
        out.append(Text("dry run: nothing was installed"))
    if d.get("verification"):
        t = Table(title=f"Verification of {d.get('target')}", show_header=True)
        for col in ("check", "status", "detail"):
            t.add_column(col)
        for c in d["verification"]:
            t.add_row(Text(c["check"]), Text(c["status"].upper()), Text(c["detail"]))
        out.append(t)
        out.append(Text(f"lock: {d.get('lock_file')}\nlog: {d.get('log')}\nactivate: {d.get('activate')}"))
    if not out:
        return base.renderables(result)
    return out
