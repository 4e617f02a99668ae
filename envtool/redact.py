"""``--redact``: reports people can share without telling who or where they come from.

Host names, user names and home paths, GPU UUIDs and serials, PCI bus ids, MAC and IP
addresses, and the value of every environment variable that is not known to be safe are
replaced with placeholders such as ``<host-3f09a1c2>``. A placeholder is a keyed digest of
the value: the same value gives the same placeholder everywhere in one report (so a fleet
view still lines up, and a report redacted in two steps stays consistent), and nobody
without the key, which is random per process and never written, can turn it back.

Secrets stay masked as ``detect`` masks them (``****``), with or without ``--redact``.

Everything here is pure except ``local_identity`` (the machine running envtool) and the
per-process key that ``maybe_data`` / ``maybe_result`` use; a ``Redactor`` takes both as
arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import hashlib
import hmac
import os
import re
import secrets
import socket
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from envtool.model import CommandResult, to_jsonable
from envtool.probes.system import MASK, is_secret_name

__all__ = [
    "SAFE_ENV",
    "Redactor",
    "add_argument",
    "local_identity",
    "maybe_data",
    "maybe_result",
    "process_redactor",
]

# Variables whose values say how torch, NCCL or the hub behave and nothing about who runs them:
# switches, counts, levels and device lists (a device list of GPU UUIDs is still caught below,
# because every kept value is scanned for identifiers too). Everything else is replaced.
SAFE_ENV = frozenset(
    {
        "CUDA_VISIBLE_DEVICES",
        "CUDA_MODULE_LOADING",
        "CUDA_LAUNCH_BLOCKING",
        "CUDA_DEVICE_ORDER",
        "NVIDIA_VISIBLE_DEVICES",
        "NVIDIA_DRIVER_CAPABILITIES",
        "OMP_NUM_THREADS",
        "MKL_NUM_THREADS",
        "PYTORCH_CUDA_ALLOC_CONF",
        "PYTORCH_NVML_BASED_CUDA_CHECK",
        "PYTORCH_NO_CUDA_MEMORY_CACHING",
        "TORCH_CUDA_ARCH_LIST",
        "TORCH_USE_CUDA_DSA",
        "TORCH_SHOW_CPP_STACKTRACES",
        "TORCH_DISTRIBUTED_DEBUG",
        "TORCH_NCCL_ASYNC_ERROR_HANDLING",
        "TORCH_NCCL_BLOCKING_WAIT",
        "NCCL_DEBUG",
        "NCCL_DEBUG_SUBSYS",
        "NCCL_P2P_DISABLE",
        "NCCL_P2P_LEVEL",
        "NCCL_SHM_DISABLE",
        "NCCL_IB_DISABLE",
        "NCCL_NET_GDR_LEVEL",
        "NCCL_ALGO",
        "NCCL_PROTO",
        "NCCL_ASYNC_ERROR_HANDLING",
        "HF_HUB_OFFLINE",
        "HF_DATASETS_OFFLINE",
        "HF_HUB_DISABLE_TELEMETRY",
        "TRANSFORMERS_OFFLINE",
        "TRANSFORMERS_VERBOSITY",
        "UV_TORCH_BACKEND",
        "PYTHONNOUSERSITE",
    }
)

# JSON keys whose string value is an identifier of that kind, wherever they appear.
_KEY_KINDS = {
    "hostname": "host",
    "host": "host",
    "user": "user",
    "username": "user",
    "user_name": "user",
    "home": "home",
    "uuid": "gpu-uuid",
    "gpu_uuid": "gpu-uuid",
    "serial": "serial",
    "serial_number": "serial",
    "board_serial": "serial",
    "pci_bus_id": "pci",
    "bus_id": "pci",
    "mac": "mac",
    "mac_address": "mac",
    "ip": "ip",
    "ip_address": "ip",
}
_ENV_KEYS = ("env_vars",)

# Identifiers recognised in any text. GPU and MIG UUIDs as NVML and nvidia-smi print them
# ("GPU-5fd4a5b2-..." in every captured nvidia-smi XML); PCI bus ids with their domain
# ("00000000:3B:00.0" in nvidia-smi, "0000:3b:00.0" in sysfs and lspci -D); MAC addresses.
_GPU_UUID = re.compile(r"(?:GPU|MIG)-[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
_PCI = re.compile(r"(?<![0-9a-fA-F:])[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7](?![0-9a-fA-F])")
_MAC = re.compile(r"(?<![0-9a-fA-F:-])(?:[0-9a-fA-F]{2}([:-]))(?:[0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}(?![0-9a-fA-F:-])")
# Not after '=', '-', '+', a letter or a dot, so pins and file names of 4-part versions
# ("nvidia-cudnn-cu12==9.1.0.70") are left alone; loopback and "any" addresses say nothing.
_IPV4 = re.compile(r"(?<![\w.=+-])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
_IPV6 = re.compile(r"(?<![\w:])(?=[0-9a-fA-F:]*::|(?:[0-9a-fA-F]{1,4}:){7})[0-9a-fA-F:]{2,39}(?![\w:])")
# A home folder in a path: the folder is replaced, and its name is remembered as a user name.
_HOME = re.compile(r"(?:/home|/Users)/(?P<user>[^/\s:;'\"<>\\,]+)|[A-Za-z]:\\Users\\(?P<wuser>[^\\\s:;'\"<>,]+)")
# A serial number as the captured tools print it: nvidia-smi -q ("Serial Number    : 0000000000000"),
# nvidia-smi -q -x (<serial>0123456789012</serial>), rocm-smi ("GPU[0] : Serial Number: 692347006052")
# and JSON dumps ("Serial Number": "..."), under shared/fixtures/.
_SERIAL = re.compile(
    r"(?i)serial(?:[ _]number)?\"?\s*[:=]\s*\"?(?P<a>[A-Za-z0-9][A-Za-z0-9-]{3,})|<serial>(?P<b>[^<]+)</serial>"
)
# What tools print where they have no value ("<serial>N/A</serial>", "Serial Number: unknown").
_NO_VALUE = frozenset({"n/a", "[n/a]", "na", "none", "unknown", "not supported", "not available", "--"})
_PLACEHOLDER = re.compile(r"<[a-z]+(?:-[a-z]+)*-[0-9a-f]{8}>")

_NOT_USERS = frozenset({"root", "shared", "public", "default", "all users", "default user"})
_NOT_HOMES = frozenset({"/", "/root"})
_PLAIN_VALUES = re.compile(r"(?i)\d+|true|false|yes|no|on|off|none")
# Kinds replaced as whole words only (a host "gpu1" is not replaced inside "gpu12").
_WORDY = frozenset({"host", "user", "env", "serial"})


@dataclasses.dataclass(frozen=True)
class _Literal:
    value: str
    kind: str


class Redactor:
    """Learns identifiers from JSON values and text, then replaces them everywhere.

    ``key`` makes the placeholders (a keyed digest); ``known`` adds identifiers given up front,
    as ``(kind, value)`` pairs with kind ``host``, ``user`` or ``home``.
    """

    def __init__(self, key: bytes, known: Iterable[tuple[str, str]] = ()) -> None:
        self._key = key
        self._literals: dict[str, _Literal] = {}
        self._direct: dict[str, str] = {}  # values replaced where they stand (env values), not in text
        self._pattern: re.Pattern[str] | None = None
        self._placeholders: dict[str, str] = {}
        for kind, value in known:
            self._learn_value(kind, value)

    # ------------------------------------------------------------------ placeholders

    def placeholder(self, kind: str, value: str) -> str:
        digest = hmac.new(self._key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()
        return f"<{kind}-{digest[:8]}>"

    @property
    def mapping(self) -> dict[str, str]:
        """Every learned value and its placeholder (for tests and debugging; never written)."""
        out = {v: self.placeholder(lit.kind, v) for v, lit in self._literals.items()}
        out.update(self._direct)
        return out

    # ------------------------------------------------------------------ learning

    def _learn_value(self, kind: str, value: str) -> None:
        value = value.strip()
        if not value or _PLACEHOLDER.fullmatch(value) or value == MASK or value.lower() in _NO_VALUE:
            return
        if kind == "user" and value.lower() in _NOT_USERS:
            return
        if kind == "home":
            value = value.rstrip("/\\") or value
            if value in _NOT_HOMES:
                return
        if value not in self._literals:
            self._literals[value] = _Literal(value, kind)
            self._pattern = None

    def learn_text(self, text: str) -> None:
        """Identifiers that text carries on its face (UUIDs, bus ids, addresses, home folders, serials)."""
        for m in _GPU_UUID.finditer(text):
            self._learn_value("gpu-uuid", m.group(0))
        for m in _PCI.finditer(text):
            self._learn_value("pci", m.group(0))
        for m in _MAC.finditer(text):
            self._learn_value("mac", m.group(0))
        for m in _IPV4.finditer(text):
            self._learn_ip(m.group(0))
        for m in _IPV6.finditer(text):
            self._learn_ip(m.group(0))
        for m in _HOME.finditer(text):
            self._learn_value("home", m.group(0))
            self._learn_value("user", m.group("user") or m.group("wuser") or "")
        for m in _SERIAL.finditer(text):
            self._learn_value("serial", m.group("a") or m.group("b") or "")

    def _learn_ip(self, text: str) -> None:
        import ipaddress  # only when something looks like an address

        try:
            addr = ipaddress.ip_address(text)
        except ValueError:
            return
        if not (addr.is_loopback or addr.is_unspecified):
            self._learn_value("ip", text)

    def learn(self, obj: Any, key: str | None = None) -> None:
        """Walk a JSON value: identifiers by key (``hostname``, ``uuid``, ``env_vars``...) and in text."""
        if isinstance(obj, Mapping):
            for k, v in obj.items():
                k = str(k)
                if k in _ENV_KEYS:
                    for name, value in _env_items(v):
                        self._learn_env(name, value)
                self.learn(v, k)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                self.learn(v, key)
        elif isinstance(obj, str):
            if key in _KEY_KINDS and _KEY_KINDS[key] == "ip":
                self._learn_ip(obj)
            elif key in _KEY_KINDS:
                self._learn_value(_KEY_KINDS[key], obj)
            self.learn_text(obj)

    def _learn_env(self, name: str, value: Any) -> None:
        if not isinstance(value, str) or not value or value == MASK or name in SAFE_ENV or is_secret_name(name):
            return
        if _PLACEHOLDER.fullmatch(value):
            return
        self._direct.setdefault(value, self.placeholder("env", value))
        # Long, specific values (paths, URLs, interface names) are replaced in other text too;
        # "1" or "true" would wipe out unrelated text.
        if len(value) >= 4 and not _PLAIN_VALUES.fullmatch(value):
            self._learn_value("env", value)

    # ------------------------------------------------------------------ replacing

    def _compiled(self) -> re.Pattern[str] | None:
        # One trie-shaped pattern: a fleet teaches a thousand host names, and a flat alternation
        # would try each of them at every position of every string.
        if self._pattern is None and self._literals:
            self._pattern = re.compile(_trie_pattern(self._literals))
        return self._pattern

    def text(self, text: str) -> str:
        """``text`` with every learned identifier replaced (what it carries on its face is learned first)."""
        self.learn_text(text)
        return self._replace(text)

    def _replace(self, text: str) -> str:
        pattern = self._compiled()
        if pattern is None or not text:
            return text

        def sub(m: re.Match[str]) -> str:
            value = m.group(0)
            kind = self._literals[value].kind
            if not _stands_alone(kind, text, m.start(), m.end()):
                return value
            placeholder = self._placeholders.get(value)
            if placeholder is None:
                placeholder = self._placeholders[value] = self.placeholder(kind, value)
            return placeholder

        return pattern.sub(sub, text)

    def apply(self, obj: Any, key: str | None = None) -> Any:
        """A copy of a JSON value with what was learned replaced; keys are kept."""
        if isinstance(obj, Mapping):
            out: dict[str, Any] = {}
            for k, v in obj.items():
                k = str(k)
                out[k] = self._apply_env(v) if k in _ENV_KEYS else self.apply(v, k)
            return out
        if isinstance(obj, (list, tuple)):
            return [self.apply(v, key) for v in obj]
        if isinstance(obj, str):
            return self._replace(obj)
        return obj

    def _apply_env(self, env: Any) -> Any:
        def one(name: str, value: Any) -> Any:
            if isinstance(value, str) and is_secret_name(name) and value:
                return MASK  # masked whatever the input said
            if isinstance(value, str) and value in self._direct:
                return self._direct[value]
            return self.apply(value)

        if isinstance(env, Mapping):
            return {str(k): one(str(k), v) for k, v in env.items()}
        if isinstance(env, (list, tuple)) and all(_is_pair(p) for p in env):
            return [[p[0], one(p[0], p[1])] for p in env]
        return self.apply(env)

    def redact(self, obj: Any) -> Any:
        """Learn from ``obj``, then return its redacted copy."""
        self.learn(obj)
        return self.apply(obj)

    def result(self, result: CommandResult) -> CommandResult:
        """A command's result redacted: data, findings, errors and pre-rendered text."""
        data = to_jsonable(result.data)
        self.learn(data)
        for f in result.findings:
            self.learn_text(f.message)
            self.learn_text(f.fix)
        for e in result.errors:
            self.learn_text(e)
        if result.text is not None:
            self.learn_text(result.text)
        return dataclasses.replace(
            result,
            data=self.apply(data),
            findings=tuple(
                dataclasses.replace(f, message=self._replace(f.message), fix=self._replace(f.fix))
                for f in result.findings
            ),
            errors=tuple(self._replace(e) for e in result.errors),
            text=None if result.text is None else self._replace(result.text),
        )


def _trie_pattern(words: Iterable[str]) -> str:
    """A regex matching any of ``words``, longest first, with shared prefixes factored out."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}  # a word ends here

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # optional, greedy: the longer word wins
            return ("(?:" + body + ")" if len(branches) == 1 else body) + "?"
        return body

    return emit(trie)


def _stands_alone(kind: str, text: str, start: int, end: int) -> bool:
    """A host "gpu1" is not replaced inside "gpu12", nor a home /home/alice inside /home/alice2."""
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    if kind in _WORDY:
        first, last = text[start], text[end - 1]
        if _WORD_CHAR.match(first) and before and _WORD_CHAR.match(before):
            return False
        return not (_WORD_CHAR.match(last) and after and _WORD_CHAR.match(after))
    if kind == "home":
        return not (after and _PATH_CHAR.match(after))
    return True


_WORD_CHAR = re.compile(r"[\w-]")
_PATH_CHAR = re.compile(r"[\w.-]")


def _is_pair(p: Any) -> bool:
    return isinstance(p, (list, tuple)) and len(p) == 2 and isinstance(p[0], str)


def _env_items(env: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(env, Mapping):
        for k, v in env.items():
            yield str(k), v
    elif isinstance(env, (list, tuple)):
        for p in env:
            if _is_pair(p):
                yield p[0], p[1]


# ---------------------------------------------------------------------- the thin shell


def local_identity(env: Mapping[str, str] | None = None) -> tuple[tuple[str, str], ...]:
    """This machine's host name, user name and home folder, as ``Redactor(known=...)`` takes them."""
    env = os.environ if env is None else env
    out: list[tuple[str, str]] = []
    with contextlib.suppress(OSError):
        out.append(("host", socket.gethostname()))
    with contextlib.suppress(OSError, KeyError):  # KeyError: no name for this uid (containers)
        out.append(("user", getpass.getuser()))
    home = env.get("HOME") or env.get("USERPROFILE") or os.path.expanduser("~")
    if home and home != "~":
        out.append(("home", home))
    return tuple(out)


_PROCESS_KEY = secrets.token_bytes(32)  # never written: placeholders cannot be reversed


def process_redactor() -> Redactor:
    """A redactor with this process's key that knows this machine's host, user and home."""
    return Redactor(_PROCESS_KEY, local_identity())


def add_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--redact",
        action="store_true",
        help="replace host/user names, home paths, GPU UUIDs and serials, PCI bus ids, MAC/IP addresses "
        "and unsafe environment values with placeholders (secrets are always masked)",
    )


def maybe_data(args: argparse.Namespace, data: dict[str, Any]) -> dict[str, Any]:
    """``data`` redacted when the command was given ``--redact``, else ``data`` itself."""
    if not getattr(args, "redact", False):
        return data
    redacted: dict[str, Any] = process_redactor().redact(to_jsonable(data))
    return redacted


def maybe_result(args: argparse.Namespace, result: CommandResult) -> CommandResult:
    """``result`` redacted when the command was given ``--redact``, else ``result`` itself."""
    if not getattr(args, "redact", False):
        return result
    return process_redactor().result(result)
