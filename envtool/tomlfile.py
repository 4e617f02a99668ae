"""Read a user's TOML file (a profile, mirrors, a checklist) with one-line errors (exit 2)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from envtool.errors import BadInputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10, where pyproject.toml brings tomli (the type-check venv has none)
    import tomli as tomllib  # type: ignore[import-not-found]


def read_toml(path: Path | str, what: str) -> tuple[str, dict[str, Any]]:
    """The file's text and its parsed table; any problem is a ``BadInputError`` naming the file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInputError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise BadInputError(f"{path}: the {what} is not UTF-8 text ({exc.reason})") from exc
    try:
        return text, tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"{path}: not valid TOML: {exc}") from exc
    except RecursionError:  # tomllib parses nested arrays/tables recursively
        raise BadInputError(f"{path}: not valid TOML: nested too deeply") from None


def loads_toml(text: str) -> dict[str, Any]:
    """Parse TOML text envtool ships (errors propagate: a broken shipped table is a bug)."""
    table: dict[str, Any] = tomllib.loads(text)
    return table
