"""`envtool checklist`: the lab onboarding checklist, in order, with fixes, as a report to file."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from envtool import redact
from envtool.commands import HELPS
from envtool.commands._common import add_profiles_dir, add_target, env_python, ui_or_quiet
from envtool.model import CommandResult

NAME = "checklist"
HELP = HELPS[NAME]
_FORMATS = ("text", "md", "html", "json")


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_target(p, "the environment to check")
    p.add_argument(
        "--profile",
        metavar="NAME",
        help="the profile the machine should fit (default: the checklist file's, else the recommended one)",
    )
    p.add_argument(
        "--checklist", metavar="FILE", help="a lab's checklist TOML: thresholds, which checks, its own commands"
    )
    p.add_argument("--format", choices=_FORMATS, default="text", help="what goes to the screen (default text)")
    p.add_argument(
        "--output", metavar="FILE", help="also write the report to FILE (.html, .md or .json by its extension)"
    )
    p.add_argument("--train", action="store_true", help="also run the sentiment smoke fine-tune (minutes)")
    add_profiles_dir(p)
    redact.add_argument(p)


def _target(args: argparse.Namespace) -> str:
    if args.prefix:
        # a missing one is reported by the "env" check, not refused here
        return env_python(args.prefix) or os.path.join(args.prefix, "bin", "python")
    return args.python or sys.executable


def run(args: argparse.Namespace, ui: Any = None) -> CommandResult:
    from envtool import workflow

    options = workflow.ChecklistOptions(
        python=_target(args),
        profile=args.profile,
        checklist=args.checklist,
        output=args.output,
        format=args.format,
        train=args.train,
        profiles_dir=args.profiles_dir,
        redact=args.redact,
    )
    return workflow.run_checklist(options, ui_or_quiet(ui))


def render(result: CommandResult) -> list[Any]:
    from rich.rule import Rule
    from rich.table import Table
    from rich.text import Text

    from envtool.checklist import STATUS_MARK

    data = result.data
    t = Table.grid(padding=(0, 1))
    t.add_column(no_wrap=True)
    t.add_column(ratio=1)
    t.add_column(justify="right", no_wrap=True)
    counts: dict[str, int] = {}
    for c in data.get("checks", []):
        label, style = STATUS_MARK[c["status"]]
        counts[c["status"]] = counts.get(c["status"], 0) + 1
        t.add_row(Text(label, style=style), Text(c["title"], style="bold"), f"{c.get('duration_s', 0):.1f} s")
        if c.get("seen"):
            t.add_row("", Text(c["seen"]), "")
        if c.get("fix"):
            t.add_row("", Text.assemble(("fix: ", "dim"), c["fix"]), "")
    summary = ", ".join(f"{counts.get(s, 0)} {s}" for s in ("pass", "warn", "fail", "skip"))
    items: list[Any] = [
        Rule(
            Text(f"Onboarding checklist: {data.get('host')} ({data.get('generated_at')})", style="bold"), align="left"
        ),
        t,
    ]
    status = "FAIL" if counts.get("fail") else "PASS"
    items.append(Text(f"{status}: {summary}", style="bold green" if status == "PASS" else "bold red"))
    if data.get("report_file"):
        items.append(Text(f"report written to {data['report_file']}"))
    return items
