"""Real training runs on real frames (../shared/sequences), through the command line."""
import csv
import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from safetensors.torch import load_file

from conftest import SHARED_SEQUENCES, cut_sequence

TINY = ["--set", "epochs=3", "--set", "pairs_per_epoch=48", "--set", "momentum=0.9", "--set", "workers=0"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, shared_sequences):
    root = tmp_path_factory.mktemp("training")
    split = root / "split.json"
    split.write_text(json.dumps({"train": ["vot_bag"], "val": ["Dudek_first20"], "test": []}))
    return root, split


def train_command(branch, workspace, run_dir, *extra):
    root, split = workspace
    return [sys.executable, "-m", "sasiam", "train", branch, "--data", f"otb:{SHARED_SEQUENCES}", "--split", str(split),
            "--run-dir", str(run_dir), "--cache-dir", str(root / "cache"), "--quiet", *TINY, *extra]


def read_log(run_dir):
    return list(csv.DictReader((run_dir / "log.csv").open()))


def finished_run(branch, workspace):
    run_dir = workspace[0] / branch
    result = subprocess.run(train_command(branch, workspace, run_dir), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    return run_dir


@pytest.fixture(scope="module")
def appearance_run(workspace):
    return finished_run("appearance", workspace)


def test_appearance_smoke_run_lowers_the_loss_on_real_frames(appearance_run):
    rows = read_log(appearance_run)
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert (appearance_run / "loss.png").is_file()
    assert all(float(r["pairs_per_s"]) > 0 for r in rows)


def test_sigkill_mid_epoch_then_resume_gives_the_same_weights(workspace, appearance_run):
    run_dir = workspace[0] / "killed"
    process = subprocess.Popen(train_command("appearance", workspace, run_dir), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    while not (run_dir / "state_epoch_000.sha256").exists() and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(3)  # well into epoch 2
    assert process.poll() is None, "the run ended before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not (run_dir / "state_epoch_002.pt").exists()
    result = subprocess.run(train_command("appearance", workspace, run_dir, "--resume"), capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    resumed = load_file(str(run_dir / "appearance_epoch_003.safetensors"))
    reference = load_file(str(appearance_run / "appearance_epoch_003.safetensors"))
    assert resumed.keys() == reference.keys()
    for key in reference:
        assert torch.allclose(resumed[key], reference[key], rtol=1e-4, atol=1e-5), key


def test_resume_skips_a_corrupt_latest_checkpoint(workspace, appearance_run, tmp_path):
    from sasiam.training.trainer import latest_good_state

    copy = tmp_path / "copy"
    copy.mkdir()
    for path in appearance_run.glob("state_epoch_*"):
        (copy / path.name).write_bytes(path.read_bytes())
    newest = sorted(copy.glob("state_epoch_*.pt"))[-1]
    newest.write_bytes(newest.read_bytes()[:1000])  # as if killed while writing, without the atomic rename
    path, state = latest_good_state(copy)
    assert path != newest and state["epoch"] == int(newest.stem[-3:]) - 1


@pytest.fixture(scope="module")
def semantic_run(workspace):
    return finished_run("semantic", workspace)


def test_semantic_smoke_run_trains_on_cached_features(semantic_run, workspace):
    rows = read_log(semantic_run)
    assert float(rows[-1]["loss"]) < float(rows[0]["loss"])
    assert list((workspace[0] / "cache").glob("features-efficientnet_lite0-*/conv4.npy"))
    tensors = load_file(str(semantic_run / "semantic_epoch_003.safetensors"))
    assert not any(key.startswith("semantic.backbone") for key in tensors)


def test_assemble_and_tune_lambda(workspace, appearance_run, semantic_run, tmp_path):
    from sasiam.checkpoint import load_checkpoint

    assembled = tmp_path / "both.safetensors"
    subprocess.run([sys.executable, "-m", "sasiam", "assemble", "--appearance", appearance_run / "appearance_epoch_003.safetensors",
                    "--semantic", semantic_run / "semantic_epoch_003.safetensors", "--out", assembled], check=True)
    tuned = tmp_path / "tuned.safetensors"
    val_root = tmp_path / "val"  # the split's validation sequence, its first 10 frames: 5 lambdas x 10 frames
    cut_sequence("Dudek_first20", val_root / "Dudek_first20", 10)
    result = subprocess.run([sys.executable, "-m", "sasiam", "tune-lambda", "--weights", assembled, "--val-root",
                             val_root, "--split", workspace[1], "--out", tuned, "--precision", "auto"],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    checkpoint = load_checkpoint(tuned)
    grid = json.loads(checkpoint.info["lambda_grid"])
    assert list(grid) == ["0.1", "0.3", "0.5", "0.7", "0.9"]
    assert checkpoint.lam == pytest.approx(float(max(grid, key=grid.get)))
    assert checkpoint.trained == {"appearance": True, "semantic": True}


def test_ddp_with_gloo_and_two_processes(workspace):
    run_dir = workspace[0] / "ddp"
    root, split = workspace
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "sasiam",
               "train", "appearance", "--data", f"otb:{SHARED_SEQUENCES}", "--split", str(split), "--run-dir",
               str(run_dir), "--cache-dir", str(root / "cache"), "--quiet", "--set", "epochs=2", "--set",
               "pairs_per_epoch=32", "--set", "workers=0"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = read_log(run_dir)
    assert [int(r["epoch"]) for r in rows] == [1, 2]
    assert all(int(r["pairs"]) == 32 for r in rows)  # 16 per rank, two ranks


def test_joint_training_option_trains_both_branches_through_one_loss(workspace):
    run_dir = workspace[0] / "joint"
    command = train_command("joint", workspace, run_dir)
    command[command.index("epochs=3")] = "epochs=1"
    command[command.index("pairs_per_epoch=48")] = "pairs_per_epoch=16"
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    from sasiam.checkpoint import load_checkpoint

    checkpoint = load_checkpoint(run_dir / "both_epoch_001.safetensors")
    assert checkpoint.branches == {"appearance", "semantic"}
    assert checkpoint.trained == {"appearance": True, "semantic": True}
