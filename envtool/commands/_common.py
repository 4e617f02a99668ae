"""Helpers shared by command modules."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from envtool.model import Finding, Severity

T = TypeVar("T")


def exit_for(findings: Sequence[Finding]) -> int:
    """1 when any finding is an error, else 0."""
    return 1 if any(f.severity == Severity.ERROR for f in findings) else 0


def add_profiles_dir(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--profiles-dir",
        metavar="DIR",
        help="a lab's own profiles, overriding the built-in ones (also ENVTOOL_PROFILES_DIR)",
    )


def add_target(p: argparse.ArgumentParser, what: str) -> None:
    """``--python PATH | --prefix DIR``: the environment a command works on."""
    where = p.add_mutually_exclusive_group()
    where.add_argument("--python", metavar="PATH", help=f"{what}, by its python (default: the one running envtool)")
    where.add_argument("--prefix", metavar="DIR", help=f"{what}, by its directory (DIR/bin/python)")


def env_python(prefix: str) -> str | None:
    """The interpreter of an environment directory (venv or conda, POSIX or Windows), if any."""
    import os

    for cand in (
        os.path.join(prefix, "bin", "python"),
        os.path.join(prefix, "Scripts", "python.exe"),
        os.path.join(prefix, "python.exe"),
    ):
        if os.path.exists(cand):
            return cand
    return None


def run_with_progress(ui: Any, description: str, fn: Callable[[], T]) -> T:
    """Run ``fn`` in a worker thread while the person sees a live progress line; its result or its error."""
    import threading

    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # handed back to the calling thread below
            box["exc"] = exc

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    if ui is not None:
        with ui.progress(description) as advance:
            while worker.is_alive():
                worker.join(0.2)
                advance(0)
    worker.join()
    if "exc" in box:
        raise box["exc"]
    return box["result"]  # type: ignore[no-any-return]
