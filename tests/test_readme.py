"""The README's two set-up commands stay true: CI runs the test command word for word."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _setup_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```\n(.+?)\n```", section, re.S)


def test_readme_has_exactly_two_setup_commands() -> None:
    cmds = _setup_commands()
    assert len(cmds) == 2, cmds
    main_job, tests = cmds
    assert "envtool" in main_job and "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    tests = _setup_commands()[1].strip()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert tests in [line.strip() for line in ci.splitlines()]


def test_torch_is_pinned_where_tests_install_it() -> None:
    # An unpinned torch would pull a multi-GB CUDA build on a CPU machine.
    tests = _setup_commands()[1]
    assert re.search(r"torch==\d", tests)


def test_every_package_ships_in_the_wheel() -> None:
    import tomllib

    listed = set(tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {
        ".".join(p.parent.relative_to(REPO).parts)
        for top in ("envtool", "finetune_smoke")
        for p in (REPO / top).rglob("__init__.py")
    }
    assert on_disk <= listed, on_disk - listed
