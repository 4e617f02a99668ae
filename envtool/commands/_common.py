"""Helpers shared by command modules."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from envtool.model import Finding, Severity


def exit_for(findings: Sequence[Finding]) -> int:
    """1 when any finding is an error, else 0."""
    return 1 if any(f.severity == Severity.ERROR for f in findings) else 0


def add_profiles_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument("--profiles-dir", metavar="DIR", help="a lab's own profiles, overriding the built-in ones (also ENVTOOL_PROFILES_DIR)")


def add_target(p: argparse.ArgumentParser, what: str) -> None:
    """``--python PATH | --prefix DIR``: the environment a command works on."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--python", metavar="PATH", help=f"{what}, by its python (default: the one running envtool)")
    where.add_argument("--prefix", metavar="DIR", help=f"{what}, by its directory (DIR/bin/python)")


def env_python(prefix: str) -> str | None:
    """The interpreter of an environment directory (venv or conda, POSIX or Windows), if any."""
    import os

    for cand in (os.path.join(prefix, "bin", "python"), os.path.join(prefix, "Scripts", "python.exe"), os.path.join(prefix, "python.exe")):
        if os.path.exists(cand):
            return cand
    return None
