"""`envtool plan`: the exact steps that would make a new environment for a profile (runs nothing)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from envtool.commands import HELPS
from envtool.commands._common import add_profiles_dir
from envtool.errors import BadInputError
from envtool.model import CommandResult, Profile

NAME = "plan"
HELP = HELPS[NAME]


def add_target_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by `plan` and `install`."""
    from envtool.plan import BACKENDS

    p.add_argument(
        "--profile",
        required=True,
        metavar="NAME|auto",
        help="a profile name or alias, or auto (the one `envtool detect` recommends)",
    )
    p.add_argument(
        "--backend",
        choices=BACKENDS,
        default="venv",
        help="venv (stdlib venv + pip, default), uv, or conda (conda, mamba or micromamba)",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--prefix", metavar="DIR", help="the new environment's directory")
    where.add_argument(
        "--name", metavar="NAME", help="a named environment (conda's env name; venv/uv: under ENVTOOL_ENVS_DIR)"
    )
    p.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="GROUP",
        help="also install an optional group of the profile (e.g. notebook); repeatable",
    )
    p.add_argument(
        "--for",
        dest="for_report",
        metavar="REPORT",
        help="plan for the machine a report describes (`envtool detect --json` output or a collect_env dump)",
    )
    add_profiles_dir(p)


def add_arguments(p: argparse.ArgumentParser) -> None:
    from envtool.plan import FORMATS

    add_target_arguments(p)
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default), json, sh, environment.yml, requirements.txt, uv-project, pixi or dockerfile",
    )
    p.add_argument(
        "--platform", default=None, help="plan for another sys.platform (linux, win32, darwin); default: this one"
    )


def resolve_profile(name: str, profiles_dir: str | None, facts: Any = None) -> tuple[Profile, list[str]]:
    """The profile named (or ``auto``: the one recommended for ``facts``, default this machine's) and the reasons."""
    from envtool import profiles, rules

    profs = profiles.load_profiles(profiles_dir)
    if name == "auto":
        from envtool.detect import collect_facts

        rec = rules.recommend(facts if facts is not None else collect_facts(), profs)
        return profiles.find_profile(rec.name, profs), list(rec.reasons)
    return profiles.find_profile(name, profs), []


def conda_tool(path: str | None = None) -> str:
    """The conda-like tool present: conda, then mamba, then micromamba (conda if none)."""
    from envtool import runner

    return next((t for t in ("conda", "mamba", "micromamba") if runner.which(t, path)), "conda")


def base_python(profile: Profile) -> str:
    """The interpreter that creates a venv: this one when its version matches, else python3.X."""
    from envtool import runner

    want = profile.python
    if not want or want == f"{sys.version_info[0]}.{sys.version_info[1]}":
        return sys.executable
    return runner.which(f"python{want}") or f"python{want}"


def envs_dir(env: Any = None) -> str:
    """Where `--name` puts venv/uv environments: ENVTOOL_ENVS_DIR, else ~/.local/share/envtool/envs."""
    env = os.environ if env is None else env
    return env.get("ENVTOOL_ENVS_DIR") or str(Path.home() / ".local" / "share" / "envtool" / "envs")


def plan_from_args(
    args: argparse.Namespace, profile: Profile, platform: str | None = None, *, here: bool = True
) -> Any:
    """The plan; ``here=False`` (another machine) takes no interpreter or tool path from this one."""
    from envtool import plan

    if args.prefix is not None and not args.prefix.strip():
        raise BadInputError("--prefix needs a directory")
    prefix = str(Path(args.prefix).expanduser().absolute()) if args.prefix else None
    if not here:  # a directory on the target, as written there
        from envtool.target import foreign_prefix

        prefix = foreign_prefix(args.prefix, args.name, args.backend, platform or sys.platform)
    return plan.build_plan(
        profile,
        backend=args.backend,
        prefix=prefix,
        name=args.name,
        envs_dir=envs_dir(),
        groups=args.group,
        platform=platform or sys.platform,
        base_python=base_python(profile) if args.backend == "venv" and here else None,
        conda_tool=conda_tool() if args.backend == "conda" and here else "conda",
    )


def run(args: argparse.Namespace, ui: object = None) -> CommandResult:
    from envtool import plan as planmod

    if args.name is not None and not planmod_name_ok(args.name):
        raise BadInputError(f"--name {args.name!r} must be a plain name (letters, digits, '.', '_', '-')")
    from envtool import export
    from envtool import target as targetmod

    target = targetmod.read_target(args.for_report, args.platform) if args.for_report else None  # another machine
    profile, reasons = resolve_profile(args.profile, args.profiles_dir, target.facts if target else None)
    p = plan_from_args(args, profile, target.platform if target else args.platform, here=target is None)
    rendered = export.render_any(p, args.format, arch=target.arch if target else None)
    data: dict[str, Any] = {"plan": planmod.plan_to_data(p), "format": args.format, "rendered": rendered}
    if reasons:
        data["recommended_profile"] = {"name": profile.name, "reasons": reasons}
    if target is None:
        return CommandResult(command=NAME, data=data, text=rendered)
    from envtool import rules
    from envtool.commands._common import exit_for

    data["for"] = targetmod.describe(target, profile.python)
    misfits = tuple(rules.profile_fit(profile, target.facts))
    if misfits and args.format != "json":  # the text goes to the screen alone: say it there too
        rendered = targetmod.with_misfits(rendered, profile.name, target, misfits)
    return CommandResult(command=NAME, data=data, text=rendered, findings=misfits, exit_code=exit_for(misfits))


def planmod_name_ok(name: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", name) is not None
