"""`envtool plan`: the exact steps that would make a new environment for a profile (runs nothing)."""

from __future__ import annotations

import argparse

from envtool.commands import HELPS
from envtool.commands._common import add_plan_target, plan_request
from envtool.model import CommandResult

NAME = "plan"
HELP = HELPS[NAME]


def add_arguments(p: argparse.ArgumentParser) -> None:
    from envtool.plan import FORMATS

    add_plan_target(p)
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json, sh, environment.yml, requirements.txt, uv-project, pixi or dockerfile",
    )
    p.add_argument(
        "--platform", default=None, help="plan for another sys.platform (linux, win32, darwin); default: this one"
    )


def run(args: argparse.Namespace, ui: object = None) -> CommandResult:
    from envtool import workflow

    return workflow.plan(plan_request(args, args.platform), args.format)
