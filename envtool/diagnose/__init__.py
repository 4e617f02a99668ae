"""Read pasted ``python -m torch.utils.collect_env`` dumps (and torch's own warnings) into facts.

Lab admins receive reports pasted into issues, chats and mails. ``envtool diagnose`` maps
them onto the same :class:`~envtool.model.HostFacts` that ``envtool detect`` builds, so the
same rules run on both. Everything here is pure: text in, facts out.

The parser follows the report's grammar rather than any one sample: a ``Key: value`` line
grammar with a table of known keys (torch 1.0 to 2.x, vLLM's sectioned ``Key   : value``
variant), a few multi-line values (the GPU list, the cuDNN list, the CPU block) and the
``[pip3] name==ver`` / ``[conda] name ver build channel`` package lines. Wrapping added by
people (markdown fences, ``> `` quotes, ``<details>``, shell prompts, log lines) is peeled
off line by line. Every regular expression runs on one bounded line or message, so a huge
paste costs linear time.

Format references (the field set over the years):
- pytorch/pytorch torch/utils/collect_env.py (``env_info_fmt``, ``pretty_str``,
  ``get_gpu_info``, ``get_cudnn_version``, ``get_cpu_info``), as shipped in torch 2.13.
- vllm-project/vllm vllm/collect_env.py@ee92039 (the "=====" sectioned layout).
"""

from __future__ import annotations

import json
from typing import Any

from envtool.diagnose.facts import SOURCE, _facts_from_report, _lists_torch
from envtool.diagnose.grammar import _read_report
from envtool.diagnose.lines import _clean_lines
from envtool.diagnose.messages import (
    _messages_from_lines,
    extract_torch_messages,
    parse_driver_too_old,
    parse_found_gpu_capability,
    parse_incompatible_capability,
    parse_supported_arch_list,
)
from envtool.errors import BadInputError
from envtool.model import HostFacts, facts_from_data

__all__ = [
    "SOURCE",
    "extract_torch_messages",
    "facts_from_envtool_report",
    "load_report",
    "parse_collect_env",
    "parse_driver_too_old",
    "parse_found_gpu_capability",
    "parse_incompatible_capability",
    "parse_supported_arch_list",
]

REPORT_SCHEMA = "envtool/1"


def parse_collect_env(text: str) -> HostFacts:
    """Facts from a pasted ``python -m torch.utils.collect_env`` dump (any torch 1.x / 2.x layout).

    Accepts the wrapping of an issue (fences, quotes, ``<details>``, prompts, log lines) and
    a dump cut short anywhere. Fields the text does not state stay ``None``. Torch's own
    warnings and errors anywhere in the text land in ``torch_runtime.messages``.

    Raises :class:`~envtool.errors.BadInputError` when the text holds neither a report nor a
    recognisable torch message.
    """
    lines = _clean_lines(text)
    rep = _read_report(lines)
    messages = tuple(_messages_from_lines(lines, text))
    if not (rep.header or rep.report_keys or _lists_torch(rep) or messages):
        raise BadInputError(
            "no collect_env report found (expected lines such as 'PyTorch version: ...' from "
            "`python -m torch.utils.collect_env`) and no torch warning or error either"
        )
    return _facts_from_report(rep, messages)


# --------------------------------------------------------------------------- envtool's own reports


def facts_from_envtool_report(obj: dict[str, Any]) -> HostFacts:
    """Facts from envtool's own JSON envelope (``{"schema": "envtool/1", "data": {...}}``).

    ``data`` holds ``facts_to_data(facts)`` plus command-specific keys, which are ignored.
    Raises :class:`~envtool.errors.BadInputError` for any other JSON.
    """
    if not isinstance(obj, dict):
        raise BadInputError(
            f'expected an envtool JSON report (an object with "schema": "{REPORT_SCHEMA}"), '
            f"got a JSON {type(obj).__name__}"
        )
    schema = obj.get("schema")
    if schema != REPORT_SCHEMA:
        got = f"schema {schema!r}" if schema is not None else 'no "schema" key'
        raise BadInputError(f'not an envtool report: expected "schema": "{REPORT_SCHEMA}", found {got}')
    data = obj.get("data")
    if not isinstance(data, dict) or not any(k in data for k in ("system", "nvidia", "gpus", "python", "toolkit")):
        command = obj.get("command") or "?"
        raise BadInputError(
            f"the envtool report (command {command!r}) holds no host facts; "
            "use the JSON of `envtool detect --json` or `envtool diagnose --json`"
        )
    try:
        return facts_from_data(data)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise BadInputError(f"the envtool report's data does not have the expected shape: {exc}") from exc


def load_report(text: str, name: str) -> HostFacts:
    """Facts from a file's text: envtool JSON when it starts with ``{``, else a collect_env dump.

    ``name`` (a path or ``<stdin>``) opens every error message.
    """
    body = text[1:] if text.startswith("\ufeff") else text
    if body.lstrip().startswith("{"):
        try:
            obj = json.loads(body)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc
        except RecursionError:  # json decodes nested arrays/objects recursively
            raise BadInputError(f"{name}: not an envtool report: JSON nested too deeply") from None
        try:
            return facts_from_envtool_report(obj)
        except BadInputError as exc:
            raise BadInputError(f"{name}: {_one_line(str(exc))}") from exc
    try:
        return parse_collect_env(body)
    except BadInputError as exc:
        raise BadInputError(f"{name}: {_one_line(str(exc))}") from exc


def _one_line(msg: str) -> str:
    return " ".join(msg.split())
