"""Whether an NVIDIA GPU is on the PCI bus, from sysfs alone (no driver needed)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["hardware_present"]

# PCI vendor ID 0x10de is NVIDIA (PCI ID Repository, https://pci-ids.ucw.cz/read/PC/10de);
# the captured rtx-a5000-x2-driver590.xml shows it too (<pci_device_id>223110DE</...>).
_NVIDIA_VENDOR = 0x10DE
# PCI base class 0x03 is "Display controller" (VGA 0x0300, 3D controller 0x0302; PCI ID
# Repository, https://pci-ids.ucw.cz/read/PD/03); the same capture shows
# <pci_base_class>3</pci_base_class>.
_DISPLAY_CLASS = 0x03


def hardware_present(sys_root: str = "/sys") -> bool | None:
    """True when an NVIDIA display/3D controller is on the PCI bus, per sysfs.

    None when ``<sys_root>/bus/pci/devices`` cannot be read (not Linux, or no sysfs).
    This needs no driver, so it tells "no GPU" apart from "GPU without a working driver".
    """
    devices = Path(sys_root) / "bus" / "pci" / "devices"
    try:
        entries = list(devices.iterdir())
    except OSError:
        return None
    for dev in entries:
        try:
            vendor = int((dev / "vendor").read_text().strip(), 16)
            pci_class = int((dev / "class").read_text().strip(), 16)
        except (OSError, ValueError):
            continue
        if vendor == _NVIDIA_VENDOR and (pci_class >> 16) == _DISPLAY_CLASS:
            return True
    return False
