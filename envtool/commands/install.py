"""`envtool install`: check the profile against this machine, plan, run into a NEW environment, verify.

The pipeline is ``envtool.workflow``'s ``INSTALL_STEPS``: resolve the profile -> refuse on
findings (unless --force) -> plan (the end of a --dry-run) -> confirm (unless --yes) -> lock
the target -> execute (live output, full log, rollback on failure or Ctrl-C/SIGTERM) -> verify
in the new python (the checklist's checks for a new environment) -> write envtool-lock.json.
"""

from __future__ import annotations

import argparse
from typing import Any

from envtool.commands import HELPS
from envtool.commands._common import add_plan_target, plan_request, ui_or_quiet
from envtool.model import CommandResult

NAME = "install"
HELP = HELPS[NAME]


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_plan_target(p)
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


def run(args: argparse.Namespace, ui: Any = None) -> CommandResult:
    from envtool import workflow

    options = workflow.InstallOptions(
        request=plan_request(args),
        dry_run=args.dry_run,
        yes=args.yes,
        force=args.force,
        force_recreate=args.force_recreate,
        keep_failed=args.keep_failed,
        bert=not args.no_bert,
        step_timeout=args.step_timeout,
    )
    return workflow.install_command(options, ui_or_quiet(ui))


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
        out.append(Text(d.get("rendered", "").rstrip()))
        out.append(Text("dry run: nothing was installed"))
    if d.get("verification"):
        t = Table(title=f"Verification of {d.get('target')}", show_header=True)
        for col in ("check", "status", "seen"):
            t.add_column(col)
        for c in d["verification"]:
            t.add_row(Text(c["title"]), Text(c["status"].upper()), Text(c["seen"]))
        out.append(t)
        out.append(Text(f"lock: {d.get('lock_file')}\nlog: {d.get('log')}\nactivate: {d.get('activate')}"))
    if not out:
        return base.renderables(result)
    return out
