"""Execute a ``Plan`` into a NEW environment, verify it, and roll back on failure.

The pieces of the install pipeline (``envtool.workflow`` puts them in order): lock the target
-> refuse an existing one -> run the steps with live output and a full log -> on failure or
Ctrl-C remove only what this run created -> (the checklist verifies the new environment in its
own python) -> write ``envtool-lock.json`` (exact versions and the verification) into it.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import fcntl
import json
import os
import shutil
import signal
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from envtool import runner
from envtool.errors import EXIT_FAILED, BadInputError, EnvtoolError, ExternalError
from envtool.model import CheckResult, to_jsonable
from envtool.plan import Plan, plan_to_data

LOCK_SUFFIX = ".envtool.lock"
PARTIAL_SUFFIX = ".envtool.partial"  # beside a target this run creates, until it is finished
LOCK_FILE = "envtool-lock.json"  # written into the new environment


class TargetBusyError(EnvtoolError):
    """Another envtool install holds the target's lock."""

    exit_code = EXIT_FAILED


# --------------------------------------------------------------------------- the target lock


def lock_path(target: str | os.PathLike[str]) -> Path:
    """``<target>.envtool.lock``, beside the target (the target itself may not exist yet)."""
    t = Path(target)
    return t.with_name(t.name + LOCK_SUFFIX)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM
    return True


@contextlib.contextmanager
def target_lock(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold an exclusive ``flock`` on ``<target>.envtool.lock`` with our pid in it.

    The kernel drops a flock when its holder dies, so a lock file left by a dead process is
    simply taken over (its stale pid is overwritten). Raises ``TargetBusyError`` while a live
    process holds it.
    """
    path = lock_path(target)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            alive = holder.isdigit() and _pid_alive(int(holder))
            who = f"process {holder}" if alive else "another process"
            raise TargetBusyError(
                f"{target} is being installed by {who} (lock {path}); wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        try:
            yield path
        finally:
            with contextlib.suppress(OSError):
                path.unlink()
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block SIGTERM raises ``KeyboardInterrupt``, so it rolls back like Ctrl-C."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave SIGTERM alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


# --------------------------------------------------------------------------- execute


def partial_marker(target: str | os.PathLike[str]) -> Path:
    """``<target>.envtool.partial``: present while an install is creating ``target``."""
    t = Path(target)
    return t.with_name(t.name + PARTIAL_SUFFIX)


def mark_partial(target: Path) -> Path:
    """Record (our pid) that this run is creating ``target``, which does not exist yet.

    Removed once the environment is complete (``envtool-lock.json`` written) or rolled back.
    A run killed outright (SIGKILL, power loss) cannot roll back; the marker tells the next
    run that the directory is its own half-made environment, not the user's.
    """
    path = partial_marker(target)
    path.write_text(f"{os.getpid()}\n", encoding="utf-8")
    return path


def recover_interrupted(target: Path) -> str:
    """Remove what a killed install left at ``target`` (its marker says it made it); '' if nothing.

    Call it holding ``target_lock``: then the process that wrote the marker is gone, since a
    live one would still hold the lock.
    """
    marker = partial_marker(target)
    if not marker.is_file():
        return ""
    holder = marker.read_text(encoding="utf-8", errors="replace").strip()
    removed = target.exists()
    if removed:
        shutil.rmtree(target)
    marker.unlink()
    if not removed:
        return ""
    return f"removed the half-made environment {target} left by an interrupted install (process {holder or '?'})"


def is_environment(path: Path) -> bool:
    """A venv (``pyvenv.cfg``) or a conda env (``conda-meta/``): what --force-recreate may delete."""
    return (path / "pyvenv.cfg").is_file() or (path / "conda-meta").is_dir()


def prepare_target(target: Path, *, force_recreate: bool) -> None:
    """Refuse an existing target, or (``force_recreate``) delete it if it is an environment."""
    if not target.exists():
        return
    if not force_recreate:
        raise BadInputError(
            f"{target} already exists; envtool only installs into a NEW environment"
            " (use --force-recreate to replace it, or another --prefix/--name)"
        )
    if not is_environment(target):
        raise BadInputError(
            f"{target} exists and is not a Python environment (no pyvenv.cfg or conda-meta); refusing to delete it"
        )
    shutil.rmtree(target)


def tail_of(log_file: Path, lines: int = 20) -> str:
    """The last lines of the log, for the error message."""
    try:
        text = log_file.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def execute(
    plan: Plan,
    target: Path,
    *,
    log_file: Path,
    on_line: Callable[[str], None] | None = None,
    on_step: Callable[[int, str], None] | None = None,
    keep_failed: bool = False,
    step_timeout: float = 3600.0,
    env: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Run the plan's steps; on failure or interrupt remove ``target`` if this run created it.

    Returns one record per step (argv, exit code, seconds). Raises ``ExternalError`` (exit 3)
    naming the failed command, the log's tail and the log path, or re-raises
    ``KeyboardInterrupt`` after rolling back.
    """
    existed = target.exists()
    records: list[dict[str, Any]] = []

    def rollback() -> str:
        if existed or keep_failed or not target.exists():
            return f"the half-made environment was kept at {target}" if target.exists() and keep_failed else ""
        shutil.rmtree(target, ignore_errors=True)
        return f"removed the half-made environment {target}"

    try:
        for i, step in enumerate(plan.steps, 1):
            if on_step:
                on_step(i, step.reason)
            done = runner.stream(step.argv, timeout=step_timeout, on_line=on_line, log_file=log_file, env=env)
            records.append(
                {
                    "argv": list(step.argv),
                    "stage": step.stage,
                    "returncode": done.returncode,
                    "seconds": round(done.duration_s, 2),
                }
            )
            if not done.ok:
                what = "timed out" if done.timed_out else f"exited with code {done.returncode}"
                undone = rollback()
                undone = undone + "; " if undone else ""
                raise ExternalError(
                    f"step {i} ({step.stage}) {what}: `{' '.join(step.argv[:4])} ...`; {undone}log: {log_file}\n"
                    + tail_of(log_file)
                )
    except KeyboardInterrupt:
        rollback()
        raise
    except EnvtoolError as exc:
        if not isinstance(exc, ExternalError) or "log:" not in str(exc):
            undone = rollback()
            raise ExternalError(f"{exc}; {undone + '; ' if undone else ''}log: {log_file}") from exc
        raise
    return records


# --------------------------------------------------------------------------- after the steps


def standalone_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment variables the new environment is verified with: it must stand on its own.

    envtool's own ``PYTHONPATH`` and the user's site-packages would let the new python import
    packages that are not in it.
    """
    out = dict(os.environ if env is None else env)
    out.pop("PYTHONPATH", None)
    out["PYTHONNOUSERSITE"] = "1"
    return out


def write_lock(
    target: Path,
    plan: Plan,
    dists: Mapping[str, str],
    checks: Sequence[CheckResult],
    steps: Sequence[Mapping[str, Any]],
) -> Path:
    """``envtool-lock.json`` in the environment: the plan, exact versions, the verification."""
    from envtool import __version__
    from envtool.checklist import verification_ok

    data = {
        "schema": "envtool-lock/1",
        "envtool_version": __version__,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "profile": to_jsonable(plan.profile),
        "plan": plan_to_data(plan),
        "steps": list(steps),
        "installed": dict(sorted(dists.items(), key=lambda kv: kv[0].lower())),
        "verification": {"ok": verification_ok(checks), "checks": [to_jsonable(c) for c in checks]},
    }
    path = target / LOCK_FILE
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def activation_hint(plan: Plan) -> str:
    """How to use the new environment."""
    if plan.backend == "conda":
        where = plan.prefix or plan.name
        return f"{plan.tool} activate {where}"
    if plan.platform == "win32":
        return f"{plan.prefix}\\Scripts\\activate"
    return f"source {plan.prefix}/bin/activate"
