"""`envtool diagnose FILE|-`: a pasted collect_env dump or an envtool JSON report, diagnosed."""

from __future__ import annotations

import argparse
import os
import sys

from envtool import redact
from envtool.commands import HELPS
from envtool.commands._common import add_profiles_dir, exit_for
from envtool.errors import BadInputError
from envtool.model import CommandResult, facts_to_data

NAME = "diagnose"
HELP = HELPS[NAME]
MAX_BYTES = 200 * 2**20  # a pasted report is kilobytes; refuse to read a disk image


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", metavar="FILE", help="the report file, or - for standard input")
    add_profiles_dir(p)
    redact.add_argument(p)


def _read(path: str) -> tuple[str, str]:
    """The whole input, refused past MAX_BYTES (read at its real size, not at the limit)."""
    if path == "-":
        chunks, size = [], 0
        while size <= MAX_BYTES:
            chunk = sys.stdin.buffer.read(1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        raw, name = b"".join(chunks), "<stdin>"
    else:
        try:
            too_big = os.path.getsize(path) > MAX_BYTES
            raw = b""
            if not too_big:
                with open(path, "rb") as fh:
                    raw = fh.read()
        except OSError as exc:
            raise BadInputError(
                f"{path}: cannot read ({exc.strerror or exc}); "
                "give the path of a pasted report (collect_env, nvidia-smi, logs) or an envtool JSON report"
            ) from exc
        name = path
        if too_big:
            raise BadInputError(
                f"{name}: larger than {MAX_BYTES // 2**20} MiB; give the report itself, not a whole log"
            )
    if len(raw) > MAX_BYTES:
        raise BadInputError(f"{name}: larger than {MAX_BYTES // 2**20} MiB; give the report itself, not a whole log")
    return raw.decode("utf-8", errors="replace"), name


def run(args: argparse.Namespace, ui: object = None) -> CommandResult:
    from envtool import diagnose, paste_rules, profiles, rules, runner

    text, name = _read(args.file)
    loaded = profiles.load_profiles(args.profiles_dir)  # bad input is refused before any work
    paste = diagnose.load_paste(text, name, alongside=runner.alongside)  # a long paste's forms on another core
    facts = paste.facts
    if paste.form == "envtool-report":
        findings = rules.evaluate(facts)
        verdict = None
        machine = rules.recommend(facts, loaded)
        rec = paste_rules.PasteRecommendation(name=machine.name, reasons=machine.reasons)
    else:
        findings, verdict = paste_rules.diagnose_paste(facts, paste.signs)
        # The profile follows the verdict (an NVIDIA cause proves an NVIDIA GPU), and the driver fix the profile.
        rec = paste_rules.recommend(facts, loaded, findings, verdict, paste.signs)
        findings = paste_rules.agree_with_profile(findings, facts, rec)
    data = facts_to_data(facts)
    data["input"] = name
    data["form"] = paste.form
    if verdict is not None:
        data["verdict"] = verdict
        data["told"] = [{"what": w, "value": v, "line": n} for w, v, n in paste.told]
    data["recommended_profile"] = {"name": rec.name, "reasons": list(rec.reasons)}
    return redact.maybe_result(
        args, CommandResult(command=NAME, data=data, findings=tuple(findings), exit_code=exit_for(findings))
    )
