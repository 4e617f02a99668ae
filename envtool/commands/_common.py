"""Helpers shared by command modules: common options and turning them into the core's requests."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from envtool.model import Finding, Severity

if TYPE_CHECKING:
    from envtool.workflow import PlanRequest

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


def add_plan_target(p: argparse.ArgumentParser) -> None:
    """The options of a new environment, shared by `plan` and `install` (``plan_request`` reads them)."""
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
        "--offline", action="store_true", help="do not ask the index what it would install (the check is skipped)"
    )
    p.add_argument(
        "--for",
        dest="for_report",
        metavar="REPORT",
        help="plan for the machine a report describes (`envtool detect --json` output or a collect_env dump)",
    )
    add_profiles_dir(p)


def plan_request(args: argparse.Namespace, platform: str | None = None) -> PlanRequest:
    from envtool.workflow import PlanRequest

    return PlanRequest(
        profile=args.profile,
        backend=args.backend,
        prefix=args.prefix,
        name=args.name,
        groups=tuple(args.group),
        profiles_dir=args.profiles_dir,
        platform=platform,
        offline=args.offline,
        for_report=args.for_report,
    )


def env_python(prefix: str) -> str | None:
    """The interpreter of an environment directory, if any (``workflow.env_python``)."""
    from envtool.workflow import env_python as find

    return find(prefix)


def ui_or_quiet(ui: Any) -> Any:
    """The CLI's ``Ui``, or one that shows nothing when a caller gives none."""
    if ui is not None:
        return ui
    from envtool.workflow import QuietUi

    return QuietUi()


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
