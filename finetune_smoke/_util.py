"""Shared plumbing for the bench and train entry points: clean errors and the JSON envelope."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, NoReturn

EXIT_OK = 0
EXIT_FAILED = 1  # the workload ran and failed: OOM, NaN loss, compile failure, a bug
EXIT_BAD_INPUT = 2  # the request was wrong: a missing model folder, an absent device, bad flags


class SmokeError(Exception):
    """A failure that becomes a clean ``{"ok": false, "error": {...}}`` result.

    ``kind`` is a fixed vocabulary word (oom, nan_loss, model_not_found, device_unavailable,
    bad_argument, compile_failed, import_error, internal); ``details`` is merged into the error
    object so a caller gets e.g. the largest batch that fits next to an OOM.
    """

    def __init__(self, kind: str, message: str, *, exit_code: int = EXIT_FAILED, **details: Any) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.exit_code = exit_code
        self.details = details

    def to_json(self) -> dict[str, Any]:
        """The ``error`` object of a failed result."""
        return {"kind": self.kind, "message": self.message, **self.details}


class JsonArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors become SmokeError instead of exiting.

    With ``--json`` the caller expects one JSON object on stdout even for a bad flag.
    """

    def error(self, message: str) -> NoReturn:  # noqa: D102 - argparse's own contract
        raise SmokeError("bad_argument", f"{self.prog}: {message}", exit_code=EXIT_BAD_INPUT)


def wants_json(argv: list[str]) -> bool:
    """Whether ``--json`` was asked for, readable before argparse succeeds."""
    return "--json" in argv


def wants_debug(argv: list[str]) -> bool:
    """Whether ``--debug`` was asked for (tracebacks are shown only then)."""
    return "--debug" in argv


def emit(result: dict[str, Any], *, as_json: bool, human: str) -> None:
    """Write the result: exactly one JSON object on stdout, or the human text."""
    if as_json:
        sys.stdout.write(json.dumps(result, sort_keys=False) + "\n")
    else:
        sys.stdout.write(human.rstrip("\n") + "\n")
    sys.stdout.flush()


def log(message: str) -> None:
    """Progress goes to stderr so stdout stays one JSON object."""
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


def quiet_transformers() -> None:
    """Silence transformers' progress bars and advisories; they would clutter stderr logs.

    Also forbid hub downloads: the workload runs offline on a local folder or a random init.
    """
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        from transformers.utils import logging as hf_logging

        hf: Any = hf_logging  # untyped helpers
        hf.set_verbosity_error()
        hf.disable_progress_bar()
    except Exception:  # an older transformers without these helpers: the noise is harmless
        pass
