"""`envtool onboard`: the whole onboarding flow in one command.

Provision an environment with the profile ``auto`` picks (or, when the target already holds
one, check that one), verify and bench it, and end with the checklist on screen and as a
report file. It is ``install`` followed by ``checklist``, with their own options.
"""

from __future__ import annotations

import argparse
from typing import Any

from envtool.commands import HELPS
from envtool.commands._common import add_profiles_dir, env_python
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


def _namespace(module: Any, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv`` with another command's own options, so defaults stay in one place."""
    p = argparse.ArgumentParser(prog=f"envtool {module.NAME}")
    module.add_arguments(p)
    p.add_argument("--json", action="store_true")
    p.add_argument("--debug", action="store_true")
    return p.parse_args(argv)


def run(args: argparse.Namespace, ui: Any = None) -> CommandResult:
    from envtool.commands import checklist, install

    common = ["--profiles-dir", args.profiles_dir] if args.profiles_dir else []
    data: dict[str, Any] = {"prefix": args.prefix}
    if env_python(args.prefix) is None:
        if ui is not None:
            ui.status(f"[bold]1/2[/bold] provisioning {args.prefix} with profile {args.profile}")
        argv = ["--profile", args.profile, "--backend", args.backend, "--prefix", args.prefix, *common] + (
            ["--yes"] if args.yes else []
        )
        installed = install.run(_namespace(install, argv), ui)
        data["install"] = installed.data
        if installed.exit_code != 0:
            return CommandResult(
                command=NAME,
                data=data,
                findings=installed.findings,
                errors=installed.errors,
                exit_code=installed.exit_code,
            )
        profile = installed.data.get("profile", args.profile)
    else:
        if ui is not None:
            ui.status(f"[bold]1/2[/bold] {args.prefix} already holds an environment: checking it as it is")
        data["install"] = None
        profile = None if args.profile == "auto" else args.profile
    if ui is not None:
        ui.status("[bold]2/2[/bold] the onboarding checklist")
    argv = ["--prefix", args.prefix, "--output", args.output, *common]
    argv += ["--profile", profile] if profile else []
    argv += ["--checklist", args.checklist] if args.checklist else []
    argv += ["--train"] if args.train else []
    checked = checklist.run(_namespace(checklist, argv), ui)
    data.update(checked.data)
    return CommandResult(
        command=NAME, data=data, findings=checked.findings, errors=checked.errors, exit_code=checked.exit_code
    )


def render(result: CommandResult) -> list[Any]:
    from rich.text import Text

    from envtool.commands import checklist

    items: list[Any] = []
    inst = result.data.get("install")
    if inst:
        items.append(
            Text(f"installed profile {inst.get('profile')} into {inst.get('target')}; activate: {inst.get('activate')}")
        )
    if result.data.get("checks"):
        items += checklist.render(result)
    return items
