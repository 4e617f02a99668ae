"""`envtool knowledge`: the knowledge tables as envtool sees them, and where each fact came from."""

from __future__ import annotations

import argparse
from typing import Any

from envtool.commands import HELPS
from envtool.model import CommandResult

NAME = "knowledge"
HELP = HELPS[NAME]
TABLES = ("gpus", "variants", "drivers")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--table", choices=TABLES, action="append", help="only these tables (repeatable; default: all)")
    p.add_argument("--gpu", metavar="NAME", help="only the GPU entry this name (as nvidia-smi prints it) matches")


def run(args: argparse.Namespace, ui: object = None) -> CommandResult:
    from envtool import knowledge

    tables = args.table or list(TABLES)
    data: dict[str, Any] = {"knowledge_dirs": list(knowledge.knowledge_dirs())}
    if "gpus" in tables:
        rows = knowledge.provenance("gpus.toml", "gpu")
        if args.gpu:
            spec = knowledge.gpu_spec(args.gpu)
            rows = [r for r in rows if spec is not None and r.get("model") == spec.model]
        data["gpus"] = rows
    if "variants" in tables:
        data["variants"] = [
            {**v, "platforms": " ".join(knowledge.variant_platforms(v["name"]))}
            for v in knowledge.provenance("torch_builds.toml", "variant")
        ]
    if "drivers" in tables:
        data["drivers"] = knowledge.provenance("cuda_drivers.toml", "release")
        data["minor_compat"] = knowledge.minor_compat_floors()
    return CommandResult(command=NAME, data=data)


def render(result: CommandResult) -> list[Any]:
    from rich.table import Table
    from rich.text import Text

    data = result.data
    items: list[Any] = []
    if data.get("knowledge_dirs"):
        items.append(Text("knowledge directories: " + ", ".join(data["knowledge_dirs"])))
    for key, cols in (
        ("gpus", ("model", "compute_capability", "architecture", "bf16_tflops", "memory_gb")),
        ("variants", ("name", "cuda", "first_torch", "last_torch", "platforms")),
        ("drivers", ("cuda", "linux", "windows")),
    ):
        if key not in data:
            continue
        t = Table(title=key, show_edge=False)
        for c in (*cols, "from"):
            t.add_column(c, no_wrap=c != "from")
        for row in data[key]:
            t.add_row(*(Text("-" if row.get(c) is None else str(row.get(c))) for c in cols), Text(row["_origin"]))
        items.append(t)
    return items
