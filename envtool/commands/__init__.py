"""One module per subcommand, each a short adapter into the core.

A command module defines:

- ``NAME`` and ``HELP``;
- ``add_arguments(parser)``: its options (``--json`` and ``--debug`` are added by the CLI);
- ``run(args, ui) -> CommandResult``: does the work and prints nothing; ``ui`` (from the CLI)
  is the only way to talk to the person while it runs (progress, a yes/no question);
- optionally ``render(result) -> list`` of rich renderables for people; without it the
  CLI uses ``envtool.render.renderables``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

# The order is the order of `envtool --help`.
NAMES = ("detect", "diagnose", "profiles", "bench", "report", "plan", "install", "checklist", "onboard")


def load(name: str) -> ModuleType:
    return importlib.import_module(f"envtool.commands.{name}")
