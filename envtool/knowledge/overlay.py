"""A lab's own knowledge files, layered over the built-in tables without a new envtool release.

Every ``*.toml`` in a knowledge directory (``--knowledge-dir DIR`` or ``ENVTOOL_KNOWLEDGE_DIR``,
several joined with the OS path separator) uses the built-in tables' schema: ``[[gpu]]``,
``[[variant]]`` (with ``[[variant.wheels]]`` / ``[[variant.archs]]``), ``[[release]]``,
``[minor_compat.N]``, ``[[python]]``, ``[pypi_default]``. Each entry needs a source: a
``source = "..."`` key or a ``# source:`` comment directly above its header. Entries replace
built-in ones of the same key (a GPU's ``model``, a variant's ``name``, a release's ``cuda``) or
are added; a lab's GPU entries are tried before the built-in ones. Errors name the file, the
key and its line, and are ``BadInputError`` (exit 2).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envtool.errors import BadInputError
from envtool.tomlfile import read_toml

# table -> (the key that identifies an entry, allowed keys and their types)
_ENTRY_KEYS: dict[str, tuple[str, dict[str, type | tuple[type, ...]]]] = {
    "gpu": (
        "model",
        {
            "model": str,
            "match": list,
            "compute_capability": str,
            "architecture": str,
            "fp32_tflops": (int, float),
            "tf32_tflops": (int, float),
            "bf16_tflops": (int, float),
            "fp16_tflops": (int, float),
            "memory_bandwidth_gbs": (int, float),
            "memory_gb": (int, float),
            "bert_base_seq_per_s": (int, float),
            "bert_large_seq_per_s": (int, float),
            "bert_large_precision": str,
            "unified_memory": bool,
            "source": str,
        },
    ),
    "variant": (
        "name",
        {
            "name": str,
            "cuda": str,
            "first_torch": str,
            "last_torch": str,
            "missing_torch": list,
            "wheels": list,
            "archs": list,
            "source": str,
        },
    ),
    "release": ("cuda", {"cuda": str, "linux": str, "windows": str, "source": str}),
    "python": ("from_torch", {"from_torch": str, "to_torch": str, "min": str, "source": str}),
}
_WHEELS_KEYS: dict[str, type | tuple[type, ...]] = {"platforms": list, "from_torch": str, "to_torch": str}
_ARCHS_KEYS: dict[str, type | tuple[type, ...]] = {
    "platforms": list,
    "from_torch": str,
    "to_torch": str,
    "sass": list,
    "ptx": list,
    "unconfirmed": list,
}
_REQUIRED = {"gpu": ("model", "match"), "variant": ("name", "first_torch"), "release": ("cuda",), "python": ("min",)}
_TABLE_OF_FILE = {
    "gpu": "gpus.toml",
    "variant": "torch_builds.toml",
    "release": "cuda_drivers.toml",
    "python": "torch_builds.toml",
}
_VERSION = re.compile(r"^\d+(\.\d+){0,2}$")
_CC = re.compile(r"^\d+\.\d$")
_DRIVER = re.compile(r"^\d+(\.\d+){0,2}$")


def _line(text: str, pattern: str, start: int = 0) -> int:
    for n, line in enumerate(text.splitlines()[start:], start + 1):
        if re.match(pattern, line.strip()):
            return n
    return 0


def _headers(text: str, table: str) -> list[int]:
    """Line numbers (1-based) of each ``[[table]]`` header, in order."""
    return [
        n
        for n, line in enumerate(text.splitlines(), 1)
        if re.match(rf"^\[\[\s*{re.escape(table)}\s*\]\]", line.strip())
    ]


def _sourced_by_comment(text: str, header_line: int) -> bool:
    lines = text.splitlines()
    j = header_line - 2
    while j >= 0 and lines[j].lstrip().startswith("#"):
        if lines[j].lstrip().startswith("# source:"):
            return True
        j -= 1
    return False


def _where(path: Path, line: int) -> str:
    return f"{path} (line {line})" if line else str(path)


def _check_keys(
    path: Path,
    line: int,
    table: str,
    entry: Mapping[str, Any],
    schema: Mapping[str, type | tuple[type, ...]],
    text: str = "",
) -> None:
    import difflib

    for key, value in entry.items():
        at = _line(text, rf"^[\"']?{re.escape(key)}[\"']?\s*=", max(line - 1, 0)) or line if text else line
        if key not in schema:
            close = difflib.get_close_matches(key, list(schema), n=1)
            hint = f"did you mean '{table}.{close[0]}'?" if close else f"allowed keys: {', '.join(sorted(schema))}"
            raise BadInputError(f"{_where(path, at)}: unknown key '{table}.{key}'; {hint}")
        want = schema[key]
        if not isinstance(value, want) or isinstance(value, bool):
            raise BadInputError(f"{_where(path, at)}: key '{table}.{key}' has the wrong type ({value!r})")


def _check_entry(path: Path, text: str, table: str, entry: Mapping[str, Any], line: int) -> None:
    _, schema = _ENTRY_KEYS[table]
    _check_keys(path, line, table, entry, schema, text)
    for key in _REQUIRED[table]:
        if key not in entry:
            raise BadInputError(f"{_where(path, line)}: [[{table}]] entry lacks key '{table}.{key}'")
    if not entry.get("source") and not _sourced_by_comment(text, line):
        raise BadInputError(
            f'{_where(path, line)}: [[{table}]] entry has no source; add `source = "..."` (where the facts come from) '
            "or a '# source:' comment above it"
        )
    if table == "gpu":
        for pat in entry["match"]:
            try:
                re.compile(str(pat))
            except re.error as exc:
                raise BadInputError(
                    f"{_where(path, line)}: key 'gpu.match': {pat!r} is not a regular expression ({exc})"
                ) from exc
        cc = entry.get("compute_capability")
        if cc is not None and not _CC.match(cc):
            raise BadInputError(f"{_where(path, line)}: key 'gpu.compute_capability' = {cc!r} must look like '8.9'")
    if table == "variant":
        for key in ("first_torch", "last_torch"):
            if key in entry and not _VERSION.match(entry[key]):
                raise BadInputError(
                    f"{_where(path, line)}: key 'variant.{key}' = {entry[key]!r} is not a torch version"
                )
        for sub, schema2 in (("wheels", _WHEELS_KEYS), ("archs", _ARCHS_KEYS)):
            for block in entry.get(sub, []):
                if not isinstance(block, dict):
                    raise BadInputError(f"{_where(path, line)}: key 'variant.{sub}' must be [[variant.{sub}]] tables")
                at = _line(text, rf"^\[\[\s*variant\.{sub}\s*\]\]", line)
                _check_keys(path, at, f"variant.{sub}", block, schema2, text)
    if table == "release":
        for key in ("linux", "windows"):
            if key in entry and not _DRIVER.match(entry[key]):
                raise BadInputError(
                    f"{_where(path, line)}: key 'release.{key}' = {entry[key]!r} is not a driver version"
                )


def read_dir(directory: Path) -> list[tuple[Path, dict[str, Any], str]]:
    """Every knowledge file in ``directory``, checked: (path, parsed table, text)."""
    if not directory.is_dir():
        raise BadInputError(
            f"knowledge directory {directory} does not exist; "
            "fix the path given by --knowledge-dir or ENVTOOL_KNOWLEDGE_DIR"
        )
    out = []
    for path in sorted(directory.glob("*.toml")):
        text, raw = read_toml(path, "knowledge file")
        for key, value in raw.items():
            if key in _ENTRY_KEYS:
                if not isinstance(value, list):
                    where = _where(path, _line(text, r"^\[\s*" + re.escape(key)))
                    raise BadInputError(f"{where}: '{key}' must be [[{key}]] tables")
                lines = _headers(text, key)
                for i, entry in enumerate(value):
                    _check_entry(path, text, key, entry, lines[i] if i < len(lines) else 0)
            elif key == "minor_compat":
                if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                    raise BadInputError(f"{path}: 'minor_compat' must hold [minor_compat.N] tables")
                for major, floors in value.items():
                    line = _line(text, rf"^\[\s*minor_compat\.\"?{re.escape(major)}")
                    _check_keys(
                        path, line, f"minor_compat.{major}", floors, {"linux": str, "windows": str, "source": str}
                    )
                    if not floors.get("source") and not _sourced_by_comment(text, line):
                        raise BadInputError(f"{_where(path, line)}: [minor_compat.{major}] has no source")
            elif key == "pypi_default":
                line = _line(text, r"^\[\s*pypi_default")
                if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
                    raise BadInputError(
                        f"{_where(path, line)}: [pypi_default] maps 'X.Y' torch releases to variant names"
                    )
                if not _sourced_by_comment(text, line):
                    raise BadInputError(f"{_where(path, line)}: [pypi_default] has no '# source:' comment above it")
            else:
                known = ", ".join([*_ENTRY_KEYS, "minor_compat", "pypi_default"])
                where = _where(path, _line(text, r"^\[*\s*" + re.escape(key)))
                raise BadInputError(f"{where}: unknown table '{key}'; known: {known}")
        out.append((path, raw, text))
    return out


def layer(
    builtin: Mapping[str, Any], filename: str, files: Sequence[tuple[Path, dict[str, Any], str]]
) -> dict[str, Any]:
    """``builtin`` (one shipped table) with the knowledge files' entries for it layered on top.

    Each entry gets an ``_origin`` ("envtool:gpus.toml" or "FILE:LINE") for `envtool knowledge`.
    """
    merged: dict[str, Any] = {}
    for table, (ident, _) in _ENTRY_KEYS.items():
        if _TABLE_OF_FILE[table] != filename or table not in builtin and not any(table in raw for _, raw, _ in files):
            continue
        rows = [{**r, "_origin": f"envtool:{filename}"} for r in builtin.get(table, [])]
        for path, raw, text in files:
            lines = _headers(text, table)
            for i, entry in enumerate(raw.get(table, [])):
                new = {**entry, "_origin": f"{path}:{lines[i] if i < len(lines) else 0}"}
                at = next((j for j, r in enumerate(rows) if r.get(ident) == entry.get(ident)), None)
                if at is not None:
                    rows[at] = new
                elif table == "gpu":
                    rows.insert(0, new)  # a lab's GPU entries are tried first
                else:
                    rows.append(new)
        merged[table] = rows
    for key in ("minor_compat", "pypi_default"):
        if key in builtin or any(key in raw for _, raw, _ in files):
            if (key == "minor_compat") != (filename == "cuda_drivers.toml"):
                continue
            values = dict(builtin.get(key, {}))
            for _path, raw, _ in files:
                values.update(raw.get(key, {}))
            merged[key] = values
    for key, value in builtin.items():
        merged.setdefault(key, value)
    return merged
