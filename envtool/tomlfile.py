"""Read a user's TOML file (a profile, mirrors, a checklist) with one-line errors (exit 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from envtool.errors import BadInputError

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]


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
