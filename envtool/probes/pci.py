"""Display controllers on the PCI bus: the last-resort reader for AMD and Intel GPUs.

Read from /sys/bus/pci/devices (no tool needed) or parsed from ``lspci -nn``. Only display
classes count (0x0300 VGA, 0x0302 3D, 0x0380 other display): an AMD card also shows PCI
bridges and audio functions with vendor 0x1002 (the RX 9070 XT capture's "Navi 10 XL Upstream
Port" bridge), which are not GPUs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DISPLAY_CLASSES = (0x0300, 0x0302, 0x0380)
# pci.ids: 1002 AMD/ATI, 8086 Intel, 10de NVIDIA, 1d94 Chengdu Haiguang (Hygon; its DCU K100_AI is 1d94:6210,
# the device id the captured Hygon rocm-smi prints).
VENDORS = {0x1002: "amd", 0x8086: "intel", 0x10DE: "nvidia", 0x1D94: "hygon"}


@dataclass(frozen=True, kw_only=True)
class PciDevice:
    slot: str
    vendor_id: int
    device_id: int
    class_code: int  # 0x0300
    name: str | None = None
    driver: str | None = None

    @property
    def vendor(self) -> str:
        return VENDORS.get(self.vendor_id, f"pci-{self.vendor_id:04x}")

    @property
    def pci_id(self) -> str:
        return f"{self.vendor_id:04x}:{self.device_id:04x}"


_LSPCI_NN = re.compile(
    r"^(?P<slot>\S+)\s+(?P<cls_name>[^\[]+?)\s*\[(?P<cls>[0-9a-fA-F]{4})\]:\s*(?P<name>.*?)\s*"
    r"\[(?P<ven>[0-9a-fA-F]{4}):(?P<dev>[0-9a-fA-F]{4})\]"
)


def parse_lspci_nn(text: str) -> list[PciDevice]:
    """``lspci -nn`` (or ``-vnn``) -> display controllers; ``Kernel driver in use`` lines are kept."""
    out: list[PciDevice] = []
    current: PciDevice | None = None
    for line in text.splitlines():
        m = _LSPCI_NN.match(line)
        if m:
            current = None
            cls = int(m.group("cls"), 16)
            if cls in DISPLAY_CLASSES:
                current = PciDevice(
                    slot=m.group("slot"),
                    vendor_id=int(m.group("ven"), 16),
                    device_id=int(m.group("dev"), 16),
                    class_code=cls,
                    name=m.group("name").strip() or None,
                )
                out.append(current)
            continue
        d = re.match(r"\s+Kernel driver in use:\s*(\S+)", line)
        if d and current is not None:
            import dataclasses

            out[-1] = current = dataclasses.replace(current, driver=d.group(1))
    return out


def read_sysfs(root: str | Path = "/sys/bus/pci/devices") -> list[PciDevice] | None:
    """Display controllers from sysfs (``vendor``, ``device``, ``class`` files and the ``driver`` link)."""
    base = Path(root)
    if not base.is_dir():
        return None
    out: list[PciDevice] = []
    for d in sorted(base.iterdir()):
        try:
            cls = int((d / "class").read_text().strip(), 16) >> 8
            if cls not in DISPLAY_CLASSES:
                continue
            vendor = int((d / "vendor").read_text().strip(), 16)
        except (OSError, ValueError):
            continue
        try:
            device = int((d / "device").read_text().strip(), 16)
        except (OSError, ValueError):
            device = 0  # unknown: the vendor and class still say what it is
        driver_link = d / "driver"
        driver = driver_link.resolve().name if driver_link.exists() else None
        out.append(PciDevice(slot=d.name, vendor_id=vendor, device_id=device, class_code=cls, driver=driver))
    return out


# PCI vendor ID 0x10de is NVIDIA (PCI ID Repository, https://pci-ids.ucw.cz/read/PC/10de).
NVIDIA_VENDOR = 0x10DE


def nvidia_present(sys_root: str = "/sys") -> bool | None:
    """True when an NVIDIA display/3D controller is on the PCI bus, per sysfs (no driver needed).

    None when ``<sys_root>/bus/pci/devices`` cannot be read (not Linux, or no sysfs): this tells
    "no GPU" apart from "a GPU without a working driver".
    """
    devices = read_sysfs(Path(sys_root) / "bus" / "pci" / "devices")
    if devices is None:
        return None
    return any(d.vendor_id == NVIDIA_VENDOR for d in devices)
