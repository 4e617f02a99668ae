"""`envtool detect`: what this machine is, what is wrong with it, which profile fits."""

from __future__ import annotations

import argparse
import os

from envtool import redact
from envtool.commands import HELPS
from envtool.commands._common import add_profiles_dir, exit_for
from envtool.errors import BadInputError
from envtool.model import CommandResult, facts_to_data

NAME = "detect"
HELP = HELPS[NAME]


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--deep", action="store_true", help="also import torch in a subprocess and run a tiny kernel on each device"
    )
    p.add_argument("--python", metavar="PATH", help="the target interpreter (default: the one running envtool)")
    p.add_argument("--timeout", type=float, default=5.0, metavar="S", help="per-probe timeout in seconds (default 5)")
    p.add_argument(
        "--deep-timeout", type=float, default=90.0, metavar="S", help="timeout of the deep probe (default 90)"
    )
    add_profiles_dir(p)
    redact.add_argument(p)


def run(args: argparse.Namespace, ui: object = None) -> CommandResult:
    from envtool import profiles, rules
    from envtool.detect import collect_facts

    if args.python and not os.path.exists(args.python):
        raise BadInputError(f"--python {args.python}: no such file; give the path of a Python interpreter")
    facts = collect_facts(
        python=args.python, deep=args.deep, probe_timeout=args.timeout, deep_timeout=args.deep_timeout
    )
    findings = rules.evaluate(facts)
    rec = rules.recommend(facts, profiles.load_profiles(args.profiles_dir))
    data = facts_to_data(facts)
    data["recommended_profile"] = {"name": rec.name, "reasons": list(rec.reasons)}
    return redact.maybe_result(
        args, CommandResult(command=NAME, data=data, findings=tuple(findings), exit_code=exit_for(findings))
    )
