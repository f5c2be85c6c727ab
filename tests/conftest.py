from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

REPO = Path(__file__).resolve().parents[1]
SHARED_SEQUENCES = Path(os.environ.get("SASIAM_SHARED_SEQUENCES", REPO.parent / "shared" / "sequences"))

torch.set_num_threads(2)


@pytest.fixture(scope="session")
def shared_sequences() -> Path:
    if not (SHARED_SEQUENCES / "MANIFEST.tsv").is_file():
        pytest.skip(f"real tracking sequences not found at {SHARED_SEQUENCES} (../shared/sequences beside the repo)")
    return SHARED_SEQUENCES


def shared_sequence(name: str) -> Path:
    path = SHARED_SEQUENCES / name
    if not path.is_dir():
        pytest.skip(f"real sequence {name} not found at {path} (../shared/sequences beside the repo)")
    return path
