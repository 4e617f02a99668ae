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
    if device.startswith("cuda"):
        torch.cuda.synchronize(device)
    ok = bool(torch.isfinite(c).all().item())
    return ok, time.perf_counter() - start


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
        info["messages"] = [str(w.message) for w in caught]
    emit("import", **info)
    devices = [f"cuda:{i}" for i in range(info["device_count"])] or ["cpu"]
    for dev in devices:
        entry: dict[str, Any] = {"device": dev}
        try:
            if dev.startswith("cuda"):
                idx = int(dev.split(":")[1])
                entry["name"] = torch.cuda.get_device_name(idx)
                entry["capability"] = "{}.{}".format(*torch.cuda.get_device_capability(idx))
            else:
                entry["name"] = "cpu"
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
