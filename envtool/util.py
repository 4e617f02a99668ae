"""Small helpers shared across the package: sizes, atomic writes, version numbers, timed calls.

Everything here is pure or touches only the file it is asked to write.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from packaging.version import InvalidVersion, Version

GIB = 1024**3

T = TypeVar("T")

_NUM = re.compile(r"\d+")
_LEADING = re.compile(r"^\s*[vV]?(\d+)\.(\d+)(?:\.(\d+))?")


def atomic_write_text(path: str | os.PathLike[str], text: str, *, prefix: str = ".envtool-") -> Path:
    """Write ``text`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    A reader never sees half a file, and a failure leaves the old file in place. An
    ``OSError`` (missing folder, no permission) propagates for the caller to word.
    """
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target


def existing_env_python(prefix: str) -> str | None:
    """The interpreter of an environment directory (venv or conda, POSIX or Windows), if any."""
    for cand in (
        os.path.join(prefix, "bin", "python"),
        os.path.join(prefix, "Scripts", "python.exe"),
        os.path.join(prefix, "python.exe"),
    ):
        if os.path.exists(cand):
            return cand
    return None


def version_parts(v: str | None, limit: int | None = None) -> tuple[int, ...]:
    """Every run of digits in ``v``, in order (at most ``limit``): ``"3.11.7"`` -> ``(3, 11, 7)``.

    ``None`` or digit-free text gives ``()``, which sorts below every real version.
    """
    nums = _NUM.findall(v or "")
    return tuple(int(x) for x in (nums if limit is None else nums[:limit]))


def version_major(v: str | None) -> int | None:
    t = version_parts(v, 1)
    return t[0] if t else None


def driver_version_parts(v: str | None) -> tuple[int, ...] | None:
    """An NVIDIA driver version as numbers: ``"535.54.03"`` -> ``(535, 54, 3)``, ``"581.57"`` -> ``(581, 57)``.

    Windows reports the same driver in its own four-part form, whose last five digits are
    NVIDIA's number (``"31.0.15.8157"`` -> ``(581, 57)``). ``None`` for anything else.
    """
    parts = (v or "").strip().split(".")
    if not parts or not all(p.isdigit() for p in parts):
        return None
    if len(parts) == 4:
        digits = (parts[2] + parts[3].zfill(4))[-5:]
        return (int(digits[:3]), int(digits[3:]))
    return tuple(int(p) for p in parts)


def release_tuple(v: str | None) -> tuple[int, int, int] | None:
    """The leading ``X.Y[.Z]`` of a version: ``"2.13.0.dev20260530+cu132"`` -> ``(2, 13, 0)``."""
    m = _LEADING.match(v or "")
    if not m:
        return None
    return (int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))


def release_text(v: str | None) -> str | None:
    """The leading ``X.Y[.Z]`` of ``v`` as written (``"2.0.1+cu118"`` -> ``"2.0.1"``), else None."""
    m = re.match(r"\d+\.\d+(?:\.\d+)?", v or "")
    return m.group(0) if m else None


def base_version(v: str | None) -> str | None:
    """PEP 440's base version (``"2.13.0+cpu"`` -> ``"2.13.0"``); text that is not a version as it is."""
    if not v:
        return None
    try:
        return Version(v).base_version
    except InvalidVersion:
        return v


def call_with_timeout(fn: Callable[[], T], timeout: float) -> tuple[bool, T | None, BaseException | None]:
    """Run ``fn`` in a daemon thread for at most ``timeout`` seconds.

    Returns ``(finished, value, error)``: a call still running at the deadline is left behind
    (its thread is a daemon) and gives ``(False, None, None)``.
    """
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # reported to the caller, never raised in the thread
            box["error"] = exc

    th = threading.Thread(target=target, daemon=True)
    th.start()
    th.join(timeout)
    if th.is_alive():
        return False, None, None
    err = box.get("error")
    return True, box.get("value"), err if isinstance(err, BaseException) else None  # type: ignore[return-value]
