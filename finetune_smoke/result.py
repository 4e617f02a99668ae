"""The bench workload's result: one typed, versioned contract for the workload that writes it and envtool that reads it.

Stdlib only: the workload imports it in the target python, envtool in its own. On the wire it is
one JSON object (``BenchResult.to_json``); ``BenchResult.from_json`` reads one back, tolerating a
missing key (None: unknown) and ignoring keys it does not know, so an older or newer workload still
reads. ``SCHEMA_VERSION`` changes when a key changes meaning or goes away; new keys keep it.

Version 2 (this one): ``choices`` (every decision with the candidates measured and why),
``gemm_probes`` (TFLOP/s of the step's largest GEMM in each precision the device offers),
``ceiling_tflops``/``ceiling_precision`` (the best of them), ``compile_s``, ``eager_step_s``,
``loss_falling`` and ``standard_stack``; the dropout default is ``nn.Dropout``. Added within
version 2, optional: ``backend``, ``device_count``, ``compute_capability``, ``gcn_arch``,
``unified_memory`` (and its reason), ``memory_budget_bytes``/``memory_budget_source``,
``batch_cap_reason``, ``per_sample_bytes``, and a ``batch`` entry in ``choices`` on unified memory.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA_NAME = "finetune_smoke.bench"
SCHEMA_VERSION = 2
SCHEMA = f"{SCHEMA_NAME}/{SCHEMA_VERSION}"


@dataclass(frozen=True, kw_only=True)
class ModelInfo:
    """The BERT that ran: its name, where it came from (``random_init`` or ``folder``) and its shape."""

    name: str | None = None
    source: str | None = None
    num_hidden_layers: int | None = None
    hidden_size: int | None = None
    num_attention_heads: int | None = None
    intermediate_size: int | None = None
    vocab_size: int | None = None
    parameters: int | None = None


@dataclass(frozen=True, kw_only=True)
class StepTimes:
    """Seconds per timed step: median, p10, p90 and every step."""

    median: float = 0.0
    p10: float = 0.0
    p90: float = 0.0
    times: list[float] = field(default_factory=list)


@dataclass(frozen=True, kw_only=True)
class Choice:
    """One decision of the run: what was decided, the candidates with their measured figures, the pick, why."""

    what: str
    options: dict[str, Any]
    chosen: Any
    why: str


@dataclass(frozen=True, kw_only=True)
class BenchResult:
    """One run of ``finetune_smoke.bench``; ``ok`` False carries ``error`` = {kind, message, ...} only."""

    ok: bool
    schema: str = SCHEMA
    error: dict[str, Any] | None = None
    model: ModelInfo | None = None
    batch_size: int | None = None
    seq_len: int | None = None
    precision: str | None = None
    precision_reason: str | None = None
    device: str | None = None
    device_name: str | None = None
    attention: str | None = None
    optimizer: str | None = None
    compile: bool | None = None
    compile_reason: str | None = None
    compile_s: float | None = None  # the one-off compile, measured on the first compiled step
    eager_step_s: float | None = None  # median eager step timed beside a compiled run (the compile check)
    dropout: str | None = None
    dropout_reason: str | None = None
    standard_stack: bool | None = None  # nn.Dropout, SDPA, fused AdamW, autocast: what a user's loop runs
    first_step_s: float | None = None
    tf32: bool | None = None
    steps: int | None = None
    warmup: int | None = None
    step_time_s: StepTimes | None = None
    samples_per_s: float | None = None
    tokens_per_s: float | None = None
    flops_per_step: float | None = None
    tflops: float | None = None
    peak_tflops: float | None = None
    peak_source: str | None = None
    mfu: float | None = None
    gemm_tflops: float | None = None  # the step's largest GEMM in the precision used
    gemm_shape: list[int] | None = None
    mfu_vs_gemm: float | None = None
    gemm_probes: dict[str, float | None] | None = None  # precision -> TFLOP/s (None: not offered here)
    gemm_probe_s: float | None = None  # how long the probes took
    ceiling_tflops: float | None = None
    ceiling_precision: str | None = None
    choices: list[Choice] = field(default_factory=list)
    loss_falling: bool | None = None
    peak_memory_bytes: int | None = None
    peak_memory_kind: str | None = None
    losses: list[Any] = field(default_factory=list)
    final_loss: float | None = None
    threads: int | None = None
    # The device behind ``device`` (optional keys of version 2: an older result reads them as None).
    backend: str | None = None  # cuda, hip (ROCm through the cuda device type), xpu, mps or cpu
    device_count: int | None = None  # devices of that type visible to this torch
    compute_capability: list[int] | None = None  # NVIDIA only, [major, minor]
    gcn_arch: str | None = None  # ROCm only, torch's gcnArchName, e.g. "gfx942:sramecc+:xnack-"
    unified_memory: bool | None = None  # the device's memory is the host's RAM (MPS, Jetson, GB10, APUs)
    unified_memory_reason: str | None = None
    memory_budget_bytes: int | None = None  # unified memory: MemAvailable or MPS's recommended working set
    memory_budget_source: str | None = None
    batch_cap_reason: str | None = None  # how the batch search's start was set (capped by the budget, or not)
    per_sample_bytes: int | None = None  # unified memory: estimated device memory per sample of the batch
    versions: dict[str, str | None] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON object the workload prints; a failure is only ``schema``, ``ok`` and ``error``."""
        if not self.ok:
            return {"schema": self.schema, "ok": False, "error": dict(self.error or {})}
        out = dataclasses.asdict(self)
        out.pop("error")
        return out

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> BenchResult:
        """Read a result object; unknown keys are ignored, missing ones are None (unknown)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {k: v for k, v in obj.items() if k in known}
        values["ok"] = bool(obj.get("ok"))
        values.setdefault("schema", str(obj.get("schema") or f"{SCHEMA_NAME}/unknown"))
        if values.get("error") is not None and not isinstance(values["error"], Mapping):
            values["error"] = {"kind": "error", "message": str(values["error"])}
        model = obj.get("model")
        values["model"] = _sub(ModelInfo, model) if isinstance(model, Mapping) else None
        st = obj.get("step_time_s")
        values["step_time_s"] = _sub(StepTimes, st) if isinstance(st, Mapping) else None
        values["choices"] = [
            Choice(
                what=str(c.get("what")),
                options=dict(c.get("options") or {}),
                chosen=c.get("chosen"),
                why=str(c.get("why") or ""),
            )
            for c in obj.get("choices") or []
            if isinstance(c, Mapping)
        ]
        for key in ("losses", "versions"):
            if values.get(key) is None:
                values.pop(key, None)
        return cls(**values)

    def choice(self, what: str) -> Choice | None:
        """The decision about ``what`` (precision, compile, dropout), if the run recorded one."""
        return next((c for c in self.choices if c.what == what), None)


def _sub(kind: Any, obj: Mapping[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(kind)}
    return kind(**{k: v for k, v in obj.items() if k in names})


def failure(kind: str, message: str, **details: Any) -> dict[str, Any]:
    """The JSON of a failed run: ``{"schema", "ok": false, "error": {"kind", "message", ...}}``."""
    return BenchResult(ok=False, error={"kind": kind, "message": message, **details}).to_json()
