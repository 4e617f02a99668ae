"""The workload's device layer: CUDA (NVIDIA and ROCm/HIP), XPU, MPS and the CPU.

What this machine has (the CPU, a CPU-only torch, /proc/meminfo) is tested for real. What it cannot
have (a GPU of each vendor, macOS) is tested against a small fake ``torch`` whose attribute names are
checked against the installed torch, and whose device names come from captured real outputs in
``../shared/fixtures/hw/``. Calls into a backend that is not the device's raise, so a test fails if,
say, synchronize on MPS went to ``torch.cuda``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from finetune_smoke import bench, choose
from finetune_smoke import device as dev
from finetune_smoke._util import EXIT_BAD_INPUT, SmokeError
from finetune_smoke.result import BenchResult

REPO = Path(__file__).resolve().parents[1]
GIB = 2**30
MIB = 2**20

# Device names as torch printed them in captured collect_env / nvidia-smi / sysctl outputs.
MI300X = "AMD Instinct MI300X"  # collect_env-rocm7.13-therock-mi300x-torch2.9.1-excerpt.txt
MI300X_ARCH = "gfx942:sramecc+:xnack-"  # same capture
RX6950XT_ARCH = "gfx1030"  # collect_env-rocm6.0-rx6950xt-gfx1030-excerpt.txt
MAX1550 = "Intel(R) Data Center GPU Max 1550"  # collect_env-xpu-2.8dev-max1550x4-excerpt.txt
ORIN = "Orin (nvgpu)"  # jetson-agx-orin-jp6.2-r36.4.3-nvidia-smi.txt
M3MAX = "Apple M3 Max"  # apple-sysctl-m3max-sequoia.txt machdep.cpu.brand_string


# ------------------------------------------------------------------------------------------
# The fake torch.
# ------------------------------------------------------------------------------------------


class FakeDevice:
    def __init__(self, type: str, index: int | None = None) -> None:  # noqa: A002 - torch.device's own name
        self.type, self.index = type, index

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FakeDevice) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self) -> int:
        return hash((self.type, self.index))


KNOWN_TYPES = ("cpu", "cuda", "xpu", "mps", "meta")


def _device(spec: Any, index: int | None = None) -> FakeDevice:
    if isinstance(spec, FakeDevice):
        return spec
    kind, _, idx = str(spec).partition(":")
    if kind not in KNOWN_TYPES:
        raise RuntimeError(f"Expected one of {', '.join(KNOWN_TYPES)} device type at start of device string: {spec}")
    if idx and not idx.isdigit():
        raise RuntimeError(f"Invalid device string: '{spec}'")
    return FakeDevice(kind, int(idx) if idx else index)


class State:
    """What the fake device's allocator and clock hold, and every backend call made."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.peak = 0
        self.resident = 0
        self.driver = 0


class FakeEvent:
    def __init__(self, state: State, owner: str, enable_timing: bool = False) -> None:
        assert enable_timing, "a timing event must be created with enable_timing=True"
        self.state, self.owner = state, owner
        state.calls.append(f"{owner}.Event")

    def record(self) -> None:
        self.state.calls.append(f"{self.owner}.Event.record")

    def synchronize(self) -> None:
        self.state.calls.append(f"{self.owner}.Event.synchronize")

    def elapsed_time(self, end: FakeEvent) -> float:
        assert end.owner == self.owner
        return 250.0  # milliseconds, as torch's events report


def _guarded(state: State, owner: str, present: bool, name: str, fn: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        if not present:
            raise AssertionError(f"torch.{owner}.{name} called, but the device is not a {owner} device")
        state.calls.append(f"{owner}.{name}")
        return fn(*args, **kwargs)

    return call


def _gpu_module(
    state: State, owner: str, *, present: bool, count: int, name: str, props: Any, capability: tuple[int, int]
) -> SimpleNamespace:
    def reset(*_: Any) -> None:
        state.peak = 0

    def g(api: str, fn: Any) -> Any:
        return _guarded(state, owner, present, api, fn)

    return SimpleNamespace(
        is_available=lambda: present and count > 0,
        device_count=lambda: count if present else 0,
        synchronize=g("synchronize", lambda *_: None),
        Event=lambda enable_timing=False: FakeEvent(state, owner, enable_timing),
        empty_cache=g("empty_cache", lambda: None),
        reset_peak_memory_stats=g("reset_peak_memory_stats", reset),
        max_memory_allocated=g("max_memory_allocated", lambda *_: state.peak),
        memory_allocated=g("memory_allocated", lambda *_: state.resident),
        get_device_name=g("get_device_name", lambda *_: name),
        get_device_capability=g("get_device_capability", lambda *_: capability),
        get_device_properties=g("get_device_properties", lambda *_: props),
    )


def fake_torch(
    kind: str,
    *,
    count: int = 1,
    name: str = "",
    capability: tuple[int, int] = (0, 0),
    props: Any = None,
    macos: tuple[int, int] = (15, 3),
    mps_built: bool | None = None,
    bf16_ok: bool = True,
    recommended_max: int = 24 * GIB,
    fused: tuple[str, ...] = ("mps", "cuda", "xpu", "hpu", "cpu", "mtia", "privateuseone"),
) -> SimpleNamespace:
    """A torch whose only devices are ``kind``'s: "nvidia", "hip", "xpu", "mps", "xpu-build" (no GPU) or "cpu"."""
    state = State()
    on_cuda = kind in ("nvidia", "hip")
    on_xpu = kind == "xpu"
    on_mps = kind == "mps" and macos >= dev.MPS_MIN_MACOS
    built_mps = kind == "mps" if mps_built is None else mps_built

    def mps_empty() -> None:
        state.driver = state.resident

    def g(api: str, fn: Any) -> Any:
        return _guarded(state, "mps", on_mps, api, fn)

    mps = SimpleNamespace(
        synchronize=g("synchronize", lambda: None),
        empty_cache=g("empty_cache", mps_empty),
        driver_allocated_memory=g("driver_allocated_memory", lambda: state.driver),
        current_allocated_memory=g("current_allocated_memory", lambda: state.resident),
        recommended_max_memory=g("recommended_max_memory", lambda: recommended_max),
        event=SimpleNamespace(Event=lambda enable_timing=False: FakeEvent(state, "mps", enable_timing)),
    )

    class Tensor:
        def __matmul__(self, other: Any) -> Tensor:
            return self

        def sum(self) -> Tensor:
            return self

        def item(self) -> float:
            return 16.0

    def ones(*shape: int, dtype: Any = None, device: Any = None) -> Tensor:
        if dtype == "bfloat16" and _device(device).type == "mps" and not bf16_ok:
            raise TypeError("bfloat16 is not supported on this fake MPS device")
        state.calls.append(f"ones[{dtype}]@{_device(device).type}")
        return Tensor()

    adamw_calls: list[dict[str, Any]] = []

    def adamw(params: Any, **kwargs: Any) -> Any:
        adamw_calls.append(kwargs)
        return SimpleNamespace(kwargs=kwargs)

    torch = SimpleNamespace(
        device=_device,
        version=SimpleNamespace(
            cuda="13.0" if kind == "nvidia" else None,
            hip="7.13.60800" if kind == "hip" else None,  # the MI300X capture's HIP runtime
            xpu="20250101" if kind in ("xpu", "xpu-build") else None,  # collect_env's "XPU used to build"
        ),
        cuda=_gpu_module(state, "cuda", present=on_cuda, count=count, name=name, props=props, capability=capability),
        xpu=_gpu_module(state, "xpu", present=on_xpu, count=count, name=name, props=props, capability=capability),
        mps=mps,
        backends=SimpleNamespace(
            mps=SimpleNamespace(
                is_built=lambda: built_mps,
                is_available=lambda: built_mps and on_mps,
                is_macos_or_newer=lambda major, minor: macos >= (major, minor),
            )
        ),
        utils=SimpleNamespace(_foreach_utils=SimpleNamespace(_get_fused_kernels_supported_devices=lambda: list(fused))),
        bfloat16="bfloat16",
        float16="float16",
        float32="float32",
        ones=ones,
        optim=SimpleNamespace(AdamW=adamw),
        state=state,
        adamw_calls=adamw_calls,
    )
    return torch


def nvidia_jetson() -> SimpleNamespace:
    # Orin: sm_87 (conda-forge/pytorch-cpu-feedstock#486), an integrated GPU on the board's LPDDR5.
    return fake_torch("nvidia", name=ORIN, capability=(8, 7), props=SimpleNamespace(is_integrated=1))


def mi300x() -> SimpleNamespace:
    # A ROCm torch reports a CUDA-style capability too; it must not be read as NVIDIA's.
    return fake_torch(
        "hip", count=8, name=MI300X, capability=(9, 4), props=SimpleNamespace(gcnArchName=MI300X_ARCH, is_integrated=0)
    )


def max1550() -> SimpleNamespace:
    return fake_torch("xpu", count=2, name=MAX1550, props=SimpleNamespace(is_integrated_gpu=False))


def apple(**kw: Any) -> SimpleNamespace:
    return fake_torch("mps", **kw)


# ------------------------------------------------------------------------------------------
# The fake is honest: every name it gives torch exists in the installed torch.
# ------------------------------------------------------------------------------------------


def _names(ns: Any, prefix: str) -> list[str]:
    return [f"{prefix}.{k}" for k in vars(ns)]


def test_the_fakes_name_only_what_the_installed_torch_has() -> None:
    torch = pytest.importorskip("torch")

    fake = fake_torch("nvidia")
    names = (
        _names(fake.cuda, "cuda")
        + _names(fake.xpu, "xpu")
        + _names(fake.mps, "mps")
        + _names(fake.mps.event, "mps.event")
        + _names(fake.backends.mps, "backends.mps")
        + _names(fake.version, "version")
        + _names(fake.utils._foreach_utils, "utils._foreach_utils")
    )
    missing = []
    for dotted in names:
        obj: Any = torch
        for part in dotted.split("."):
            if not hasattr(obj, part):
                missing.append(dotted)
                break
            obj = getattr(obj, part)
    assert not missing, missing
    # The device properties the layer reads, as torch's own stubs spell them.
    stubs = (Path(torch.__file__).parent / "_C" / "__init__.pyi").read_text(encoding="utf-8")
    cuda_props = stubs[stubs.index("class _CudaDeviceProperties") :][:2000]
    xpu_props = stubs[stubs.index("class _XpuDeviceProperties") :][:2000]
    assert "gcnArchName:" in cuda_props and "is_integrated:" in cuda_props
    assert "is_integrated_gpu:" in xpu_props and "name:" in xpu_props


# ------------------------------------------------------------------------------------------
# resolve_device: auto order and one-line bad input.
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("torch_of", "expected", "backend"),
    [
        (nvidia_jetson, "cuda:0", "cuda"),
        (mi300x, "cuda:0", "hip"),
        (max1550, "xpu:0", "xpu"),
        (apple, "mps:0", "mps"),
        (lambda: fake_torch("cpu"), "cpu", "cpu"),
        (lambda: apple(macos=(13, 6)), "cpu", "cpu"),  # MPS built but macOS too old: auto falls to the CPU
    ],
)
def test_auto_picks_the_accelerator_this_torch_sees(torch_of: Any, expected: str, backend: str) -> None:
    torch = torch_of()
    device = bench.resolve_device(torch, "auto")
    assert str(device) == expected
    assert dev.backend_label(torch, device.type) == backend


def test_auto_prefers_cuda_over_xpu_and_mps() -> None:
    torch = mi300x()
    torch.xpu = max1550().xpu
    torch.backends = apple().backends
    assert str(bench.resolve_device(torch, "auto")) == "cuda:0"
    torch.cuda = fake_torch("cpu").cuda
    assert str(bench.resolve_device(torch, "auto")) == "xpu:0"
    torch.xpu = fake_torch("cpu").xpu
    assert str(bench.resolve_device(torch, "auto")) == "mps:0"


@pytest.mark.parametrize(
    ("torch_of", "requested", "says"),
    [
        (lambda: fake_torch("cpu"), "mps", "built without MPS"),
        (lambda: apple(macos=(13, 6)), "mps", "macOS 14.0 or newer"),
        (lambda: fake_torch("cpu"), "xpu", "not an XPU build"),
        (lambda: fake_torch("xpu-build", count=0), "xpu:0", "sees no Intel GPU"),
        (max1550, "xpu:2", "only 2 XPU device(s)"),
        (mi300x, "cuda:8", "only 8 HIP device(s)"),
        (lambda: fake_torch("hip", count=0), "cuda", "/dev/kfd"),
        (lambda: fake_torch("nvidia", count=0), "cuda:0", "no CUDA device is visible"),
        (lambda: fake_torch("cpu"), "cuda", "CPU-only build"),
        (apple, "mps:1", "only 1 MPS device(s)"),
    ],
)
def test_an_absent_device_is_one_line_of_bad_input_saying_why(torch_of: Any, requested: str, says: str) -> None:
    with pytest.raises(SmokeError) as err:
        bench.resolve_device(torch_of(), requested)
    assert err.value.kind == "device_unavailable" and err.value.exit_code == EXIT_BAD_INPUT
    assert says in err.value.message and "\n" not in err.value.message
    assert err.value.message.startswith(f"--device {requested}: ")


def test_named_devices_resolve_with_their_index() -> None:
    assert str(bench.resolve_device(max1550(), "xpu:1")) == "xpu:1"
    assert str(bench.resolve_device(mi300x(), "cuda:7")) == "cuda:7"
    assert str(bench.resolve_device(apple(), "mps")) == "mps:0"
    for bad in ("meta", "nosuch:0", "cuda:x"):
        with pytest.raises(SmokeError) as err:
            bench.resolve_device(mi300x(), bad)
        assert err.value.kind == "bad_argument" and err.value.exit_code == EXIT_BAD_INPUT


# ------------------------------------------------------------------------------------------
# synchronize, timing, memory: each backend's own API.
# ------------------------------------------------------------------------------------------

BACKENDS = {
    "hip": (mi300x, "cuda:0", "cuda"),
    "cuda": (nvidia_jetson, "cuda:0", "cuda"),
    "xpu": (max1550, "xpu:0", "xpu"),
    "mps": (apple, "mps:0", "mps"),
}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_synchronize_and_timing_go_to_the_devices_own_backend(backend: str) -> None:
    torch_of, spec, owner = BACKENDS[backend]
    torch = torch_of()
    device = _device(spec)
    dev.synchronize(torch, device)
    out, seconds = dev.time_region(torch, device, lambda: "ran")
    assert out == "ran" and seconds == pytest.approx(0.25)  # 250 ms from the events, in seconds
    assert torch.state.calls == [
        f"{owner}.synchronize",
        f"{owner}.Event",
        f"{owner}.Event",
        f"{owner}.Event.record",
        f"{owner}.Event.record",
        f"{owner}.Event.synchronize",
    ]


def test_the_cpu_is_timed_by_the_wall_clock_and_touches_no_accelerator() -> None:
    torch = fake_torch("cpu")  # every accelerator call would raise
    dev.synchronize(torch, _device("cpu"))
    dev.empty_cache(torch, _device("cpu"))
    dev.reset_peak_memory(torch, _device("cpu"))
    out, seconds = dev.time_region(torch, _device("cpu"), lambda: 7)
    assert out == 7 and 0 <= seconds < 5
    assert dev.peak_memory(torch, _device("cpu")) is None and torch.state.calls == []


@pytest.mark.parametrize("backend", sorted(BACKENDS))
def test_memory_reset_and_peak_use_the_backends_allocator(backend: str) -> None:
    torch_of, spec, owner = BACKENDS[backend]
    torch = torch_of()
    device = _device(spec)
    torch.state.resident, torch.state.peak, torch.state.driver = 1 * GIB, 5 * GIB, 6 * GIB
    dev.reset_peak_memory(torch, device)
    if owner == "mps":
        # No peak counter on MPS: the window starts by emptying the cache; the driver's total is read.
        assert torch.state.calls == ["mps.empty_cache"] and torch.state.driver == 1 * GIB
        torch.state.driver = 3 * GIB
        assert dev.peak_memory(torch, device) == (3 * GIB, "mps_driver_allocated")
        assert dev.current_memory(torch, device) == 1 * GIB
        assert dev.recommended_max_memory(torch, device) == 24 * GIB
    else:
        assert torch.state.calls == [f"{owner}.reset_peak_memory_stats"] and torch.state.peak == 0
        torch.state.peak = 3 * GIB
        assert dev.peak_memory(torch, device) == (3 * GIB, f"{owner}_max_allocated")
        assert dev.current_memory(torch, device) == 1 * GIB
        assert dev.recommended_max_memory(torch, device) is None
    dev.empty_cache(torch, device)
    assert torch.state.calls[-1] == f"{owner}.empty_cache"


# ------------------------------------------------------------------------------------------
# What the device is: name, backend, arch, capability, unified memory.
# ------------------------------------------------------------------------------------------


def test_rocm_reports_its_gfx_arch_and_no_cuda_capability() -> None:
    info = dev.describe(mi300x(), _device("cuda:0"), cpu_name="unused")
    assert (info.backend, info.name, info.gcn_arch, info.capability) == ("hip", MI300X, MI300X_ARCH, None)
    assert info.count == 8 and info.unified_memory is False
    rdna = fake_torch("hip", name="AMD Radeon RX 6950 XT", props=SimpleNamespace(gcnArchName=RX6950XT_ARCH))
    assert dev.gcn_arch(rdna, _device("cuda:0")) == RX6950XT_ARCH
    # This torch reports no is_integrated: taken as discrete, and the reason says so.
    assert dev.unified_memory(rdna, _device("cuda:0")) == (
        False,
        "this torch reports no is_integrated: taken as discrete",
    )


def test_jetson_is_unified_and_keeps_its_cuda_capability() -> None:
    info = dev.describe(nvidia_jetson(), _device("cuda:0"), cpu_name="unused")
    assert (info.backend, info.name, info.capability, info.gcn_arch) == ("cuda", ORIN, (8, 7), None)
    assert info.unified_memory is True and "is_integrated" in info.unified_memory_reason
    discrete = fake_torch("nvidia", name="NVIDIA H100", capability=(9, 0), props=SimpleNamespace(is_integrated=0))
    assert dev.unified_memory(discrete, _device("cuda:0"))[0] is False


def test_xpu_name_and_integrated_flag() -> None:
    info = dev.describe(max1550(), _device("xpu:1"), cpu_name="unused")
    assert (info.backend, info.name, info.count, info.unified_memory) == ("xpu", MAX1550, 2, False)
    igpu = fake_torch("xpu", name="Intel(R) Arc(TM) Graphics", props=SimpleNamespace(is_integrated_gpu=True))
    assert dev.unified_memory(igpu, _device("xpu:0"))[0] is True
    assert "xpu.get_device_properties" in igpu.state.calls and not any(c.startswith("cuda.") for c in igpu.state.calls)


def test_mps_is_unified_and_named_after_the_chip() -> None:
    asked: list[list[str]] = []

    def sysctl(argv: list[str]) -> str | None:
        asked.append(argv)
        return f"{M3MAX}\n"

    info = dev.describe(apple(), _device("mps:0"), cpu_name="unused", run=sysctl)
    assert asked == [["sysctl", "-n", "machdep.cpu.brand_string"]]
    assert (info.backend, info.name, info.unified_memory, info.capability) == ("mps", f"{M3MAX} GPU (MPS)", True, None)
    assert dev.device_name(apple(), _device("mps:0"), cpu_name="x", run=lambda argv: None) == "Apple MPS device"


def test_the_sysctl_reader_runs_for_real_and_fails_soft_here() -> None:
    # Linux has no machdep.cpu.brand_string: sysctl fails (or is absent) and the name falls back.
    assert dev.apple_chip() is None


# ------------------------------------------------------------------------------------------
# Precision candidates, the grad scaler, the optimizer, compile.
# ------------------------------------------------------------------------------------------


def test_precision_candidates_per_backend() -> None:
    hip = choose.probe_candidates("cuda", None, frozenset(), backend="hip")
    assert [k for k, v in hip.items() if v is None] == ["fp32", "bf16", "fp16"] and "ROCm" in str(hip["tf32"])
    assert [k for k, v in choose.probe_candidates("xpu", None, frozenset(), backend="xpu").items() if v is None] == [
        "fp32",
        "bf16",
        "fp16",
    ]
    mps = choose.probe_candidates("mps", None, frozenset(), backend="mps", not_working={"bf16": "no bf16 here"})
    assert mps == {"fp32": None, "bf16": "no bf16 here", "fp16": None}
    # NVIDIA unchanged: TF32 and bf16 from compute capability 8.0.
    nv = choose.probe_candidates("cuda", (8, 7), frozenset(), backend="cuda")
    assert all(v is None for v in nv.values()) and set(nv) == {"fp32", "tf32", "bf16", "fp16"}
    # A check can take a candidate away, never add one the device does not offer.
    turing = choose.probe_candidates("cuda", (7, 5), frozenset(), backend="cuda", not_working={"bf16": "x"})
    assert "compute capability 8.0" in str(turing["bf16"])


def test_mps_bf16_is_offered_only_where_a_tiny_matmul_runs() -> None:
    assert (
        bench.half_checks(apple(bf16_ok=False), _device("mps:0"))
        .get("bf16", "")
        .startswith("a bf16 matmul fails on this mps")
    )
    torch = apple(bf16_ok=True)
    assert "bf16" not in bench.half_checks(torch, _device("mps:0"))
    assert "ones[bfloat16]@mps" in torch.state.calls
    # CUDA and HIP leave it to the GEMM probe: no device check runs.
    hip = mi300x()
    assert bench.half_checks(hip, _device("cuda:0")) == {} and hip.state.calls == []


def test_fp16_is_not_offered_where_the_grad_scaler_fails() -> None:
    def broken(device_type: str) -> Any:
        raise TypeError("Cannot convert a MPS Tensor to float64 dtype")  # the failure of pytorch/pytorch#142397

    torch = apple()
    torch.zeros = lambda *a, **k: SimpleNamespace()
    torch.optim.SGD = lambda params, lr: SimpleNamespace()
    torch.amp = SimpleNamespace(GradScaler=broken)
    ok, why = dev.grad_scaler_works(torch, _device("mps:0"))
    assert ok is False and "float64" in why
    assert bench.half_checks(torch, _device("mps:0"))["fp16"] == why


def test_the_grad_scaler_check_runs_for_real_on_the_cpu() -> None:
    torch = pytest.importorskip("torch")
    assert dev.grad_scaler_works(torch, torch.device("cpu")) == (True, "")
    assert dev.half_works(torch, torch.device("cpu"), "bf16") == (True, "")


def test_fused_adamw_only_where_this_torch_has_the_kernel() -> None:
    for torch_of, device_type in ((mi300x, "cuda"), (max1550, "xpu"), (apple, "mps")):
        torch = torch_of()
        _opt, name = bench.make_optimizer(torch, [], lr=1e-4, device_type=device_type, precision="bf16")
        assert name == "AdamW(fused)" and torch.adamw_calls == [{"lr": 1e-4, "fused": True}]
    # MPS with fp16 (a grad scaler): foreach, the fused MPS kernel ignored the scaler (pytorch/pytorch#186360).
    torch = apple()
    assert bench.make_optimizer(torch, [], lr=1e-4, device_type="mps", precision="fp16")[1] == "AdamW(foreach)"
    assert torch.adamw_calls == [{"lr": 1e-4, "foreach": True}]
    # A torch whose fused list lacks xpu (or predates the list) falls back to foreach.
    old = fake_torch("xpu", fused=("cuda",))
    assert bench.make_optimizer(old, [], lr=1e-3, device_type="xpu")[1] == "AdamW(foreach)"
    older = max1550()
    del older.utils._foreach_utils._get_fused_kernels_supported_devices
    assert dev.fused_adamw_devices(older) == frozenset({"cuda"})


def test_the_installed_torch_lists_fused_adamw_for_every_backend() -> None:
    torch = pytest.importorskip("torch")

    assert {"cuda", "xpu", "mps", "cpu"} <= dev.fused_adamw_devices(torch)


def test_compile_rule_per_backend() -> None:
    assert choose.choose_compile(None, device_type="cuda")[0] is True  # NVIDIA and ROCm
    assert choose.choose_compile(None, device_type="xpu")[0] is True
    compiled, why = choose.choose_compile(None, device_type="mps")
    assert compiled is False and why == choose.MPS_EAGER and "Metal" in why
    assert choose.choose_compile(True, device_type="mps") == (True, "requested by --compile")


def test_prior_precision_without_a_measurement_per_backend() -> None:
    for device_type, backend in (("cuda", "hip"), ("xpu", "xpu"), ("mps", "mps")):
        precision, why = bench.prior_precision(
            "auto", device_type=device_type, capability=None, cpu_flags=frozenset(), backend=backend
        )
        assert precision == "fp32" and backend in why
    assert bench.prior_precision("auto", device_type="cuda", capability=(8, 7), cpu_flags=frozenset())[0] == "bf16"


def test_the_gpu_auto_shape_and_peak_rule_cover_every_accelerator() -> None:
    for device_type in ("cuda", "xpu", "mps"):
        assert bench.resolve_model_spec("auto", device_type)[0] == bench.GPU_AUTO["model"]
    assert bench.resolve_model_spec("auto", "cpu")[0] == bench.CPU_AUTO["model"]
    assert bench.batch_search_reason("xpu") is not None and bench.batch_search_reason("cpu") is None


# ------------------------------------------------------------------------------------------
# Unified memory: /proc/meminfo, the budget, the cap.
# ------------------------------------------------------------------------------------------


def test_meminfo_of_this_machine_parses_and_matches_the_kernels_page_count() -> None:
    text = dev.read_meminfo()
    if text is None:
        pytest.skip("no /proc/meminfo here")
    info = dev.parse_meminfo(text)
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert info["MemTotal"] == total  # both are the kernel's totalram_pages
    available = dev.mem_available(text)
    assert available is not None and 0 < available <= info["MemTotal"]
    assert info["HugePages_Total"] >= 0  # a count, not kB: kept as it is


def test_meminfo_without_memavailable_is_unknown() -> None:
    # Kernels before 3.14 have no MemAvailable line; nothing is guessed from MemFree.
    assert dev.mem_available("MemTotal:  16384 kB\nMemFree:  8192 kB\n") is None
    assert dev.parse_meminfo("MemTotal:       16384 kB\nbogus line\nHugePages_Free: 3\n") == {
        "MemTotal": 16384 * 1024,
        "HugePages_Free": 3,
    }


def test_the_budget_is_mps_working_set_or_memavailable_beside_what_is_held() -> None:
    mps = dev.memory_budget(device_type="mps", meminfo_text=None, recommended_max=20 * GIB, resident_bytes=GIB)
    assert mps.budget_bytes == 20 * GIB and mps.limit_bytes == int(20 * GIB * dev.UNIFIED_MEMORY_FRACTION)
    assert "recommended_max_memory" in mps.source
    text = "MemTotal: 131072000 kB\nMemAvailable: 100000000 kB\n"
    linux = dev.memory_budget(device_type="cuda", meminfo_text=text, recommended_max=None, resident_bytes=2 * GIB)
    assert linux.budget_bytes == 100000000 * 1024 and "MemAvailable" in linux.source
    assert linux.limit_bytes == 2 * GIB + int(100000000 * 1024 * dev.UNIFIED_MEMORY_FRACTION)
    none = dev.memory_budget(device_type="cuda", meminfo_text=None, recommended_max=None, resident_bytes=0)
    assert none.budget_bytes is None and none.limit_bytes is None


def test_the_cap_arithmetic() -> None:
    # 2 GiB fixed + 100 MiB per sample, measured at batches 1 and 8.
    peaks = {1: 2 * GIB + 100 * MIB, 8: 2 * GIB + 800 * MIB}
    assert dev.estimate_line(peaks) == (2 * GIB, 100 * MIB)
    assert dev.halvings(256) == [256, 128, 64, 32, 16, 8, 4, 2, 1]
    # 10 GiB limit: 2 GiB + 100 MiB x B <= 10 GiB -> B <= 81.92 -> 64 of the halving sequence.
    cap = dev.cap_batch(256, peaks=peaks, limit_bytes=10 * GIB)
    assert (cap.start, cap.capped, cap.per_sample_bytes, cap.fixed_bytes) == (64, True, 100 * MIB, 2 * GIB)
    assert cap.estimated_peak_bytes == 2 * GIB + 64 * 100 * MIB
    assert cap.reason.startswith("capped at 64 (from 256)") and "swap" in cap.reason
    roomy = dev.cap_batch(256, peaks=peaks, limit_bytes=40 * GIB)
    assert (roomy.start, roomy.capped) == (256, False) and "not capped" in roomy.reason
    tight = dev.cap_batch(256, peaks=peaks, limit_bytes=GIB)
    assert (tight.start, tight.capped) == (0, True) and "not even batch 1" in tight.reason
    # Without a budget or a second point there is no estimate: uncapped, and the reason says why.
    assert dev.cap_batch(256, peaks=peaks, limit_bytes=None).reason.endswith("starts at 256 uncapped")
    one = dev.cap_batch(256, peaks={1: GIB}, limit_bytes=10 * GIB)
    assert one.start == 256 and not one.capped and "two batch sizes" in one.reason
    # A peak that fell with the batch (noise) is no negative memory per sample.
    assert dev.estimate_line({1: 3 * GIB, 8: 2 * GIB}) == (3 * GIB, 0)


class FakeStepper:
    """Steps whose device peak is fixed + per sample x batch, as the fake allocator reports it."""

    def __init__(self, torch: Any, device: Any, *, fixed: int, per_sample: int) -> None:
        self.torch, self.device, self.fixed, self.per_sample = torch, device, fixed, per_sample
        self.optimizer = SimpleNamespace(zero_grad=lambda set_to_none=True: None, state={})
        self.batches: list[int] = []

    def step(self, batch: dict[str, Any], *, poison: bool = False) -> None:
        b = batch["batch"]
        self.batches.append(b)
        peak = self.fixed + self.per_sample * b
        self.torch.state.peak = peak
        self.torch.state.driver = max(self.torch.state.driver, peak)


def _fake_batches(torch: Any, *, batch: int, **_: Any) -> list[dict[str, Any]]:
    return [{"batch": batch}]


@pytest.mark.parametrize("backend", ["cuda", "mps"])
def test_unified_batch_cap_measures_two_steps_and_reads_the_budget(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "synthetic_batches", _fake_batches)
    # A round 12 GiB MemAvailable: the fixtures hold no /proc/meminfo of a unified-memory board.
    monkeypatch.setattr(dev, "read_meminfo", lambda path="/proc/meminfo": "MemAvailable: 12582912 kB\n")
    torch = nvidia_jetson() if backend == "cuda" else apple(recommended_max=16 * GIB)
    device = _device(f"{backend}:0")
    torch.state.resident = GIB
    stepper = FakeStepper(torch, device, fixed=GIB + 512 * MIB, per_sample=64 * MIB)
    sizing = bench.unified_batch_cap(torch, stepper, start=256, seq_len=128, vocab=30522, seed=0)
    assert stepper.batches == list(dev.ESTIMATE_BATCHES)
    assert sizing.cap.per_sample_bytes == 64 * MIB and sizing.cap.fixed_bytes == GIB + 512 * MIB
    if backend == "cuda":
        # limit = 1 GiB held + 70 % of 12 GiB = 9.4 GiB -> (9.4 - 1.5) GiB / 64 MiB = 126 -> 64 of the halvings
        assert sizing.budget.budget_bytes == 12 * GIB and "MemAvailable" in sizing.budget.source
        assert sizing.cap.start == 64 and sizing.cap.capped
        assert not any(c.startswith(("mps.", "xpu.")) for c in torch.state.calls)
    else:
        # limit = 70 % of 16 GiB = 11.2 GiB -> (11.2 - 1.5) GiB / 64 MiB = 155 -> 128
        assert sizing.budget.budget_bytes == 16 * GIB and "recommended_max_memory" in sizing.budget.source
        assert sizing.cap.start == 128 and sizing.cap.capped
        assert "mps.recommended_max_memory" in torch.state.calls
        assert not any(c.startswith(("cuda.", "xpu.")) for c in torch.state.calls)
    choice = sizing.choice(fits=sizing.cap.start)
    assert choice.what == "batch" and choice.chosen == sizing.cap.start and choice.why == sizing.cap.reason


# ------------------------------------------------------------------------------------------
# The result contract and the real CPU run.
# ------------------------------------------------------------------------------------------


def test_the_new_result_fields_are_optional_and_round_trip() -> None:
    old = BenchResult.from_json({"schema": "finetune_smoke.bench/2", "ok": True, "device": "cuda:0"})
    assert old.backend is None and old.unified_memory is None and old.memory_budget_bytes is None
    new = BenchResult(
        ok=True,
        backend="hip",
        gcn_arch=MI300X_ARCH,
        device_count=8,
        unified_memory=True,
        memory_budget_bytes=12 * GIB,
        memory_budget_source="/proc/meminfo MemAvailable",
        batch_cap_reason="capped at 64 (from 256)",
        per_sample_bytes=64 * MIB,
        compute_capability=None,
    )
    back = BenchResult.from_json(json.loads(json.dumps(new.to_json())))
    assert back == new


@pytest.mark.integration
def test_real_cpu_bench_reports_its_backend_and_no_unified_memory() -> None:
    pytest.importorskip("torch")
    proc = subprocess.run(
        [sys.executable, "-m", "finetune_smoke.bench", "--model", "tiny", "--steps", "2", "--warmup", "0", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert (result["backend"], result["device_count"], result["unified_memory"]) == ("cpu", 1, False)
    assert result["memory_budget_bytes"] is None and result["batch_cap_reason"] is None
    assert result["gcn_arch"] is None and result["compute_capability"] is None
    assert result["peak_memory_kind"] == "process_max_rss" and result["optimizer"] == "AdamW(fused)"
    assert {"hip", "xpu", "cuda"} <= set(result["versions"])


def test_real_cpu_torch_says_why_each_accelerator_is_absent() -> None:
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available() or torch.backends.mps.is_available() or torch.xpu.is_available():
        pytest.skip("this torch sees an accelerator")
    assert str(bench.resolve_device(torch, "auto")) == "cpu"
    for requested, says in (("mps", "built without MPS"), ("xpu", "not an XPU build"), ("cuda", "CPU-only build")):
        if requested == "mps" and torch.backends.mps.is_built():
            continue
        if requested == "cuda" and (torch.version.cuda or torch.version.hip):
            continue
        with pytest.raises(SmokeError) as err:
            bench.resolve_device(torch, requested)
        assert says in err.value.message


def test_the_human_output_names_the_backend_arch_and_the_cap() -> None:
    ok = {"schema": "finetune_smoke.bench/2", "ok": True, "losses": [1.0, 0.9], "final_loss": 0.9}
    hip = bench._human({**ok, "device": "cuda:0", "device_name": MI300X, "backend": "hip", "gcn_arch": MI300X_ARCH})
    assert f"cuda:0 - {MI300X} (hip, {MI300X_ARCH})" in hip and "unified memory" not in hip
    orin = bench._human(
        {
            **ok,
            "device": "cuda:0",
            "device_name": ORIN,
            "backend": "cuda",
            "compute_capability": [8, 7],
            "unified_memory": True,
            "batch_cap_reason": "capped at 64 (from 256)",
        }
    )
    assert f"{ORIN} (cuda, sm_87)" in orin and "unified memory: capped at 64 (from 256)" in orin
    cpu = bench._human({**ok, "device": "cpu", "device_name": "Intel(R) Xeon(R) Processor", "backend": "cpu"})
    assert "cpu - Intel(R) Xeon(R) Processor;" in cpu
