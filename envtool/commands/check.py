"""`envtool check`: an environment envtool installed against its envtool-lock.json (drift) and its guard.

The comparison is ``envtool.drift`` (pure); this module reads the environment: the lock, the
guard's files, every installed distribution (``probes/_pyinspect.py`` run in the target
python, which imports nothing of the environment) and torch's files against its ``RECORD``.
"""

from __future__ import annotations

import argparse
from typing import Any

from envtool.commands import HELPS
from envtool.commands._common import add_target, exit_for
from envtool.model import CommandResult

NAME = "check"
HELP = HELPS[NAME]


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_target(p, "the environment to check")
    p.add_argument(
        "--write-guard",
        action="store_true",
        help="(re)write the guard from the lock's verified versions before checking",
    )
    p.add_argument("--timeout", type=float, default=60.0, metavar="S", help="timeout of the target python (default 60)")


# --------------------------------------------------------------------------- the command


def run(args: argparse.Namespace, ui: Any = None) -> CommandResult:
    from envtool import drift
    from envtool.envcheck import drift_of, read_lock, resolve_target, rewrite_guard

    prefix, python, raw = resolve_target(args.prefix, args.python, timeout=args.timeout)
    lock = read_lock(prefix)
    data: dict[str, Any] = {"lock_file": str(prefix / "envtool-lock.json"), "python": python}
    if args.write_guard:
        g = rewrite_guard(prefix, python, lock)
        data["guard_written"] = {"pins": list(g.pins), "files": [f.path for f in g.files], "limits": list(g.limits)}
    d = drift_of(prefix, raw, lock)
    data.update(drift.drift_to_data(d))
    return CommandResult(command=NAME, data=data, findings=d.findings, exit_code=exit_for(d.findings))


def render(result: CommandResult) -> list[Any]:
    from rich.text import Text

    from envtool import render as base

    d = result.data
    out: list[Any] = []
    if d.get("guard_written"):
        out.append(Text("guard written: " + ", ".join(d["guard_written"]["pins"])))
    if d.get("clean"):
        out.append(Text(f"{d.get('target')}: matches {d.get('lock_file')}; the guard is in place"))
    return out + base.renderables(result)
