from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The captured real outputs live beside the repository (CI has them there too); they are
# never copied into the repo.
SHARED_FIXTURES = REPO.parent / "shared" / "fixtures"


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    if not SHARED_FIXTURES.is_dir():
        pytest.skip(f"captured fixtures not found at {SHARED_FIXTURES} (the ../shared folder is absent)")
    return SHARED_FIXTURES


@pytest.fixture(scope="session")
def nvidia_smi_fixtures(shared_fixtures: Path) -> Path:
    return shared_fixtures / "nvidia-smi"


@pytest.fixture(scope="session")
def collect_env_fixtures(shared_fixtures: Path) -> Path:
    return shared_fixtures / "collect_env"


@pytest.fixture(scope="session")
def hw(shared_fixtures: Path) -> Path:
    """The AMD, Apple, Intel and NVIDIA-Arm captures."""
    return shared_fixtures / "hw"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A copy of os.environ for probes that take ``env=``."""
    return dict(os.environ)


PYTHON = sys.executable
