"""`envtool profiles`: every profile, and whether it fits this machine (and why not)."""

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
    from envtool import profiles, rules
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
                "fits": not misfits,
                "why_not": [m.message for m in misfits],
                "recommended": p.name == rec.name,
            }
        )
    return CommandResult(
        command=NAME, data={"profiles": rows, "recommended_profile": {"name": rec.name, "reasons": list(rec.reasons)}}
    )
