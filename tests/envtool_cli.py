"""Run envtool's CLI in this process, as the tests call it (``main(argv)`` returns the exit code)."""

from __future__ import annotations

import io
import json
import os
import sys

from envtool.cli import main


def cli_text(*argv: str) -> tuple[int, str, str]:
    """``envtool ARGV``: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def cli_json(*argv: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    """``envtool ARGV --json`` with extra environment variables: (exit code, the one envelope)."""
    old = dict(os.environ)
    os.environ.update(env or {})
    try:
        code, out, _ = cli_text(*argv, "--json")
    finally:
        os.environ.clear()
        os.environ.update(old)
    return code, json.loads(out)


def diagnose(*argv: str, stdin: str | None = None) -> tuple[int, dict]:
    """``envtool diagnose ARGV --json``, with ``stdin`` as the paste for ``-``: (exit code, the envelope)."""
    out, err = io.StringIO(), io.StringIO()
    if stdin is not None:
        old = sys.stdin
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()), encoding="utf-8")
    try:
        code = main(["diagnose", *argv, "--json"], stdout=out, stderr=err)
    finally:
        if stdin is not None:
            sys.stdin = old
    return code, json.loads(out.getvalue())


def diagnose_text(text: str) -> tuple[int, dict]:
    """``envtool diagnose - --json`` on ``text``: (exit code, the envelope)."""
    return diagnose("-", stdin=text)


def findings_of(env: dict) -> list[tuple[str, str, list[int]]]:
    """(id, severity, the evidence's line numbers) of each finding of a diagnose envelope."""
    return [(f["id"], f["severity"], [e["line"] for e in f["evidence"]]) for f in env["findings"]]


def told_rows(env: dict) -> dict[str, tuple[str, int | None]]:
    """What the paste told, from a diagnose JSON envelope: each row's label -> (value, its line or None)."""
    return {r["what"]: (r["value"], r.get("line")) for r in env["data"]["told"]}
