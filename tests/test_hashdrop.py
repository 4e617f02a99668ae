"""finetune_smoke.hashdrop: the counter-hash dropout is dropout (rate, scale, gradient,
independence), is the published SplitMix64 bit for bit, and drops into a real BERT."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from finetune_smoke import hashdrop  # noqa: E402
from finetune_smoke.bench import SIZES, build_model, synthetic_batches  # noqa: E402
from finetune_smoke.choose import choose_dropout  # noqa: E402

M64 = (1 << 64) - 1


def splitmix64_reference(counter: int) -> int:
    """SplitMix64's output function at state ``counter * golden`` in unsigned Python ints.

    Written from Steele, Lea and Flood (OOPSLA 2014) / java.util.SplittableRandom.mix64,
    independently of the tensor code under test.
    """
    z = (counter * 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def test_tensor_hash_is_splitmix64_bit_for_bit() -> None:
    seed = (1 << 62) - 12345  # near the top, so counters carry into the sign bit
    got = hashdrop._hash((4, 8), torch.tensor(seed), "cpu").flatten().tolist()
    want = [splitmix64_reference(seed + i) for i in range(32)]
    assert [g & M64 for g in got] == want


def test_keep_mask_threshold_matches_the_reference() -> None:
    seed, p = 987654321, 0.1
    got = hashdrop.keep_mask((1000,), p, torch.tensor(seed), "cpu").tolist()
    threshold = round(p * (1 << 24))
    want = [(splitmix64_reference(seed + i) >> 40) >= threshold for i in range(1000)]
    assert got == want
    scale = hashdrop.keep_scale((1000,), p, torch.tensor(seed), "cpu", torch.float32).tolist()
    assert scale == [pytest.approx(1 / 0.9) if k else 0.0 for k in want]


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_keep_rate_is_one_minus_p(p: float) -> None:
    n = 1 << 20
    kept = hashdrop.keep_mask((n,), p, torch.tensor(42), "cpu").double().mean().item()
    sigma = math.sqrt(p * (1 - p) / n)
    assert abs(kept - (1 - p)) < 6 * sigma


def test_neighbours_and_successive_calls_are_uncorrelated() -> None:
    p, n = 0.1, 1 << 20
    drop = hashdrop.HashDropout(p, offset=7)
    x = torch.ones(n)
    first = drop(x) != 0
    second = drop(x) != 0
    # Successive calls draw fresh counters: both-kept rate is (1-p)^2, not 1-p.
    both = (first & second).double().mean().item()
    assert abs(both - (1 - p) ** 2) < 6 * math.sqrt((1 - p) ** 2 * (1 - (1 - p) ** 2) / n)
    # Adjacent elements of one call are independent too.
    a, b = first[:-1].double(), first[1:].double()
    corr = ((a - a.mean()) * (b - b.mean())).mean() / (a.std() * b.std())
    assert abs(corr.item()) < 6 / math.sqrt(n)
    assert int(drop.offset) == 7 + 2 * n


def test_output_and_gradient_are_dropouts() -> None:
    p = 0.25
    x = (torch.rand(64, 33) + 0.5).requires_grad_()
    y = hashdrop.hash_dropout(x, p, torch.tensor(5))
    kept = y != 0
    assert 0 < kept.sum() < kept.numel()
    assert torch.allclose(y[kept], x[kept] / (1 - p))
    g = torch.randn(64, 33)
    y.backward(g)
    assert torch.allclose(x.grad, torch.where(kept, g / (1 - p), torch.zeros(())))


def test_eval_mode_and_edge_rates_match_nn_dropout() -> None:
    x = torch.randn(10, 10)
    drop = hashdrop.HashDropout(0.3).eval()
    assert drop(x) is x
    assert torch.equal(hashdrop.hash_dropout(x, 0.0), x)
    assert torch.equal(hashdrop.hash_dropout(x, 1.0), torch.zeros_like(x))
    with pytest.raises(ValueError, match="between 0 and 1"):
        hashdrop.HashDropout(1.5)


def test_manual_seed_makes_it_reproducible() -> None:
    torch.manual_seed(3)
    a = hashdrop.HashDropout(0.1)(torch.ones(1000))
    torch.manual_seed(3)
    b = hashdrop.HashDropout(0.1)(torch.ones(1000))
    torch.manual_seed(4)
    c = hashdrop.HashDropout(0.1)(torch.ones(1000))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.integration
def test_compiled_masks_equal_eager_masks() -> None:
    """Inductor's generated C++ computes the same bits as eager PyTorch."""
    seed = torch.tensor((1 << 62) - 5)
    x = torch.randn(4, 2, 16, 16)

    def f(t: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        return hashdrop.hash_dropout(torch.softmax(t, -1), 0.1, s)

    compiled, eager = torch.compile(f)(x, seed), f(x, seed)
    assert torch.equal(compiled == 0, eager == 0) and 0 < int((eager == 0).sum()) < eager.numel()
    assert torch.allclose(compiled, eager, atol=1e-6)


def _tiny_bert() -> torch.nn.Module:
    return build_model(torch, SIZES["tiny"], None, seed=0)


def test_install_swaps_dropouts_and_attention_without_changing_the_function() -> None:
    plain, hashed = _tiny_bert(), _tiny_bert()
    n_dropouts = sum(type(m) is torch.nn.Dropout for m in plain.modules())
    assert hashdrop.install(hashed) == n_dropouts
    assert not any(type(m) is torch.nn.Dropout for m in hashed.modules())
    assert hashed.config._attn_implementation == hashdrop.ATTENTION_NAME
    # Padding in the batch: the boolean mask path of the attention must match SDPA's.
    batch = synthetic_batches(torch, batch=3, seq_len=16, vocab=plain.config.vocab_size, device="cpu", count=1, seed=0)[
        0
    ]
    batch["attention_mask"][1, 9:] = 0
    batch["attention_mask"][2, 3:] = 0
    plain.eval(), hashed.eval()
    with torch.no_grad():
        assert torch.allclose(plain(**batch).logits, hashed(**batch).logits, atol=1e-5)
    # Only the encoder: embeddings keep nn.Dropout.
    scoped = _tiny_bert()
    swapped = hashdrop.install(scoped, within=scoped.bert.encoder)
    assert 0 < swapped < n_dropouts and type(scoped.bert.embeddings.dropout) is torch.nn.Dropout
    assert hashdrop.uninstall(hashed) == n_dropouts and hashed.config._attn_implementation == "sdpa"


def test_training_steps_with_hash_dropout_learn() -> None:
    model = _tiny_bert()
    hashdrop.install(model)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    batch = synthetic_batches(torch, batch=8, seq_len=16, vocab=model.config.vocab_size, device="cpu", count=1, seed=1)[
        0
    ]
    losses = []
    for _ in range(12):
        loss = model(**batch).loss
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0] * 0.5


def test_dropout_policy_is_the_standard_stack_unless_the_hash_is_asked_for() -> None:
    # nn.Dropout by default, compiled or not, on every device: the counter hash is what no
    # user's training loop runs, so it is taken only on request and the reason says so.
    assert choose_dropout("auto") == ("torch", "auto: nn.Dropout, the standard stack")
    dropout, why = choose_dropout("hash")
    assert dropout == "hash" and "not the standard stack" in why
    assert choose_dropout("torch")[0] == "torch"
