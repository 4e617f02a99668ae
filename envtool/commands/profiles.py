"""`envtool profiles`: every profile, where it installs, and whether it fits this machine (and why not)."""

from __future__ import annotations

import argparse

from envtool.commands import HELPS
from envtool.commands._common import add_profiles_dir
from envtool.model import CommandResult, to_jsonable

NAME = "profiles"
HELP = HELPS[NAME]


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_profiles_dir(p)


def run(args: argparse.Namespace, ui: object = None) -> CommandResult:
    from envtool import knowledge, profiles, rules
    from envtool.detect import collect_facts

    profs = profiles.load_profiles(args.profiles_dir)
    facts = collect_facts()
    rec = rules.recommend(facts, profs)
    rows = []
    for p in profs:
        misfits = rules.profile_fit(p, facts)
        rows.append(
            {
                **to_jsonable(p),
                # the OS/CPU-architecture builds of its torch release (torch_builds.toml)
                "platforms": list(knowledge.wheel_platforms(p.variant, p.torch))
                if p.torch
                else list(knowledge.PLATFORMS),
                "fits": not misfits,
                "why_not": [m.message for m in misfits],
                "recommended": p.name == rec.name,
            }
        )
    return CommandResult(
        command=NAME,
        data={
            "platform": rules.machine_platform(facts),
            "profiles": rows,
            "recommended_profile": {"name": rec.name, "reasons": list(rec.reasons)},
        },
    )
