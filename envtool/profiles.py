"""Load and validate hardware profiles (``profiles/*.toml``), resolving ``extends``.

A profile's CUDA line and the GPU archs it covers are not written in the file: they follow
from its torch ``variant`` through the knowledge tables. Errors name the file, the key and
the fix, and are ``BadInputError`` (exit 2).
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from envtool import knowledge
from envtool.errors import BadInputError
from envtool.model import Profile

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11
    import tomli as tomllib  # type: ignore[no-redef]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TOP_KEYS = {"description": str, "aliases": list, "extends": str, "python": str, "torch": dict}
_TORCH_KEYS = {"version": str, "variant": str, "index": str}


def builtin_dir() -> Path:
    """The profiles shipped with envtool (in the wheel, or ``profiles/`` in a checkout)."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_profiles", here.parent / "profiles"):
        if candidate.is_dir():
            return candidate
    return here / "_profiles"


def search_dirs(profiles_dir: str | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """Later directories override earlier ones: built-in, then ENVTOOL_PROFILES_DIR, then --profiles-dir."""
    env = os.environ if env is None else env
    dirs = [builtin_dir()]
    for extra in (env.get("ENVTOOL_PROFILES_DIR"), profiles_dir):
        if extra:
            p = Path(extra)
            if not p.is_dir():
                raise BadInputError(f"profiles directory {extra} does not exist; fix the path given by --profiles-dir or ENVTOOL_PROFILES_DIR")
            dirs.append(p)
    return dirs


def _did_you_mean(key: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else f"; allowed keys: {', '.join(sorted(choices))}"


def _check_table(path: Path, table: Mapping[str, Any], schema: Mapping[str, type], prefix: str = "") -> None:
    for key, value in table.items():
        full = f"{prefix}{key}"
        if key not in schema:
            raise BadInputError(f"{path}: unknown key '{full}'{_did_you_mean(key, list(schema))}")
        if not isinstance(value, schema[key]):
            raise BadInputError(f"{path}: key '{full}' must be a {schema[key].__name__}, not {type(value).__name__} ({value!r})")


def read_raw(path: Path) -> dict[str, Any]:
    """Parse one profile file and check its keys and types (no inheritance yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInputError(f"{path}: cannot read profile ({exc})") from exc
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise BadInputError(f"{path}: not valid TOML: {exc}") from exc
    _check_table(path, raw, _TOP_KEYS)
    if "torch" in raw:
        _check_table(path, raw["torch"], _TORCH_KEYS, "torch.")
    aliases = raw.get("aliases", [])
    if not all(isinstance(a, str) and _NAME.match(a) for a in aliases):
        raise BadInputError(f"{path}: key 'aliases' must be a list of plain names (letters, digits, '.', '_', '-')")
    index = raw.get("torch", {}).get("index")
    if index is not None and not index.startswith(("https://", "file://")):
        raise BadInputError(f"{path}: key 'torch.index' must be an https:// or file:// URL, not {index!r}")
    return raw


def _resolve(name: str, raws: Mapping[str, tuple[Path, dict[str, Any]]], chain: tuple[str, ...] = ()) -> dict[str, Any]:
    path, raw = raws[name]
    parent = raw.get("extends")
    if parent is None:
        return dict(raw)
    if parent in chain or parent == name:
        raise BadInputError(f"{path}: key 'extends' makes a cycle: {' -> '.join((*chain, name, parent))}")
    if parent not in raws:
        raise BadInputError(f"{path}: key 'extends' names profile '{parent}', which does not exist{_did_you_mean(parent, list(raws))}")
    base = _resolve(parent, raws, (*chain, name))
    merged = {**base, **{k: v for k, v in raw.items() if k != "torch"}}
    merged["torch"] = {**base.get("torch", {}), **raw.get("torch", {})}
    merged.pop("aliases", None)
    if "aliases" in raw:
        merged["aliases"] = raw["aliases"]
    return merged


def _build(name: str, path: Path, raw: Mapping[str, Any]) -> Profile:
    torch = raw.get("torch", {})
    variant = torch.get("variant", "cpu")
    version = torch.get("version")
    cuda = None
    if variant != "cpu":
        tv = knowledge.torch_variant(variant, version)
        if tv is None or not tv.cuda:
            known = [v.name for v in knowledge.torch_variants()]
            raise BadInputError(f"{path}: key 'torch.variant' = {variant!r} is not a known torch wheel variant{_did_you_mean(variant, known)}")
        cuda = tv.cuda
    return Profile(
        name=name,
        description=raw.get("description", ""),
        aliases=tuple(raw.get("aliases", ())),
        python=raw.get("python"),
        torch=version,
        variant=variant,
        cuda=cuda,
        torch_index=torch.get("index"),
        path=str(path),
    )


def load_profiles(profiles_dir: str | None = None, env: Mapping[str, str] | None = None) -> list[Profile]:
    """Every profile, later directories overriding earlier ones by name."""
    raws: dict[str, tuple[Path, dict[str, Any]]] = {}
    for d in search_dirs(profiles_dir, env):
        for path in sorted(d.glob("*.toml")):
            name = path.stem
            if not _NAME.match(name):
                raise BadInputError(f"{path}: profile names must be plain names (letters, digits, '.', '_', '-')")
            raws[name] = (path, read_raw(path))
    profiles = [_build(name, raws[name][0], _resolve(name, raws)) for name in sorted(raws)]
    seen: dict[str, str] = {p.name: p.name for p in profiles}
    for p in profiles:
        for alias in p.aliases:
            if alias in seen and seen[alias] != p.name:
                raise BadInputError(f"{p.path}: alias '{alias}' is already the name or alias of profile '{seen[alias]}'")
            seen[alias] = p.name
    return profiles


def find_profile(name: str, profiles: Sequence[Profile]) -> Profile:
    """A profile by name or alias (``auto`` is resolved by the caller)."""
    if not _NAME.match(name):
        raise BadInputError(f"profile name {name!r} is not a plain name; use one of: {', '.join(p.name for p in profiles)}")
    for p in profiles:
        if p.name == name or name in p.aliases:
            return p
    names = [p.name for p in profiles] + [a for p in profiles for a in p.aliases]
    raise BadInputError(f"no profile named '{name}'{_did_you_mean(name, names)}")
