"""The seed article's training loop against finetune_smoke.bench's step, same shape, one run.

Seed loop, as the article wrote it (with its bugs fixed only as far as needed to run): fp32,
eager mode, the attention transformers picks by default (SDPA in transformers 5.x; pass
``--seed-attention eager`` for the article's era), the for-loop ``torch.optim.AdamW`` (neither
fused nor foreach), ``loss.item()`` every step, no autocast.
Ours: ``finetune_smoke.bench.Stepper`` with the precision, compile and dropout choices that
``finetune_smoke.bench`` makes by default on this device (``--compile``/``--no-compile`` and
``--dropout torch|hash`` force one), SDPA attention (or, with the hash dropout, the same
softmax attention with its dropout drawn by ``finetune_smoke.hashdrop``), fused AdamW. The
compile happens in untimed steps: a one-off cost, reported separately.

Both start from the same random init and train on the same synthetic batches; the two are
timed alternately, step by step by default, so drift in the machine's speed hits both alike;
the ratio of medians is the headline, and the ratio of each side's fastest step (the step least
disturbed by other load on a shared machine) is printed beside it. Agreement is checked
three ways: the eval loss of both at the shared init; the training losses of the first
``--agree-steps`` steps with every dropout probability set to 0 (same batches, same init:
they must match up to float rounding, whatever generator draws the masks); and the eval loss
after the timed steps (close, not equal: the dropout masks differed). A GEMM floor measured in
the same run says how far any loop could go at this shape.

    python benchmarks/bench_vs_seed.py [--model base] [--batch-size 16] [--seq-len 128]
        [--rounds 8] [--steps 1] [--agree-steps 3] [--compile | --no-compile] [--dropout auto|torch|hash]
        [--seed-attention default|eager] [--device auto]
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
    choose_compile,
    choose_dropout,
    choose_precision,
    compile_model,
    install_dropout,
    make_optimizer,
    measure_gemm,
    read_cpu_info,
    resolve_device,
    synthetic_batches,
)
from finetune_smoke.flops import bert_train_flops  # noqa: E402


def _sync(torch: Any, device: Any) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print throughputs, their ratio and both losses."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument(
        "--model", default="base", choices=list(SIZES), help="default base: the BERT the seed article fine-tunes"
    )
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--seq-len", type=int, default=128)
    p.add_argument("--rounds", type=int, default=8, help="alternations of seed and ours")
    p.add_argument("--steps", type=int, default=1, help="timed steps per side per round")
    p.add_argument(
        "--compile", dest="compile", action="store_const", const=True, default=None, help="torch.compile our side"
    )
    p.add_argument("--no-compile", dest="compile", action="store_const", const=False, help="our side eager")
    p.add_argument(
        "--seed-attention",
        default="default",
        choices=["default", "eager"],
        help="the seed's attention: transformers' default (sdpa in 5.x) or the article-era eager",
    )
    p.add_argument(
        "--dropout",
        default="auto",
        choices=["auto", "torch", "hash"],
        help="our side's dropout masks (as finetune_smoke.bench)",
    )
    p.add_argument("--agree-steps", type=int, default=3, help="untimed steps with dropout off whose losses must agree")
    p.add_argument("--device", default="auto")
    ns = p.parse_args(argv)

    import torch  # noqa: PLC0415

    quiet_transformers()
    device = resolve_device(torch, ns.device)
    capability = torch.cuda.get_device_capability(device) if device.type == "cuda" else None
    precision, why = choose_precision(
        "auto", device_type=device.type, capability=capability, cpu_flags=read_cpu_info().flags
    )

    ours_model = build_model(torch, SIZES[ns.model], None, seed=0).to(device)
    seed_model = copy.deepcopy(ours_model)
    if ns.seed_attention == "eager":
        # The seed article's era: BERT ran the eager (manual softmax) attention.
        seed_model.config._attn_implementation = "eager"
        for module in seed_model.modules():
            if hasattr(module, "config") and module is not seed_model:
                module.config._attn_implementation = "eager"
    seed_attention = seed_model.config._attn_implementation
    seed_model.train()
    ours_model.train()

    seed_opt = torch.optim.AdamW(seed_model.parameters(), lr=1e-4, foreach=False, fused=False)
    ours_opt, opt_name = make_optimizer(torch, ours_model.parameters(), lr=1e-4, device_type=device.type)
    mc = ours_model.config
    compiled, compile_why = choose_compile(
        ns.compile,
        device_type=device.type,
        flops_per_step=bert_train_flops(
            batch=ns.batch_size, seq_len=ns.seq_len, layers=mc.num_hidden_layers, hidden=mc.hidden_size
        ),
    )
    dropout, dropout_why = choose_dropout(ns.dropout, device_type=device.type, compiled=compiled)
    dropout_why += install_dropout(ours_model, dropout, compiled=compiled)
    runnable = ours_model
    if compiled:  # the way finetune_smoke.bench compiles (regional: one BERT layer, reused)
        runnable, how = compile_model(torch, ours_model)
        compile_why += f"; {how}"
    stepper = Stepper(torch=torch, model=runnable, optimizer=ours_opt, device=device, precision=precision)
    data = synthetic_batches(
        torch, batch=ns.batch_size, seq_len=ns.seq_len, vocab=mc.vocab_size, device=device, count=2, seed=1
    )

    def eval_losses() -> tuple[float, float]:
        """Both models' mean loss over the two batches with dropout off: the same function?"""
        out = []
        for model in (seed_model, ours_model):  # ours_model holds the weights the compiled step trains
            model.eval()
            with torch.no_grad():
                out.append(sum(float(model(**b).loss) for b in data) / len(data))
            model.train()
        return out[0], out[1]

    init_eval = eval_losses()

    def seed_step(batch: dict[str, Any]) -> float:
        outputs = seed_model(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"]
        )
        loss = outputs.loss
        loss.backward()
        seed_opt.step()
        seed_opt.zero_grad()
        return loss.item()  # the article's per-step host sync

    def set_dropout(p: float | None) -> dict[Any, float]:
        """Set every dropout probability of both models to ``p`` (None: restore); returns the old ones."""
        old = {}
        for model in (seed_model, ours_model):
            for module in model.modules():
                if hasattr(module, "p") and isinstance(module, torch.nn.Module) and "Dropout" in type(module).__name__:
                    old[module] = module.p
                    if p is not None:
                        module.p = p
        return old

    # Agreement with dropout off: from the shared init, both train on the same batches, so
    # their losses must agree up to float reassociation (the dropout masks, drawn by different
    # generators when ours uses the hash, cannot differ when nothing is dropped). The first of
    # these steps also compiles ours for that graph: untimed.
    saved = set_dropout(0.0)
    agree: list[tuple[float, float]] = []
    t0 = time.perf_counter()
    for i in range(ns.agree_steps):
        agree.append((seed_step(data[i % 2]), float(stepper.step(data[i % 2]))))
    for module, p_old in saved.items():
        module.p = p_old
    seed_losses: list[float] = []
    ours_losses: list[Any] = []
    # Warm-up both with dropout back on (ours compiles that graph here): untimed.
    seed_losses.append(seed_step(data[0]))
    ours_losses.append(stepper.step(data[0]))
    _sync(torch, device)
    ours_first_s = time.perf_counter() - t0

    seed_times: list[float] = []
    ours_times: list[float] = []
    step_i = 1
    gemm_shape = {"m": ns.batch_size * ns.seq_len, "k": mc.hidden_size, "n": mc.intermediate_size}
    gemm = 0.0
    for _ in range(ns.rounds):
        # The GEMM floor's rate: the best of a short probe in every round, so one disturbed
        # moment on a shared machine cannot make the floor look slower than the steps.
        gemm = max(gemm, measure_gemm(torch, **gemm_shape, precision=precision, device=device, budget_s=0.25))
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
    final_eval = eval_losses()

    print(
        f"step times (s), seed: {[round(x, 2) for x in seed_times]}\nstep times (s), ours: {[round(x, 2) for x in ours_times]}"
    )
    seed_sps = ns.batch_size / statistics.median(seed_times)
    ours_sps = ns.batch_size / statistics.median(ours_times)
    print(
        f"device {device} ({'cpu' if device.type == 'cpu' else torch.cuda.get_device_name(device)}), torch {torch.__version__}, threads {torch.get_num_threads()}"
    )
    print(
        f"shape: BERT-{ns.model} {SIZES[ns.model]}, batch {ns.batch_size}, seq {ns.seq_len}; {ns.rounds} rounds x {ns.steps} steps per side"
    )
    print(
        f"seed : fp32 eager, {seed_attention} attention, for-loop AdamW, .item() per step: {seed_sps:7.2f} samples/s (median step {statistics.median(seed_times) * 1e3:.0f} ms)"
    )
    print(
        f"ours : {precision} ({why}), {ours_model.config._attn_implementation} attention, {opt_name}, "
        f"{'compiled' if compiled else 'eager'} ({compile_why}), {dropout} dropout ({dropout_why}): "
        f"{ours_sps:7.2f} samples/s (median step {statistics.median(ours_times) * 1e3:.0f} ms)"
    )
    print(
        f"untimed: {ns.agree_steps} agreement steps and one warm-up step per side, ours compiling: {ours_first_s:.1f} s"
    )
    # The floor no training loop can beat in this precision: the step's FLOPs at the best rate
    # of its own largest GEMM, measured in every round. It bounds the ratio any loop could reach.
    flops_step = bert_train_flops(
        batch=ns.batch_size, seq_len=ns.seq_len, layers=mc.num_hidden_layers, hidden=mc.hidden_size
    )
    floor_s = flops_step / (gemm * 1e12)
    seed_med, ours_med = statistics.median(seed_times), statistics.median(ours_times)
    print(
        f"GEMM floor: {flops_step / 1e9:.0f} GFLOP per step at the best measured {gemm:.3f} TFLOP/s of its largest GEMM = {floor_s * 1e3:.0f} ms; "
        f"seed runs at {floor_s / seed_med:.0%} of it, ours at {floor_s / ours_med:.0%}; no loop could beat the seed by more than {seed_med / floor_s:.2f}x here"
    )
    print(
        f"ratio ours/seed: {ours_sps / seed_sps:.2f}x (medians); {min(seed_times) / min(ours_times):.2f}x (fastest steps: {min(seed_times) * 1e3:.0f} vs {min(ours_times) * 1e3:.0f} ms)"
    )
    worst = max(abs(a - b) / max(abs(a), 1e-12) for a, b in agree) if agree else float("nan")
    print(
        f"losses with dropout off, {len(agree)} steps from the shared init on the same batches: "
        + ", ".join(f"seed {a:.6f} / ours {b:.6f}" for a, b in agree)
        + f"; largest relative difference {worst:.1e}"
    )
    print(f"last training loss: seed {seed_losses[-1]:.4f}, ours {ours_loss_values[-1]:.4f}")
    print(f"eval loss (dropout off) at the shared init: seed {init_eval[0]:.5f}, ours {init_eval[1]:.5f}")
    print(
        f"eval loss (dropout off) after {ns.agree_steps + 1 + ns.rounds * ns.steps} steps on the same batches: seed {final_eval[0]:.4f}, ours {final_eval[1]:.4f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
