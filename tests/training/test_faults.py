"""Faults during training, made real: SIGKILL in the middle of a checkpoint write, a
checkpoint that would run code when unpickled, damaged frames in a dataset, and a
full disk (a small tmpfs filled up; skipped where this process may not mount one).
"""
import json
import os
import pickle
import shutil
import subprocess
import sys
import time

import pytest
import torch
from torch import nn

from conftest import SHARED_SEQUENCES, shared_sequence
from disk_faults import fill, small_disk  # noqa: F401  (small_disk is a fixture)
from sasiam.errors import CheckpointError, OutputError
from sasiam.training.trainer import latest_good_state, save_state

WRITER = """
import sys, torch
from pathlib import Path
from torch import nn
from sasiam.training.trainer import save_state
run, first = Path(sys.argv[1]), int(sys.argv[2])
model = nn.Linear(2500, 2500)                       # 25 MB of weights, 25 MB of momentum
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
model(torch.ones(1, 2500)).sum().backward()
optimizer.step()
for epoch in range(first, first + 1000):
    with torch.no_grad():
        model.weight.fill_(epoch)
    save_state(run, epoch, model, optimizer, {"loss": float(epoch)})
    print(epoch, flush=True)
"""


def kill_mid_write(run_dir, first_epoch):
    """Start a writer of training states; SIGKILL it while a state file is half-written."""
    process = subprocess.Popen([sys.executable, "-c", WRITER, str(run_dir), str(first_epoch)],
                               stdout=subprocess.PIPE, text=True)
    saved = int(process.stdout.readline())  # one complete state first
    deadline = time.time() + 300
    while time.time() < deadline:
        partial = list(run_dir.glob(".state_epoch_*.pt.*.tmp"))
        if partial and partial[0].stat().st_size > 0:
            process.kill()
            process.wait()
            return saved, partial[0]
        time.sleep(0.0005)
    process.kill()
    pytest.fail("never saw a state file being written")


def test_sigkill_during_a_checkpoint_write_leaves_the_previous_one_intact(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    epoch = 0
    for _ in range(3):
        saved, partial = kill_mid_write(run_dir, epoch)
        messages = []
        path, state = latest_good_state(run_dir, report=messages.append)
        # the newest complete state is the last one the writer finished (or the one after, if the kill hit
        # between its .pt and the .sha256 commit); the half-written file is never taken for a checkpoint
        assert state["epoch"] >= saved and path.name == f"state_epoch_{state['epoch']:03d}.pt"
        assert torch.all(state["model"]["weight"] == state["epoch"])
        assert partial.exists() or state["epoch"] > saved  # the kill landed mid-write
        epoch = state["epoch"] + 1
    save_state(run_dir, epoch, nn.Linear(2, 2), torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1), {})
    assert not list(run_dir.glob(".state_epoch_*.tmp"))  # the next save clears what killed writers left


class RunsCode:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_a_checkpoint_that_would_run_code_is_skipped_and_never_run(tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    model = nn.Linear(3, 3)
    save_state(run_dir, 4, model, torch.optim.SGD(model.parameters(), lr=0.1), {})
    marker = tmp_path / "pwned"
    payload = pickle.dumps({"epoch": 5, "model": RunsCode(marker)})
    (run_dir / "state_epoch_005.pt").write_bytes(payload)
    import hashlib

    (run_dir / "state_epoch_005.sha256").write_text(hashlib.sha256(payload).hexdigest())  # checksum is fine
    messages = []
    path, state = latest_good_state(run_dir, report=messages.append)
    assert path.name == "state_epoch_004.pt" and state["epoch"] == 4
    assert not marker.exists()
    assert messages == ["skipping state_epoch_005.pt: not a plain training state (UnpicklingError)"]


@pytest.fixture()
def damaged_dataset(tmp_path, shared_sequences):
    """Dudek_first20 (real) with frame 5 garbage, frame 9 cut in half, frame 12 empty."""
    root = tmp_path / "otb" / "Dudek_first20"
    shutil.copytree(shared_sequence("Dudek_first20"), root)
    img = root / "img"
    frames = sorted(img.iterdir())
    frames[4].write_bytes(b"garbage")
    data = frames[8].read_bytes()
    frames[8].write_bytes(data[: len(data) // 2])
    frames[11].write_bytes(b"")
    return root.parent


def test_damaged_frames_in_a_dataset_are_skipped_and_counted(damaged_dataset, tmp_path):
    from sasiam.data.datasets import load_otb_folder
    from sasiam.training.config import TrainConfig
    from sasiam.training.curation import curate
    from sasiam.training.pairs import CropPairDataset

    tracks = load_otb_folder(damaged_dataset)
    visible = int(tracks[0].visible.sum())
    cache = curate(tracks, tmp_path / "cache", workers=1, progress=False)
    assert cache.skipped == 3 and len(cache.crops) == visible - 3
    assert sorted(set(range(20)) - set(cache.frame_of.tolist())) == [4, 8, 11]
    reopened = curate(tracks, tmp_path / "cache", workers=1, progress=False)  # the count is kept with the cache
    assert reopened.skipped == 3
    exemplar, search, _ = CropPairDataset(cache, TrainConfig(), epoch=0, pairs_per_epoch=2)[0]
    assert exemplar.shape == (3, 239, 239) and search.shape == (3, 239, 239)


# -- full disk ------------------------------------------------------------------------
def test_a_full_disk_fails_the_state_write_and_keeps_the_previous_state(small_disk):
    run_dir = small_disk / "run"
    run_dir.mkdir()
    model = nn.Linear(1000, 1000)  # 4 MB per state
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    save_state(run_dir, 0, model, optimizer, {})
    before = (run_dir / "state_epoch_000.pt").read_bytes()
    fill(small_disk, leave=1 << 20)
    with pytest.raises(CheckpointError, match=r"No space left on device \(disk full\); the previous epoch's state"):
        save_state(run_dir, 1, model, optimizer, {})
    assert (run_dir / "state_epoch_000.pt").read_bytes() == before
    assert sorted(p.name for p in run_dir.iterdir()) == ["state_epoch_000.pt", "state_epoch_000.sha256"]
    path, state = latest_good_state(run_dir)
    assert path.name == "state_epoch_000.pt" and state["epoch"] == 0


def test_a_full_disk_fails_the_crop_cache_before_any_work(small_disk, tmp_path, shared_sequences):
    from sasiam.data.datasets import load_otb_folder
    from sasiam.training.curation import curate

    tracks = load_otb_folder(shared_sequence("Dudek_first20"))
    fill(small_disk, leave=1 << 20)  # 20 crops need 3.7 MiB
    with pytest.raises(OutputError, match=r"cannot write the crop cache \(4 MiB\): No space left on device"):
        curate(tracks, small_disk / "cache", workers=1, progress=False)
    assert not list((small_disk / "cache").rglob("*.npy"))  # nothing half-written left taking space


def test_sasiam_train_on_a_full_disk_is_one_line_and_resume_picks_up(small_disk, tmp_path, shared_sequences):
    split = tmp_path / "split.json"
    split.write_text(json.dumps({"train": ["Dudek_first20"], "val": [], "test": []}))
    run_dir = small_disk / "run"

    def train(epochs, *extra):
        return subprocess.run([sys.executable, "-m", "sasiam", "train", "appearance", "--data",
                               f"otb:{SHARED_SEQUENCES}", "--split", str(split), "--run-dir", str(run_dir),
                               "--cache-dir", str(tmp_path / "cache"), "--quiet", "--set", f"epochs={epochs}",
                               "--set", "pairs_per_epoch=8", "--set", "workers=0", *extra],
                              capture_output=True, text=True, timeout=900)

    first = train(1)
    assert first.returncode == 0, first.stderr[-2000:]
    kept = (run_dir / "state_epoch_000.pt").read_bytes()
    filler = fill(small_disk, leave=64 << 10)  # room for config.json, not for a state
    failed = train(2, "--resume")
    assert failed.returncode == 2 and "Traceback" not in failed.stderr, failed.stderr[-2000:]
    lines = [line for line in failed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "state_epoch_001.pt: cannot write training checkpoint: No space left on device" in \
        lines[0], failed.stderr
    assert (run_dir / "state_epoch_000.pt").read_bytes() == kept
    filler.unlink()
    resumed = train(2, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming from state_epoch_000.pt" in resumed.stdout
    assert [row.split(",")[0] for row in (run_dir / "log.csv").read_text().splitlines()[1:]] == ["1", "2"]


def test_a_full_disk_fails_the_feature_cache_before_any_work(small_disk, tmp_path, shared_sequences):
    from sasiam.data.datasets import load_otb_folder
    from sasiam.models.backbones.efficientnet_lite import EfficientNetLite0Backbone
    from sasiam.training.curation import curate
    from sasiam.training.features import cache_features

    crops = curate(load_otb_folder(shared_sequence("Dudek_first20")), tmp_path / "crops", workers=1, progress=False)
    fill(small_disk, leave=1 << 20)  # 20 crops need ~7 MiB of float16 features
    backbone = EfficientNetLite0Backbone(pretrained=False).eval()
    with pytest.raises(OutputError, match=r"cannot write the S-Net feature cache \(\d+ MiB\): No space left on device"):
        cache_features(crops, backbone, small_disk / "cache", progress=False)
    assert not list((small_disk / "cache").rglob("*.npy"))  # nothing half-written left taking space
