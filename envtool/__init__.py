"""envtool: take a deep-learning machine from a fresh box to verified, fast BERT fine-tuning."""

from __future__ import annotations

__version__ = "0.1.0"
SCHEMA = "envtool/1"
