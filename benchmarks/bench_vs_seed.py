"""The seed article's training loop against finetune_smoke.bench's step, same shape, one run.

Seed loop, as the article wrote it (with its bugs fixed only as far as needed to run): fp32,
eager mode, eager attention (the article predates SDPA in transformers' BERT), the for-loop
``torch.optim.AdamW`` (neither fused nor foreach), ``loss.item()`` every step, no autocast.
Ours: ``finetune_smoke.bench.Stepper`` with the precision ``auto`` picks on this device, SDPA
attention, fused AdamW, optionally ``torch.compile``.

Both start from the same random init and train on the same synthetic batches; the two are
timed alternately, round by round, so drift in the machine's speed hits both alike.

    python benchmarks/bench_vs_seed.py [--model small] [--batch-size 16] [--seq-len 128]
        [--rounds 4] [--steps 3] [--compile] [--device auto]
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finetune_smoke._util import quiet_transformers  # noqa: E402
from finetune_smoke.bench import (  # noqa: E402
    SIZES,
    Stepper,
    build_model,
    choose_precision,
    make_optimizer,
    read_cpu_info,
    resolve_device,
    synthetic_batches,
)


def _sync(torch: Any, device: Any) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print throughputs, their ratio and both losses."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="small", choices=list(SIZES))
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--rounds", type=int, default=4, help="alternations of seed and ours")
    p.add_argument("--steps", type=int, default=3, help="timed steps per side per round")
    p.add_argument("--compile", action="store_true", help="torch.compile our side")
    p.add_argument("--device", default="auto")
    ns = p.parse_args(argv)

    import torch  # noqa: PLC0415

    quiet_transformers()
    device = resolve_device(torch, ns.device)
    capability = torch.cuda.get_device_capability(device) if device.type == "cuda" else None
    precision, why = choose_precision("auto", device_type=device.type, capability=capability, cpu_flags=read_cpu_info().flags)

    ours_model = build_model(torch, SIZES[ns.model], None, seed=0).to(device)
    seed_model = copy.deepcopy(ours_model)
    # The seed article's BERT ran the eager (manual softmax) attention.
    seed_model.config._attn_implementation = "eager"
    for module in seed_model.modules():
        if hasattr(module, "config") and module is not seed_model:
            module.config._attn_implementation = "eager"
    seed_model.train()
    ours_model.train()

    seed_opt = torch.optim.AdamW(seed_model.parameters(), lr=1e-4, foreach=False, fused=False)
    ours_opt, opt_name = make_optimizer(torch, ours_model.parameters(), lr=1e-4, device_type=device.type)
    runnable = torch.compile(ours_model) if ns.compile else ours_model
    stepper = Stepper(torch=torch, model=runnable, optimizer=ours_opt, device=device, precision=precision)
    data = synthetic_batches(torch, batch=ns.batch_size, seq_len=ns.seq_len, vocab=ours_model.config.vocab_size, device=device, count=2, seed=1)

    def seed_step(batch: dict[str, Any]) -> float:
        outputs = seed_model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"])
        loss = outputs.loss
        loss.backward()
        seed_opt.step()
        seed_opt.zero_grad()
        return loss.item()  # the article's per-step host sync

    seed_losses: list[float] = []
    ours_losses: list[Any] = []
    # Warm-up both (and compile ours) on the same first batch with the same dropout RNG state,
    # so their first losses are comparable.
    torch.manual_seed(123)
    seed_losses.append(seed_step(data[0]))
    torch.manual_seed(123)
    ours_losses.append(stepper.step(data[0]))
    _sync(torch, device)

    seed_times: list[float] = []
    ours_times: list[float] = []
    step_i = 1
    for _ in range(ns.rounds):
        for _ in range(ns.steps):
            batch = data[step_i % 2]
            _sync(torch, device)
            t0 = time.perf_counter()
            seed_losses.append(seed_step(batch))
            _sync(torch, device)
            seed_times.append(time.perf_counter() - t0)
            step_i += 1
        step_i -= ns.steps  # ours replays the same batches in the same order
        for _ in range(ns.steps):
            batch = data[step_i % 2]
            _sync(torch, device)
            t0 = time.perf_counter()
            ours_losses.append(stepper.step(batch))
            _sync(torch, device)
            ours_times.append(time.perf_counter() - t0)
            step_i += 1
    ours_loss_values = [float(x) for x in ours_losses]

    seed_sps = ns.batch_size / statistics.median(seed_times)
    ours_sps = ns.batch_size / statistics.median(ours_times)
    print(f"device {device} ({'cpu' if device.type == 'cpu' else torch.cuda.get_device_name(device)}), torch {torch.__version__}, threads {torch.get_num_threads()}")
    print(f"shape: BERT-{ns.model} {SIZES[ns.model]}, batch {ns.batch_size}, seq {ns.seq_len}; {ns.rounds} rounds x {ns.steps} steps per side")
    print(f"seed : fp32 eager, eager attention, for-loop AdamW, .item() per step: {seed_sps:7.2f} samples/s (median step {statistics.median(seed_times) * 1e3:.0f} ms)")
    print(f"ours : {precision} ({why}), sdpa, {opt_name}{', compiled' if ns.compile else ''}: {ours_sps:7.2f} samples/s (median step {statistics.median(ours_times) * 1e3:.0f} ms)")
    print(f"ratio ours/seed: {ours_sps / seed_sps:.2f}x")
    print(f"first-step loss (same init, same batch, same dropout seed): seed {seed_losses[0]:.4f}, ours {ours_loss_values[0]:.4f}")
    print(f"last loss: seed {seed_losses[-1]:.4f}, ours {ours_loss_values[-1]:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
