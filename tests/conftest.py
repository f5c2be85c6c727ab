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


def cut_sequence(name: str, root: Path, frames: int, copy: bool = False, attributes: bool = False) -> Path:
    """The first `frames` frames of a shared sequence as an OTB folder `root` (images
    linked, or copied when the test damages them), ground truth cut to match."""
    import shutil

    source = shared_sequence(name)
    (root / "img").mkdir(parents=True)
    for image in sorted((source / "img").glob("*.jpg"))[:frames]:
        if copy:
            shutil.copy(image, root / "img" / image.name)
        else:
            (root / "img" / image.name).symlink_to(image)
    lines = (source / "groundtruth_rect.txt").read_text().splitlines()[:frames]
    (root / "groundtruth_rect.txt").write_text("\n".join(lines) + "\n")
    if attributes:
        (root / "attributes.txt").write_text((source / "attributes.txt").read_text())
    return root


@pytest.fixture(scope="session")
def training_crops() -> Path:
    """../shared/training/crops255: 52 curated-crop videos for training (the format of its README)."""
    root = SHARED_SEQUENCES.parent / "training" / "crops255"
    if not (root / "MANIFEST.tsv").is_file():
        pytest.skip(f"curated training crops not found at {root} (../shared/training/crops255 beside the repo)")
    return root
