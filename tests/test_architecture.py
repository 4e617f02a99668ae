"""docs/architecture.md is the map of the tree: every package and module is in it, and it names nothing gone."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "architecture.md"
TOPS = ("envtool", "finetune_smoke")


def _modules() -> set[str]:
    return {
        p.relative_to(REPO).as_posix()
        for top in TOPS
        for p in (REPO / top).rglob("*.py")
        if "__pycache__" not in p.parts and p.name != "__init__.py"
    }


def _packages() -> set[str]:
    return {p.parent.relative_to(REPO).as_posix() + "/" for top in TOPS for p in (REPO / top).rglob("__init__.py")}


def test_every_package_and_module_is_on_the_map() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = sorted(m for m in _packages() | _modules() if f"`{m}`" not in text)
    assert not missing, f"docs/architecture.md does not name: {missing}"


def test_the_map_names_nothing_that_is_gone() -> None:
    text = DOC.read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:envtool|finetune_smoke)/[\w/]*(?:\.py|/))`", text))
    gone = sorted(n for n in named if not (REPO / n).exists())
    assert not gone, f"docs/architecture.md names paths that do not exist: {gone}"
