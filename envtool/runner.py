"""The only module that starts subprocesses (and the one that forks: :func:`alongside`).

Argument lists only (never a shell string), a timeout on every call, output decoded with
``errors="replace"``, and the whole process group killed on timeout so that a hung child
holding our pipes cannot hang us too.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from envtool.errors import ExternalError, ToolNotFoundError

_T = TypeVar("_T")


@dataclass(frozen=True, kw_only=True)
class Completed:
    argv: tuple[str, ...]
    returncode: int | None  # None when it timed out
    stdout: str
    stderr: str
    duration_s: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    @property
    def signal(self) -> int | None:
        """The signal that killed the process, if one did."""
        if self.returncode is not None and self.returncode < 0:
            return -self.returncode
        return None

    def describe_failure(self, tail_lines: int = 15) -> str:
        cmd = " ".join(self.argv)
        if self.timed_out:
            return f"`{cmd}` did not finish within its timeout ({self.duration_s:.0f} s)"
        if self.signal is not None:
            try:
                name = signal.Signals(self.signal).name
            except ValueError:
                name = f"signal {self.signal}"
            what = f"was killed by {name}"
        else:
            what = f"exited with code {self.returncode}"
        tail = "\n".join((self.stderr or self.stdout).strip().splitlines()[-tail_lines:])
        return f"`{cmd}` {what}" + (f":\n{tail}" if tail else "")


@functools.cache
def _parent_death_source() -> str:
    # Passed with -c, not by path: a script's own folder would go first on sys.path.
    return Path(__file__).with_name("_parent_death.py").read_text(encoding="utf-8")


def die_with_parent(argv: Sequence[str]) -> list[str]:
    """``argv`` behind the parent-death wrapper (``envtool/_parent_death.py``) on Linux; unchanged elsewhere."""
    if not sys.platform.startswith("linux") or not sys.executable:
        return list(argv)
    return [sys.executable, "-I", "-S", "-c", _parent_death_source(), str(os.getpid()), *argv]


def which(program: str, path: str | None = None) -> str | None:
    """Resolve a program on PATH (or the given search path), else beside the running python.

    The second place is envtool's own environment's scripts folder: ``pip install uv`` puts uv
    there, and ``.venv/bin/envtool`` run without activating the venv does not have it on PATH.
    """
    found = shutil.which(program, path=path)
    if found is None and sys.executable and os.sep not in program:
        found = shutil.which(program, path=os.path.dirname(sys.executable))
    return found


def resolve(argv: Sequence[str], env: Mapping[str, str] | None = None) -> list[str]:
    """``argv`` with its program resolved on PATH; ``ToolNotFoundError`` names a missing one."""
    if not argv:
        raise ValueError("empty argv")
    program = argv[0]
    resolved = program if os.sep in program else which(program, path=(env or os.environ).get("PATH"))
    if resolved is None or not os.path.exists(resolved):
        raise ToolNotFoundError(program)
    return [resolved, *argv[1:]]


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        with contextlib.suppress(OSError):
            proc.kill()


def _spawn(argv: Sequence[str], program: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    """Start ``argv`` in its own process group; failing to start ``program`` is an ExternalError.

    The own group lets a timeout or Ctrl-C kill the command's children too (pip's, torch's).
    """
    try:
        return subprocess.Popen(argv, start_new_session=True, **kwargs)
    except PermissionError as exc:
        raise ExternalError(f"cannot execute {program}: {exc.strerror}") from exc
    except OSError as exc:
        raise ExternalError(f"cannot start {program}: {exc}") from exc


def capture(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    input_text: str | None = None,
    tie_to_parent: bool = False,
) -> Completed:
    """Run ``argv`` and capture its output. Never raises for a failing or hanging command.

    Raises ``ToolNotFoundError`` when the program cannot be resolved, so callers that probe
    can record "not installed" apart from "failed". ``tie_to_parent``: the child is killed when
    envtool dies (for long runs such as torch probes and the workload; costs a few ms).
    """
    full = resolve(argv, env)
    start = time.monotonic()
    proc = _spawn(
        die_with_parent(full) if tie_to_parent else full,
        full[0],
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=dict(env) if env is not None else None,
        cwd=cwd,
    )
    timed_out = False
    try:
        out, err = proc.communicate(input=input_text.encode() if input_text is not None else None, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        try:
            out, err = proc.communicate(timeout=5)
        except subprocess.TimeoutExpired:  # pipes held open by an unkillable grandchild
            out, err = b"", b""
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    else:
        # The leader exited; make sure nothing it left behind keeps running.
        if proc.returncode is not None:
            try:
                os.killpg(proc.pid, 0)
            except (ProcessLookupError, PermissionError, OSError):
                pass
            else:
                _kill_group(proc)
    return Completed(
        argv=tuple(full),
        returncode=None if timed_out else proc.returncode,
        stdout=(out or b"").decode("utf-8", errors="replace"),
        stderr=(err or b"").decode("utf-8", errors="replace"),
        duration_s=time.monotonic() - start,
        timed_out=timed_out,
    )


def _echo(argv: Sequence[str]) -> str:
    import shlex

    return "+ " + " ".join(shlex.quote(a) for a in argv)


def stream(
    argv: Sequence[str],
    *,
    timeout: float,
    on_line: Callable[[str], None] | None = None,
    log_file: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    tail_lines: int = 200,
) -> Completed:
    """Run ``argv`` with its output (stderr merged into stdout) streamed line by line.

    Echoes ``+ cmd`` first. Every line goes to ``on_line`` and, in full, to ``log_file``
    (appended). ``Completed.stdout`` keeps only the last ``tail_lines`` lines. Like ``capture``
    it never raises for a failing or hanging command (the process group is killed on timeout)
    and raises ``ToolNotFoundError`` for a missing program; on ``KeyboardInterrupt`` (Ctrl-C,
    or SIGTERM turned into one by the caller) the process group is killed and it re-raises.
    """
    import collections
    import queue
    import threading

    full = resolve(argv, env)
    log = open(log_file, "a", encoding="utf-8", errors="replace") if log_file is not None else None  # noqa: SIM115
    tail: collections.deque[str] = collections.deque(maxlen=tail_lines)

    def emit(line: str) -> None:
        tail.append(line)
        if log is not None:
            log.write(line + "\n")
            log.flush()
        if on_line is not None:
            on_line(line)

    start = time.monotonic()
    try:
        emit(_echo(argv))
        proc = _spawn(
            die_with_parent(full),
            full[0],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
        )
        lines: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert proc.stdout is not None
            for raw in iter(proc.stdout.readline, b""):
                lines.put(raw.decode("utf-8", errors="replace").rstrip("\r\n"))
            lines.put(None)

        # A thread reads the pipe so the main thread can keep the deadline and take Ctrl-C.
        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        timed_out = False
        try:
            while True:
                left = start + timeout - time.monotonic()
                if left <= 0:
                    timed_out = True
                    _kill_group(proc)
                    break
                try:
                    item = lines.get(timeout=min(left, 0.2))
                except queue.Empty:
                    continue
                if item is None:
                    break
                emit(item)
        except BaseException:
            _kill_group(proc)
            proc.wait()
            raise
        proc.wait()
        reader.join(timeout=5)
        while not lines.empty():  # what arrived between the kill and the end of the pipe
            item = lines.get_nowait()
            if item is not None:
                emit(item)
        try:
            os.killpg(proc.pid, 0)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        else:
            _kill_group(proc)  # nothing the command left behind keeps running
        return Completed(
            argv=tuple(full),
            returncode=None if timed_out else proc.returncode,
            stdout="\n".join(tail),
            stderr="",
            duration_s=time.monotonic() - start,
            timed_out=timed_out,
        )
    finally:
        if log is not None:
            log.close()


def alongside(fn: Callable[..., _T], *args: Any) -> Callable[[], _T]:
    """Start ``fn(*args)`` in a forked copy of this process, to run beside the caller's own work on another core;
    the call returned waits for its value, pickled back over a pipe.

    ``fn`` must be pure (a value from its arguments, nothing else changed): the copy shares nothing after the fork.
    Only on Linux, where a fork is how processes start: Windows has none, and macOS's frameworks do not survive one
    in a process that used them (Python's multiprocessing spawns there). Where another thread runs (a fork copies
    its locks as held), or the copy fails in any way, the value is computed here when asked for, so the answer is
    the same either way.
    """
    here: Callable[[], _T] = functools.partial(fn, *args)
    if not sys.platform.startswith("linux") or not hasattr(os, "fork") or threading.active_count() > 1:
        return here
    try:
        reader, writer = os.pipe()
    except OSError:
        return here
    try:
        pid = os.fork()
    except OSError:
        os.close(reader)
        os.close(writer)
        return here
    if pid == 0:  # the copy: compute, write, and leave without running anything of the parent's (no atexit, no flush)
        code = 1
        try:
            os.close(reader)
            data = pickle.dumps(fn(*args), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(writer, "wb") as out:
                out.write(data)
            code = 0
        finally:
            os._exit(code)
    os.close(writer)

    def result() -> _T:
        with os.fdopen(reader, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        if status != 0 or not data:
            return here()
        try:
            value: _T = pickle.loads(data)
        except Exception:  # (a copy that died mid-write)
            return here()
        return value

    return result
