"""What ``nvidia-smi`` says: running ``nvidia-smi -q -x`` and the pure parsers of its output.

Reading (running nvidia-smi through the runner) is kept apart from parsing:
``parse_nvidia_smi_xml`` and ``parse_nvidia_smi_query_csv`` are pure functions on text,
tested on captured output.

A value the driver marks as not available ("N/A", "Not Supported", "Requested functionality
has been deprecated", ...) is not an error: the GpuInfo field stays ``None`` and its name
goes into ``GpuInfo.unsupported``. A field that is simply absent from the output (older
schemas, trimmed dumps) stays ``None`` without being listed, because nothing was said.
"""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from envtool import runner
from envtool.errors import ExternalError, ToolNotFoundError
from envtool.model import GpuInfo, NvidiaFacts, ProbeNote

__all__ = ["parse_nvidia_smi_query_csv", "parse_nvidia_smi_xml", "read_nvidia_smi"]

# Texts nvidia-smi prints instead of a value the GPU or driver does not report. Seen in the
# captured outputs under shared/fixtures/nvidia-smi/ ("N/A", "Not Found" in
# tesla-k80-x4-azure-out-of-order-driver430.xml, "Requested functionality has been
# deprecated" in rtx3060-driver570.xml and the 590 files, "[N/A]" in the CSV captures);
# "Not Supported" and "Unknown Error" are NVML's own error strings (nvidia-ml-py pynvml.py,
# NVMLError._errcode_to_string) that nvidia-smi prints in their place.
_UNSUPPORTED_TEXTS = frozenset(
    {
        "n/a",
        "not supported",
        "requested functionality has been deprecated",
        "not found",
        "unknown error",
    }
)


# nvidia-smi's XML spells one reason differently from NVML's constant name
# (<clocks_event_reason_display_clocks_setting>, every captured XML); map it to the NVML
# spelling so both sources give the same names.
_XML_REASON_ALIASES = {"display_clocks_setting": "display_clock_setting"}

_MIB = 1024 * 1024

# =========================================================================== pure parsing


def _is_unsupported(text: str) -> bool:
    value = text.strip()
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1].strip()
    return value.lower() in _UNSUPPORTED_TEXTS


# nvidia-smi 610 appends a note to renamed labels: "610.62 [Deprecated; will be removed in
# CUDA 14.0. Use KMD Version instead]" (rtx2080super-windows-driver610-capture.txt, -q).
_DEPRECATION_NOTE = re.compile(r"\s*\[deprecated[^\]]*\]\s*$", re.IGNORECASE)


def _clean_version(text: str | None) -> str | None:
    if text is None:
        return None
    value = _DEPRECATION_NOTE.sub("", text).strip()
    if not value or _is_unsupported(value) or value.lower().startswith("deprecated"):
        return None
    return value


class _GpuReader:
    """Reads one ``<gpu>`` element, recording the fields the driver marks unsupported."""

    def __init__(self, gpu: ET.Element) -> None:
        self.gpu = gpu
        self.unsupported: list[str] = []

    def text(self, path: str, field: str) -> str | None:
        """The element's text; None when absent; None + ``unsupported`` when marked N/A."""
        node = self.gpu.find(path)
        if node is None:
            return None
        value = (node.text or "").strip()
        if _is_unsupported(value):
            self._mark(field)
            return None
        return value or None

    def first_text(self, paths: Sequence[str], field: str) -> str | None:
        """The first of ``paths`` present in the document (schemas renamed elements)."""
        for path in paths:
            if self.gpu.find(path) is not None:
                return self.text(path, field)
        return None

    def number(self, path: str | Sequence[str], field: str) -> float | None:
        value = self.text(path, field) if isinstance(path, str) else self.first_text(path, field)
        if value is None:
            return None
        m = re.match(r"[-+]?\d+(?:\.\d+)?", value)
        return float(m.group(0)) if m else None

    def flag(self, path: str, field: str) -> bool | None:
        value = self.text(path, field)
        if value is None:
            return None
        low = value.lower()
        if low == "enabled":
            return True
        if low == "disabled":
            return False
        return None

    def _mark(self, field: str) -> None:
        if field not in self.unsupported:
            self.unsupported.append(field)


def _int_or_none(value: float | None) -> int | None:
    return None if value is None else int(value)


def _ecc_uncorrected(r: _GpuReader) -> int | None:
    """Volatile uncorrected ECC errors, in whichever schema the document uses.

    DTD v9-v11 (v100-sxm3-32gb-ecc-retired-pages-driver410.xml, tesla-t4-driver515.xml):
    ``ecc_errors/volatile/double_bit/total``. DTD v12 (a100-sxm4-80gb-mig-driver535.xml):
    ``volatile/{sram,dram}_uncorrectable``. DTD v13 (rtx-a5000-x2-driver590.xml):
    ``volatile/{sram_uncorrectable_parity,sram_uncorrectable_secded,dram_uncorrectable}``.
    The newer schemas are summed, as NVML's total uncorrected count is.
    """
    volatile = r.gpu.find("ecc_errors/volatile")
    if volatile is None:
        return None
    total = volatile.find("double_bit/total")
    if total is not None:
        n = r.number("ecc_errors/volatile/double_bit/total", "ecc_uncorrected")
        return _int_or_none(n)
    parts = [child for child in volatile if "uncorrectable" in child.tag]
    if not parts:
        return None
    numbers: list[int] = []
    for child in parts:
        value = (child.text or "").strip()
        if re.fullmatch(r"\d+", value):
            numbers.append(int(value))
    if numbers:
        return sum(numbers)
    if all(_is_unsupported(child.text or "") for child in parts):
        r._mark("ecc_uncorrected")
    return None


def _throttle_reasons(r: _GpuReader) -> tuple[str, ...]:
    # DTD <= v11 uses clocks_throttle_reasons; v12+ renamed it clocks_event_reasons (with a
    # separate clocks_event_reasons_counters element that is not a reason list).
    for container, prefix in (
        ("clocks_event_reasons", "clocks_event_reason_"),
        ("clocks_throttle_reasons", "clocks_throttle_reason_"),
    ):
        node = r.gpu.find(container)
        if node is None:
            continue
        active: list[str] = []
        values: list[str] = []
        for child in node:
            if not child.tag.startswith(prefix):
                continue
            value = (child.text or "").strip()
            values.append(value)
            if value.lower() == "active":
                name = child.tag[len(prefix) :]
                active.append(_XML_REASON_ALIASES.get(name, name))
        if values and all(_is_unsupported(v) for v in values):
            r._mark("throttle_reasons")
        return tuple(active)
    return ()


def _parse_gpu(index: int, gpu: ET.Element) -> GpuInfo:
    r = _GpuReader(gpu)
    name = r.text("product_name", "name")
    uuid = r.text("uuid", "uuid")
    bus_id = r.text("pci/pci_bus_id", "pci_bus_id") or (gpu.get("id") or None)
    mem_mib = r.number("fb_memory_usage/total", "memory_total_bytes")
    persistence = r.flag("persistence_mode", "persistence_mode")
    mig = r.flag("mig_mode/current_mig", "mig_mode")
    ecc = _ecc_uncorrected(r)
    reasons = _throttle_reasons(r)
    # DTD v12 split power_readings into gpu_power_readings and module_power_readings (see
    # rtx4090-driver535.xml); the module one is about the whole module, not this GPU.
    power = r.number(
        (
            "gpu_power_readings/current_power_limit",
            "power_readings/current_power_limit",
            "power_readings/power_limit",
        ),
        "power_limit_w",
    )
    link = "pci/pci_gpu_link_info"
    gen_cur = r.number(f"{link}/pcie_gen/current_link_gen", "pcie_gen_current")
    gen_max = r.number(f"{link}/pcie_gen/max_link_gen", "pcie_gen_max")
    width_cur = r.number(f"{link}/link_widths/current_link_width", "pcie_width_current")
    width_max = r.number(f"{link}/link_widths/max_link_width", "pcie_width_max")
    return GpuInfo(
        index=index,
        name=name,
        uuid=uuid,
        pci_bus_id=bus_id,
        memory_total_bytes=None if mem_mib is None else int(mem_mib) * _MIB,
        # No captured DTD (v9-v13) carries the compute capability; the caller fills it
        # from the knowledge table by name.
        compute_capability=None,
        persistence_mode=persistence,
        mig_mode=mig,
        ecc_uncorrected=ecc,
        throttle_reasons=reasons,
        power_limit_w=power,
        pcie_gen_current=_int_or_none(gen_cur),
        pcie_gen_max=_int_or_none(gen_max),
        pcie_width_current=_int_or_none(width_cur),
        pcie_width_max=_int_or_none(width_max),
        unsupported=tuple(r.unsupported),
    )


def parse_nvidia_smi_xml(text: str) -> NvidiaFacts:
    """Parse ``nvidia-smi -q -x`` output into NvidiaFacts(source="nvidia-smi").

    GPUs are indexed in document order, which is nvidia-smi's own index (``minor_number``
    can be out of order, e.g. on Azure K80s). Raises ``ValueError`` with a short message
    when the text is not an nvidia-smi XML log.
    """
    if not text or not text.strip():
        raise ValueError("nvidia-smi printed nothing")
    try:
        # expat neither fetches the external DTD nor expands external entities.
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"nvidia-smi output is not valid XML ({exc})") from None
    if root.tag != "nvidia_smi_log":
        raise ValueError(f"not an nvidia-smi XML log (root element <{root.tag}>)")

    driver = _clean_version(root.findtext("driver_version"))
    if driver is None:
        # Driver 610 deprecates "Driver Version" in favour of "KMD Version" (seen in the
        # -q text and --query-gpu CSV of rtx2080super-windows-driver610-capture.txt). No
        # 610 XML was available: the element name <kmd_version> is inferred from the CSV
        # field name and is unverified.
        driver = _clean_version(root.findtext("kmd_version"))
    # <cuda_version> is absent before driver 410 (gtx1070-x6-driver384.xml) and reads
    # "Not Found" on some (tesla-k80-x4-azure-out-of-order-driver430.xml).
    cuda = _clean_version(root.findtext("cuda_version"))
    gpus = tuple(_parse_gpu(i, gpu) for i, gpu in enumerate(root.findall("gpu")))
    return NvidiaFacts(
        source="nvidia-smi",
        driver_version=driver,
        cuda_driver_version=cuda,
        gpus=gpus,
    )


_UNIT_SUFFIX = re.compile(r"\s*\[[^\]]*\]\s*$")


def parse_nvidia_smi_query_csv(text: str, fields: Sequence[str] | None = None) -> list[dict[str, str | None]]:
    """Parse ``nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]`` output.

    Without ``fields`` the first line is the header; its unit suffixes ("memory.used [MiB]")
    are dropped from the keys, so keys are the query field names. With ``noheader`` output,
    pass the queried ``fields``. "[N/A]"-style cells and empty cells become ``None``; other
    cells are kept as text (with their units unless ``nounits`` was used).
    Raises ``ValueError`` when a row has a different number of cells than the header.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if fields is None:
        if not lines:
            return []
        sep = ", " if ", " in lines[0] else ","
        keys = [_UNIT_SUFFIX.sub("", h.strip()) for h in lines[0].split(sep)]
        lines = lines[1:]
    else:
        keys = [f.strip() for f in fields]
        sep = ", " if any(", " in line for line in lines) or len(keys) == 1 else ","
    rows: list[dict[str, str | None]] = []
    for n, line in enumerate(lines, 1):
        cells = [c.strip() for c in line.split(sep)]
        if len(cells) != len(keys):
            raise ValueError(f"nvidia-smi CSV row {n} has {len(cells)} cells, expected {len(keys)}")
        rows.append({k: (None if not c or _is_unsupported(c) else c) for k, c in zip(keys, cells, strict=True)})
    return rows


# =========================================================================== nvidia-smi


_SMI_PROBE = "nvidia-smi"


def _first_meaningful_line(*texts: str) -> str:
    lines = [line.strip() for t in texts for line in (t or "").splitlines() if line.strip()]
    for line in lines:
        if not line.startswith("<"):
            return line[:300]
    return lines[0][:300] if lines else ""


def read_nvidia_smi(timeout: float, env: Mapping[str, str] | None = None) -> tuple[str | None, ProbeNote]:
    """Run ``nvidia-smi -q -x`` and return its stdout, or None and the reason.

    Note statuses: ``ok``; ``unavailable`` (not on PATH); ``timeout``; ``error`` (non-zero
    exit, with nvidia-smi's first meaningful line, e.g. "Failed to initialize NVML:
    Driver/library version mismatch").
    """
    start = time.monotonic()

    def note(status: str, reason: str = "") -> ProbeNote:
        return ProbeNote(probe=_SMI_PROBE, status=status, reason=reason, duration_s=time.monotonic() - start)

    try:
        done = runner.capture(["nvidia-smi", "-q", "-x"], timeout=timeout, env=env)
    except ToolNotFoundError:
        return None, note("unavailable", "nvidia-smi was not found on PATH")
    except ExternalError as exc:  # found but not executable
        return None, note("error", str(exc))
    if done.timed_out:
        return None, note("timeout", f"nvidia-smi did not answer within {timeout:g} s")
    if done.returncode != 0:
        line = _first_meaningful_line(done.stdout, done.stderr)
        what = f"nvidia-smi exited with code {done.returncode}"
        if done.signal is not None:
            what = f"nvidia-smi was killed by signal {done.signal}"
        return None, note("error", f"{what}: {line}" if line else what)
    return done.stdout, note("ok")
