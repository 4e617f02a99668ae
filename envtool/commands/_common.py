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
