"""Load and validate hardware profiles (``profiles/*.toml``), resolving ``extends`` and mirrors.

A profile's CUDA line, driver floor and the GPU archs it covers are not written in the file:
they follow from its torch ``variant`` through the knowledge tables. Errors name the file, the
key (and its line where it can be found) and the fix, and are ``BadInputError`` (exit 2).

Directories, later overriding earlier by profile name: the built-in ``profiles/``, then
``ENVTOOL_PROFILES_DIR``, then ``--profiles-dir``. A file named ``mirrors.toml`` in any of them
is not a profile: its ``[mirrors]`` table rewrites every profile's indexes and conda channels
(see ``apply_mirrors``), and ``ENVTOOL_MIRROR_PYTORCH`` / ``_INDEX`` / ``_CONDA`` override it.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from envtool import knowledge
from envtool.errors import BadInputError
from envtool.knowledge import accelerators
from envtool.model import Profile
from envtool.tomlfile import read_toml

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_TOP_KEYS: dict[str, type] = {
    "description": str,
    "aliases": list,
    "extends": str,
    "python": str,
    "torch": dict,
    "packages": list,
    "groups": dict,
    "index": str,
    "conda_channels": list,
}
_TORCH_KEYS: dict[str, type] = {
    "version": str,
    "versions": str,
    "variant": str,
    "index": str,
    "index_platforms": list,
    "packages": list,
    "install": bool,
}
_MIRROR_KEYS: dict[str, type] = {"pytorch": str, "index": str, "conda": str}
MIRRORS_FILE = "mirrors.toml"
# The prefix a `pytorch` mirror replaces (PyTorch's own wheel index; not the default index).
PYTORCH_INDEX = "https://download.pytorch.org/whl"
DEFAULT = "default"  # `index = "default"`: the installer's configured default (undoes an inherited index)


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
                raise BadInputError(
                    f"profiles directory {extra} does not exist; "
                    "fix the path given by --profiles-dir or ENVTOOL_PROFILES_DIR"
                )
            dirs.append(p)
    return dirs


def _did_you_mean(key: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(key, list(choices), n=1)
    return f"; did you mean '{close[0]}'?" if close else f"; allowed keys: {', '.join(sorted(choices))}"


def _line_of(text: str, key: str) -> str:
    """' (line N)' for the first line assigning ``key`` (its last dotted part), or ''."""
    leaf = key.rsplit(".", 1)[-1]
    for n, line in enumerate(text.splitlines(), 1):
        if re.match(rf"\s*[\"']?{re.escape(leaf)}[\"']?\s*=", line) or re.match(
            rf"\s*\[\s*{re.escape(key)}\s*\]", line
        ):
            return f" (line {n})"
    return ""


def _where(path: Path, text: str, key: str) -> str:
    return f"{path}{_line_of(text, key)}"


def _check_table(path: Path, text: str, table: Mapping[str, Any], schema: Mapping[str, type], prefix: str = "") -> None:
    for key, value in table.items():
        full = f"{prefix}{key}"
        if key not in schema:
            raise BadInputError(f"{_where(path, text, full)}: unknown key '{full}'{_did_you_mean(key, list(schema))}")
        if not isinstance(value, schema[key]):
            want = {"str": "string", "list": "list", "dict": "table", "bool": "boolean"}[schema[key].__name__]
            raise BadInputError(
                f"{_where(path, text, full)}: key '{full}' must be a {want}, not {type(value).__name__} ({value!r})"
            )


def _check_url(path: Path, text: str, key: str, url: str, *, allow_default: bool = False) -> None:
    if allow_default and url == DEFAULT:
        return
    if not url.startswith(("https://", "file://")):
        raise BadInputError(
            f"{_where(path, text, key)}: key '{key}' must be an https:// URL "
            f"(or file:// for a local wheelhouse), not {url!r}"
        )


# A plain ``name==version`` pin (PEP 508 name): checked with packaging.version alone, since
# importing packaging.requirements costs ~45 ms and `detect` loads the profiles on every run.
_PLAIN_PIN = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])==([^\s;,\[\]@*]+)$")


def _check_pins(path: Path, text: str, key: str, items: list[Any]) -> None:
    """Every item an exact pin (``name==version``), parsed by packaging."""
    for item in items:
        if not isinstance(item, str):
            raise BadInputError(
                f"{_where(path, text, key)}: key '{key}' must be a list of requirement strings, not {item!r}"
            )
        plain = _PLAIN_PIN.match(item)
        if plain:
            try:
                Version(plain.group(2))
            except (InvalidVersion, ValueError):
                pass  # let the full parser below word the error
            else:
                continue
        from packaging.requirements import InvalidRequirement, Requirement

        try:
            req = Requirement(item)
        except InvalidRequirement as exc:
            raise BadInputError(
                f"{_where(path, text, key)}: key '{key}': {item!r} is not a valid requirement ({exc})"
            ) from exc
        specs = list(req.specifier)
        if req.url or len(specs) != 1 or specs[0].operator not in ("==", "===") or specs[0].version.endswith(".*"):
            raise BadInputError(
                f"{_where(path, text, key)}: key '{key}': {item!r} must be an exact pin like '{req.name}==1.2.3'"
            )


def _check_version(path: Path, text: str, key: str, value: str) -> None:
    try:
        Version(value)
    except (InvalidVersion, ValueError) as exc:  # ValueError: int() refuses > 4300 digits
        raise BadInputError(f"{_where(path, text, key)}: key '{key}' = {value!r} is not a version") from exc


def _check_range(path: Path, text: str, key: str, value: str, pinned: bool) -> None:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if pinned:
        raise BadInputError(
            f"{_where(path, text, key)}: give either 'torch.version' (an exact pin) or '{key}' (a range), not both"
        )
    try:
        spec = SpecifierSet(value)
    except InvalidSpecifier as exc:
        raise BadInputError(
            f"{_where(path, text, key)}: key '{key}' = {value!r} is not a version range like '>=2.13,<2.16'"
        ) from exc
    if not list(spec):
        raise BadInputError(f"{_where(path, text, key)}: key '{key}' is empty; give a range like '>=2.13,<2.16'")


def read_raw(path: Path) -> dict[str, Any]:
    """Parse one profile file and check its keys, types and values (no inheritance yet)."""
    text, raw = read_toml(path, "profile")
    _check_table(path, text, raw, _TOP_KEYS)
    torch = raw.get("torch", {})
    _check_table(path, text, torch, _TORCH_KEYS, "torch.")
    aliases = raw.get("aliases", [])
    if not all(isinstance(a, str) and _NAME.match(a) for a in aliases):
        raise BadInputError(
            f"{_where(path, text, 'aliases')}: key 'aliases' must be a list of plain names "
            "(letters, digits, '.', '_', '-')"
        )
    if "extends" in raw and not _NAME.match(raw["extends"]):
        raise BadInputError(
            f"{_where(path, text, 'extends')}: key 'extends' must be a plain profile name, not {raw['extends']!r}"
        )
    if "index" in torch:
        _check_url(path, text, "torch.index", torch["index"], allow_default=True)
    if "index" in raw:
        _check_url(path, text, "index", raw["index"], allow_default=True)
    if "python" in raw and not re.fullmatch(r"3\.\d+", raw["python"]):
        raise BadInputError(
            f"{_where(path, text, 'python')}: key 'python' must be a Python minor version like '3.11', "
            f"not {raw['python']!r}"
        )
    if "version" in torch:
        _check_version(path, text, "torch.version", torch["version"])
    if "versions" in torch:
        _check_range(path, text, "torch.versions", torch["versions"], "version" in torch)
    for key, items in (("packages", raw.get("packages", [])), ("torch.packages", torch.get("packages", []))):
        _check_pins(path, text, key, items)
    for gname, items in raw.get("groups", {}).items():
        if not _NAME.match(gname):
            raise BadInputError(f"{_where(path, text, 'groups')}: group name {gname!r} must be a plain name")
        if not isinstance(items, list):
            raise BadInputError(
                f"{_where(path, text, gname)}: key 'groups.{gname}' must be a list of requirement strings"
            )
        _check_pins(path, text, f"groups.{gname}", items)
    for ch in raw.get("conda_channels", []):
        if not isinstance(ch, str) or not (_NAME.match(ch) or ch.startswith(("https://", "file://"))):
            raise BadInputError(
                f"{_where(path, text, 'conda_channels')}: key 'conda_channels' must list channel names "
                f"or https:// / file:// URLs, not {ch!r}"
            )
    if not all(isinstance(p, str) and p for p in torch.get("index_platforms", [])):
        raise BadInputError(
            f"{_where(path, text, 'index_platforms')}: key 'torch.index_platforms' must be a list of "
            "sys.platform names ('linux', 'win32', 'darwin')"
        )
    return raw


def _merge(base: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **{k: v for k, v in raw.items() if k not in ("torch", "groups", "aliases")}}
    merged["torch"] = {**base.get("torch", {}), **raw.get("torch", {})}
    for own, inherited in (("versions", "version"), ("version", "versions")):
        if own in raw.get("torch", {}) and inherited not in raw.get("torch", {}):
            merged["torch"].pop(inherited, None)  # a range replaces an inherited pin, and back
    merged["groups"] = {**base.get("groups", {}), **raw.get("groups", {})}
    merged.pop("aliases", None)  # aliases are not inherited: two profiles cannot share one
    if "aliases" in raw:
        merged["aliases"] = raw["aliases"]
    return merged


def _resolve(name: str, raws: Mapping[str, tuple[Path, dict[str, Any]]], chain: tuple[str, ...] = ()) -> dict[str, Any]:
    path, raw = raws[name]
    parent = raw.get("extends")
    if parent is None:
        return dict(raw)
    if parent in chain or parent == name:
        raise BadInputError(f"{path}: key 'extends' makes a cycle: {' -> '.join((*chain, name, parent))}")
    if parent not in raws:
        raise BadInputError(
            f"{path}: key 'extends' names profile '{parent}', which does not exist{_did_you_mean(parent, list(raws))}"
        )
    return _merge(_resolve(parent, raws, (*chain, name)), raw)


def _archs(tv: knowledge.TorchVariant) -> tuple[str, ...]:
    return tuple(f"sm_{a.replace('.', '')}" for a in tv.sass) + tuple(f"compute_{a.replace('.', '')}" for a in tv.ptx)


def _build(name: str, path: Path, raw: Mapping[str, Any]) -> Profile:
    torch = raw.get("torch", {})
    variant = torch.get("variant", "cpu")
    install_torch = torch.get("install", True)
    version = torch.get("version") if install_torch else None
    torch_range = torch.get("versions") if install_torch and version is None else None
    cuda = min_driver = None
    archs: tuple[str, ...] = ()
    # ROCm, XPU and Jetson wheels are known to envtool/knowledge/accelerators.py (no CUDA line, no sm_ archs)
    if variant != "cpu" and accelerators.accel_variant(variant, version) is None:
        tv = knowledge.torch_variant(variant, version)
        if tv is None or not tv.cuda:
            known = [v.name for v in knowledge.torch_variants()]
            hint = (
                _did_you_mean(variant, known)
                if knowledge.torch_variant(variant) is None
                else f"; torch {version} was not published for {variant}"
            )
            raise BadInputError(f"{path}: key 'torch.variant' = {variant!r} is not a known torch wheel variant{hint}")
        cuda = tv.cuda
        min_driver = knowledge.min_driver_for_cuda(tv.cuda, "Linux")
        archs = _archs(tv)
    index = torch.get("index")
    return Profile(
        name=name,
        description=raw.get("description", ""),
        aliases=tuple(raw.get("aliases", ())),
        python=raw.get("python"),
        torch=version,
        variant=variant,
        cuda=cuda,
        torch_index=None if index in (None, DEFAULT) else index,
        path=str(path),
        torch_packages=tuple(torch.get("packages", ())) if install_torch else (),
        torch_index_platforms=tuple(torch.get("index_platforms", ())),
        packages=tuple(raw.get("packages", ())),
        groups=tuple((g, tuple(items)) for g, items in sorted(raw.get("groups", {}).items())),
        index=None if raw.get("index") in (None, DEFAULT) else raw["index"],
        conda_channels=tuple(raw.get("conda_channels", ())),
        min_driver=min_driver,
        archs=archs,
        torch_range=torch_range,
    )


# --------------------------------------------------------------------------- mirrors


def read_mirrors(dirs: Sequence[Path], env: Mapping[str, str]) -> dict[str, str]:
    """The ``[mirrors]`` table of the last ``mirrors.toml`` found, overridden by ENVTOOL_MIRROR_*."""
    mirrors: dict[str, str] = {}
    for d in dirs:
        path = d / MIRRORS_FILE
        if not path.is_file():
            continue
        text, raw = read_toml(path, "mirrors file")
        _check_table(path, text, raw, {"mirrors": dict})
        table = raw.get("mirrors", {})
        _check_table(path, text, table, _MIRROR_KEYS, "mirrors.")
        for key, url in table.items():
            _check_url(path, text, f"mirrors.{key}", url)
        mirrors.update(table)
    for key in _MIRROR_KEYS:
        value = env.get(f"ENVTOOL_MIRROR_{key.upper()}")
        if value:
            if key == "pytorch" and value == "default":
                mirrors[key] = value  # torch from the installer's configured default index
                continue
            if not value.startswith(("https://", "file://")):
                raise BadInputError(
                    f"ENVTOOL_MIRROR_{key.upper()} must be an https:// URL (or file:// for a local wheelhouse), "
                    f"or 'default' for pytorch, not {value!r}"
                )
            mirrors[key] = value
    return mirrors


def apply_mirrors(profile: Profile, mirrors: Mapping[str, str]) -> Profile:
    """Rewrite one profile's indexes and channels for a lab behind a firewall.

    ``pytorch``: replaces the ``https://download.pytorch.org/whl`` prefix of torch's index
    (``.../whl/cu126`` -> ``MIRROR/cu126``); ``default`` (environment variable only) takes torch
    from the installer's configured default index instead. ``index``: the default package index (also used for
    torch when the profile names no torch index). ``conda``: channel base URL
    (``conda-forge`` -> ``MIRROR/conda-forge``).
    """
    changes: dict[str, Any] = {}
    if mirrors.get("pytorch") == "default" and profile.torch_index and profile.torch_index.startswith(PYTORCH_INDEX):
        # A lab whose default index (a proxy, a devpi) also carries PyTorch's wheels.
        changes["torch_index"] = None
    elif mirrors.get("pytorch") and profile.torch_index and profile.torch_index.startswith(PYTORCH_INDEX):
        changes["torch_index"] = mirrors["pytorch"].rstrip("/") + profile.torch_index[len(PYTORCH_INDEX) :]
    if mirrors.get("index"):
        changes["index"] = mirrors["index"]
    if mirrors.get("conda"):
        base = mirrors["conda"].rstrip("/")
        changes["conda_channels"] = tuple(ch if "://" in ch else f"{base}/{ch}" for ch in profile.conda_channels)
    return dataclasses.replace(profile, **changes) if changes else profile


def load_profiles(profiles_dir: str | None = None, env: Mapping[str, str] | None = None) -> list[Profile]:
    """Every profile, later directories overriding earlier ones by name, mirrors applied."""
    env = os.environ if env is None else env
    dirs = search_dirs(profiles_dir, env)
    raws: dict[str, tuple[Path, dict[str, Any]]] = {}
    for d in dirs:
        for path in sorted(d.glob("*.toml")):
            if path.name == MIRRORS_FILE:
                continue
            name = path.stem
            if not _NAME.match(name):
                raise BadInputError(f"{path}: profile names must be plain names (letters, digits, '.', '_', '-')")
            raws[name] = (path, read_raw(path))
    mirrors = read_mirrors(dirs, env)
    profiles = [apply_mirrors(_build(name, raws[name][0], _resolve(name, raws)), mirrors) for name in sorted(raws)]
    seen: dict[str, str] = {p.name: p.name for p in profiles}
    for p in profiles:
        for alias in p.aliases:
            if alias in seen and seen[alias] != p.name:
                raise BadInputError(
                    f"{p.path}: alias '{alias}' is already the name or alias of profile '{seen[alias]}'"
                )
            seen[alias] = p.name
    return profiles


def find_profile(name: str, profiles: Sequence[Profile]) -> Profile:
    """A profile by name or alias (``auto`` is resolved by the caller)."""
    if not _NAME.match(name):
        raise BadInputError(
            f"profile name {name!r} is not a plain name; use one of: {', '.join(p.name for p in profiles)}"
        )
    for p in profiles:
        if p.name == name or name in p.aliases:
            return p
    names = [p.name for p in profiles] + [a for p in profiles for a in p.aliases]
    raise BadInputError(f"no profile named '{name}'{_did_you_mean(name, names)}")
