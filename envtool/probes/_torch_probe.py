"""The deep probe, run by the *target* interpreter: import torch, run a tiny kernel per device.

Standard library plus torch only; never imported by envtool itself. Each stage prints one
line ``@@envtool {json}`` to stdout as soon as it is known, so that a hang or a crash later
on still leaves what was learned before it.
"""

import importlib
import json
import os
import sys
import time
import warnings
from typing import Any

MARK = "@@envtool "
_LIB_WORDS = (
    "cuda",
    "cudnn",
    "cublas",
    "nccl",
    "nvrtc",
    "nvjit",
    "cusparse",
    "cufft",
    "curand",
    "cusolver",
    "libtorch",
    "nvtoolsext",
    "hip",
    "rocm",
    "mkl",
    "gomp",
    "iomp",
)


def emit(stage: str, **data: Any) -> None:
    data["stage"] = stage
    sys.stdout.write(MARK + json.dumps(data) + "\n")
    sys.stdout.flush()


def loaded_libraries() -> "list[str]":
    libs: list[str] = []
    try:
        with open("/proc/self/maps", "rb") as fh:
            for raw in fh:
                parts = raw.decode("utf-8", "replace").split()
                if len(parts) >= 6 and parts[5].startswith("/"):
                    path = parts[5]
                    base = os.path.basename(path).lower()
                    if ".so" in base and any(w in base for w in _LIB_WORDS) and path not in libs:
                        libs.append(path)
    except OSError:
        pass
    return libs


def run_kernel(torch: Any, device: str) -> "tuple[bool, float]":
    start = time.perf_counter()
    a = torch.randn(256, 256, device=device)
    b = torch.randn(256, 256, device=device)
    c = a @ b
    # Kernels launch asynchronously: wait for this one so a failure is raised here, not later.
    if device.startswith("cuda"):  # ROCm builds too (HIP answers through torch.cuda)
        torch.cuda.synchronize(device)
    elif device.startswith("xpu"):
        torch.xpu.synchronize(device)
    elif device == "mps" and hasattr(torch, "mps"):
        torch.mps.synchronize()
    ok = bool(torch.isfinite(c).all().item())
    return ok, time.perf_counter() - start


def backend_info(torch: Any) -> "dict[str, Any]":
    """XPU (Intel) and MPS (Apple) answers; None where this torch has no such backend."""
    info: dict[str, Any] = {"xpu": getattr(torch.version, "xpu", None)}
    try:
        xpu: Any = getattr(torch, "xpu", None)
        info["xpu_available"] = bool(xpu.is_available()) if xpu is not None else None
        info["xpu_count"] = xpu.device_count() if info["xpu_available"] else 0
    except Exception as exc:
        info["xpu_available"] = False
        info["xpu_count"] = 0
        info["xpu_error"] = f"{type(exc).__name__}: {exc}"
    try:
        mps = getattr(torch.backends, "mps", None)
        info["mps_available"] = bool(mps.is_available()) if mps is not None else None
    except Exception:
        info["mps_available"] = None
    return info


def device_list(info: "dict[str, Any]") -> "list[str]":
    """The devices to run the tiny kernel on: every CUDA/HIP GPU, every XPU, the MPS device, else the CPU."""
    devices = [f"cuda:{i}" for i in range(info.get("device_count") or 0)]
    devices += [f"xpu:{i}" for i in range(info.get("xpu_count") or 0)]
    if info.get("mps_available"):
        devices.append("mps")
    return devices or ["cpu"]


def describe(torch: Any, dev: str) -> "dict[str, Any]":
    """Name, capability and (ROCm) gfx target of a device."""
    entry: dict[str, Any] = {}
    if dev.startswith("cuda"):
        idx = int(dev.split(":")[1])
        entry["name"] = torch.cuda.get_device_name(idx)
        entry["capability"] = "{}.{}".format(*torch.cuda.get_device_capability(idx))
        if getattr(torch.version, "hip", None):
            arch = getattr(torch.cuda.get_device_properties(idx), "gcnArchName", None)
            entry["arch"] = str(arch).split(":")[0] if arch else None
    elif dev.startswith("xpu"):
        entry["name"] = torch.xpu.get_device_name(int(dev.split(":")[1]))
    else:
        entry["name"] = dev
    return entry


def main() -> int:
    if os.environ.get("ENVTOOL_PROBE_FAULT") == "abort":  # fault injection for tests
        os.abort()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # import_module: torch's own annotations are not checked against this probe
            torch: Any = importlib.import_module("torch")
        except BaseException as exc:  # ImportError, OSError (missing .so), anything
            emit(
                "import",
                ok=False,
                error=f"{type(exc).__name__}: {exc}",
                messages=[str(w.message) for w in caught],
            )
            return 1
        info: dict[str, Any] = {
            "ok": True,
            "version": getattr(torch, "__version__", None),
            "cuda": getattr(torch.version, "cuda", None),
            "hip": getattr(torch.version, "hip", None),
            "import_s": time.perf_counter() - start,
        }
        try:
            info["cudnn"] = str(torch.backends.cudnn.version()) if torch.backends.cudnn.is_available() else None
        except Exception:
            info["cudnn"] = None
        try:
            info["cuda_available"] = bool(torch.cuda.is_available())
            info["device_count"] = torch.cuda.device_count() if info["cuda_available"] else 0
        except Exception as exc:
            info["cuda_available"] = False
            info["device_count"] = 0
            info["cuda_error"] = f"{type(exc).__name__}: {exc}"
        try:
            info["arch_list"] = list(torch.cuda.get_arch_list())
        except Exception:
            info["arch_list"] = []
        try:
            nccl = torch.cuda.nccl.version() if info["cuda_available"] else None
            info["nccl"] = ".".join(str(x) for x in nccl) if isinstance(nccl, tuple) else (str(nccl) if nccl else None)
        except Exception:
            info["nccl"] = None
        info.update(backend_info(torch))
        info["messages"] = [str(w.message) for w in caught]
    emit("import", **info)
    for dev in device_list(info):
        entry: dict[str, Any] = {"device": dev}
        try:
            entry.update(describe(torch, dev))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                ok, secs = run_kernel(torch, dev)
            entry.update(ok=ok, seconds=secs, messages=[str(w.message) for w in caught])
            if not ok:
                entry["error"] = "the matmul produced non-finite values"
        except BaseException as exc:
            entry.update(ok=False, error=f"{type(exc).__name__}: {exc}")
        emit("device", **entry)
    emit("done", loaded_libraries=loaded_libraries(), seconds=time.perf_counter() - start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
