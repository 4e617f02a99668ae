"""The small sentiment dataset shipped in ``data/sentiment.tsv`` and its deterministic split.

The texts were written for this project: 620 short English reviews (310 positive, 310
negative) across products, films, restaurants, travel, software, services, books, games, music
and everyday services. No network and no third-party data.
"""

from __future__ import annotations

import csv
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

LABELS: tuple[str, ...] = ("negative", "positive")  # index = class id
SPLIT_FRACTIONS = (0.70, 0.15, 0.15)  # train / dev / test
DEFAULT_SEED = 13

_TOKEN = re.compile(r"[a-z0-9']+")


@dataclass(frozen=True, kw_only=True)
class Example:
    """One labelled text."""

    text: str
    label: int  # index into LABELS
    domain: str


def default_path() -> Path:
    """The shipped TSV (works from a checkout and from an installed wheel)."""
    return Path(str(resources.files("finetune_smoke") / "data" / "sentiment.tsv"))


def parse_tsv(text: str) -> list[Example]:
    """Parse ``label<TAB>domain<TAB>text`` rows (with a header line) into examples."""
    rows = csv.DictReader(text.splitlines(), delimiter="\t", quoting=csv.QUOTE_NONE)
    out = []
    for n, row in enumerate(rows, start=2):
        label = (row.get("label") or "").strip()
        if label not in LABELS or not (row.get("text") or "").strip():
            raise ValueError(f"sentiment.tsv line {n}: bad row {row!r}")
        out.append(Example(text=row["text"].strip(), label=LABELS.index(label), domain=row.get("domain", "").strip()))
    return out


def load_examples(path: Path | None = None) -> list[Example]:
    """Read the dataset file (the shipped one by default)."""
    return parse_tsv((path or default_path()).read_text(encoding="utf-8"))


def split(
    examples: Sequence[Example], *, seed: int = DEFAULT_SEED, fractions: tuple[float, float, float] = SPLIT_FRACTIONS
) -> dict[str, list[Example]]:
    """Stratified, seeded 70/15/15 split: each class is shuffled and cut separately, so every
    split keeps the class balance; each split is then shuffled so classes interleave."""
    rng = random.Random(seed)
    parts: dict[str, list[Example]] = {"train": [], "dev": [], "test": []}
    for label in range(len(LABELS)):
        items = [e for e in examples if e.label == label]
        rng.shuffle(items)
        n_train = round(len(items) * fractions[0])
        n_dev = round(len(items) * fractions[1])
        parts["train"] += items[:n_train]
        parts["dev"] += items[n_train : n_train + n_dev]
        parts["test"] += items[n_train + n_dev :]
    for name in parts:
        rng.shuffle(parts[name])
    return parts


def token_set(text: str) -> frozenset[str]:
    """Lower-cased word tokens, for near-duplicate checks."""
    return frozenset(_TOKEN.findall(text.lower()))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Token-set Jaccard similarity (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def near_duplicates(
    left: Iterable[Example], right: Iterable[Example], *, threshold: float = 0.6
) -> list[tuple[float, str, str]]:
    """Pairs across two collections whose token-set Jaccard is at least ``threshold``."""
    right_sets = [(token_set(e.text), e.text) for e in right]
    found = []
    for e in left:
        a = token_set(e.text)
        for b, text in right_sets:
            score = jaccard(a, b)
            if score >= threshold:
                found.append((score, e.text, text))
    return found
