"""Self-contained BERT workload: a timed fine-tune benchmark and a sentiment fine-tune.

Needs only torch, transformers, tokenizers and the standard library, because it runs inside
the environment under test, where envtool itself may not be installed. Entry points:
``python -m finetune_smoke.bench`` and ``python -m finetune_smoke.train``.
"""

from __future__ import annotations

__version__ = "0.1.0"
