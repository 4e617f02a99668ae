"""`runner.alongside`: a pure call in a forked copy of the process, and `diagnose` reading a long paste's free-form
forms so, beside its other readers. The answer must be the same as in one process, whatever happens to the copy."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from envtool import diagnose, runner
from envtool.diagnose import read_paste

needs_fork = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="alongside forks only on Linux")


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def _fails(value: int) -> int:
    raise ValueError(f"no good: {value}")


@needs_fork
def test_the_call_runs_in_another_process_and_its_value_comes_back() -> None:
    later = runner.alongside(_pid_and, 21)
    pid, value = later()
    assert value == 42
    assert pid != os.getpid()  # it ran in the copy


def test_without_fork_the_value_is_computed_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork", raising=False)
    pid, value = runner.alongside(_pid_and, 4)()
    assert (pid, value) == (os.getpid(), 8)
    monkeypatch.undo()
    monkeypatch.setattr(sys, "platform", "darwin")  # (macOS: no fork either)
    assert runner.alongside(_pid_and, 4)() == (os.getpid(), 8)


@needs_fork
def test_with_another_thread_running_there_is_no_fork() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        pid, _ = runner.alongside(_pid_and, 1)()
    finally:
        stop.set()
        thread.join()
    assert pid == os.getpid()  # forking with a thread running could copy a lock held by it


@needs_fork
def test_a_call_that_raises_in_the_copy_raises_here_as_it_would() -> None:
    later = runner.alongside(_fails, 3)
    with pytest.raises(ValueError, match="no good: 3"):
        later()


@needs_fork
def test_a_copy_that_dies_is_replaced_by_the_call_here(monkeypatch: pytest.MonkeyPatch) -> None:
    # the copy exits without writing (as a copy killed by a signal would), and the value is computed here
    def dies(value: int) -> tuple[int, int]:
        if os.getpid() != parent:
            os._exit(9)
        return os.getpid(), value

    parent = os.getpid()
    assert runner.alongside(dies, 5)() == (parent, 5)


def _long_paste(shared: Path, lines: int) -> str:
    """The shared pastes and dumps cycled, each copy's blocks named apart at both ends (no block, head or tail of one
    repeats), to ``lines`` lines."""
    corpus = "\n".join(p.read_text(encoding="utf-8") for p in sorted((shared / "pastes").glob("*.txt")))
    corpus += "\n".join(p.read_text(encoding="utf-8") for p in sorted((shared / "collect_env").glob("*.txt")))
    parts, total, copy = [], 0, 0
    while total < lines:
        copy += 1
        part = f"(copy {copy})\n" + corpus.replace("\n\n", f"\n(end of copy {copy})\n\n(copy {copy})\n")
        parts.append(part)
        total += part.count("\n")
    return "".join(parts)


@needs_fork
def test_a_long_paste_reads_the_same_with_its_forms_on_another_core(shared_fixtures: Path) -> None:
    text = _long_paste(shared_fixtures, diagnose._ALONGSIDE_LINES + 5000)
    calls: list[int] = []

    def counted(fn, *args):  # type: ignore[no-untyped-def]
        calls.append(os.getpid())
        return runner.alongside(fn, *args)

    assert read_paste(text, alongside=counted) == read_paste(text)
    assert calls, "a paste this long is read alongside"


def test_a_short_paste_is_read_in_one_process(shared_fixtures: Path) -> None:
    text = (shared_fixtures / "pastes" / "02-nvml-mismatch-squeue-apt-history-unattended-upgrade.txt").read_text()

    def refused(fn, *args):  # type: ignore[no-untyped-def]
        raise AssertionError("a short paste needs no second process")

    assert read_paste(text, alongside=refused) == read_paste(text)
