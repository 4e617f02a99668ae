"""`envtool onboard`: the whole onboarding flow in one command.

Provision an environment with the profile ``auto`` picks (or, when the target already holds
one, check that one), verify and bench it with the whole checklist (run once), and end with
the checklist on screen and as a report file (``envtool.workflow.onboard``).
"""

from __future__ import annotations

import argparse
from typing import Any

from envtool.commands import HELPS
from envtool.commands._common import add_profiles_dir, ui_or_quiet
from envtool.model import CommandResult

NAME = "onboard"
HELP = HELPS[NAME]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--prefix", required=True, metavar="DIR", help="the environment: created when missing, checked when it exists"
    )
    p.add_argument(
        "--profile",
        default="auto",
        metavar="NAME|auto",
        help="the profile to install (default: auto, the one `detect` recommends)",
    )
    p.add_argument("--backend", choices=("venv", "uv", "conda"), default="venv")
    p.add_argument(
        "--output",
        default="onboarding.html",
        metavar="FILE",
        help="the report file (.html, .md or .json; default onboarding.html)",
    )
    p.add_argument("--checklist", metavar="FILE", help="a lab's checklist TOML")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask before installing")
    p.add_argument("--train", action="store_true", help="also run the sentiment smoke fine-tune (minutes)")
    add_profiles_dir(p)


def run(args: argparse.Namespace, ui: Any = None) -> CommandResult:
    from envtool import workflow

    options = workflow.OnboardOptions(
        prefix=args.prefix,
        profile=args.profile,
        backend=args.backend,
        output=args.output,
        checklist=args.checklist,
        yes=args.yes,
        train=args.train,
        profiles_dir=args.profiles_dir,
    )
    return workflow.onboard(options, ui_or_quiet(ui))


def render(result: CommandResult) -> list[Any]:
    from rich.text import Text

    from envtool.commands import checklist

    items: list[Any] = []
    inst = result.data.get("install")
    if inst and inst.get("target"):
        items.append(
            Text(f"installed profile {inst.get('profile')} into {inst.get('target')}; activate: {inst.get('activate')}")
        )
    for f in result.findings:
        items.append(Text(f"{f.severity} {f.id}: {f.message}" + (f"\n     fix: {f.fix}" if f.fix else "")))
    if result.data.get("checks"):
        items += checklist.render(result)
    return items
