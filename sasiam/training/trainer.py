"""The training loop shared by both branches (and the joint ablation).

One epoch = `pairs_per_epoch` pairs drawn deterministically from (seed, epoch),
so a run killed at any point and resumed from its last epoch checkpoint ends
with the same weights as an uninterrupted run. Multi-process training uses
PyTorch DDP; start it with `torchrun --nproc_per_node N -m sasiam train ...`.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, Subset
from tqdm import tqdm

from ..checkpoint import atomic_write
from ..errors import CheckpointError, OutputError, describe_os_error
from .config import TrainConfig

STATE_PATTERN = re.compile(r"state_epoch_(\d{3,})\.pt$")
KEEP_STATES = 2


def learning_rate(config: TrainConfig, epoch: int) -> float:
    """Staircase: lr for the first `lr_drop_epoch` epochs, lr * factor after."""
    return config.lr * (config.lr_drop_factor if epoch >= config.lr_drop_epoch else 1.0)


def training_device(name: str) -> torch.device:
    """The device this process trains on. Under torchrun, "cuda" means this rank's own GPU,
    cuda:LOCAL_RANK (torchrun sets LOCAL_RANK; pytorch/examples distributed/ddp-tutorial-series
    multigpu_torchrun.py does the same), so N ranks on one machine do not all land on cuda:0."""
    device = torch.device(name)
    if device.type == "cuda" and device.index is None and "LOCAL_RANK" in os.environ:
        device = torch.device("cuda", int(os.environ["LOCAL_RANK"]))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


def distributed_context(device: torch.device | None = None) -> tuple[int, int]:
    """(rank, world size); initialises the process group when started by torchrun: NCCL when this rank
    trains on a GPU, gloo on the CPU (NCCL reduces CUDA tensors only)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        on_gpu = device is not None and device.type == "cuda"
        dist.init_process_group(backend="nccl" if on_gpu else "gloo")
    return (dist.get_rank(), world) if world > 1 else (0, 1)


# -- checkpoints of the training state -------------------------------------
def save_state(run_dir: Path, epoch: int, model: nn.Module, optimizer: torch.optim.Optimizer, extra: dict) -> Path:
    """state_epoch_NNN.pt plus a .sha256 written after it: a file without a matching digest is not trusted."""
    buffer = io.BytesIO()
    torch.save({"epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "extra": json.dumps(extra)}, buffer)
    payload = buffer.getvalue()
    path = run_dir / f"state_epoch_{epoch:03d}.pt"
    for stale in run_dir.glob(".state_epoch_*.tmp"):  # left by a run killed while writing; only space
        stale.unlink(missing_ok=True)
    try:
        atomic_write(path, lambda temporary: Path(temporary).write_bytes(payload))
        digest = hashlib.sha256(payload).hexdigest()
        atomic_write(path.with_suffix(".sha256"), lambda temporary: Path(temporary).write_text(digest))
    except OSError as error:
        # atomic_write removed its temporary file: the previous epoch's state is untouched
        raise CheckpointError(f"{path}: cannot write training checkpoint: {describe_os_error(error)}; "
                              f"the previous epoch's state is intact (--resume continues from it)") from error
    for old in sorted(run_dir.glob("state_epoch_*.pt"))[:-KEEP_STATES]:
        old.unlink(missing_ok=True)
        old.with_suffix(".sha256").unlink(missing_ok=True)
    return path


def latest_good_state(run_dir: Path, report: Callable[[str], None] | None = None) -> tuple[Path, dict] | None:
    """The newest state file whose digest matches and that loads; the others are skipped (and reported)."""
    report = report or (lambda message: None)
    candidates = sorted((p for p in run_dir.glob("state_epoch_*.pt") if STATE_PATTERN.search(p.name)), reverse=True)
    for path in candidates:
        digest_path = path.with_suffix(".sha256")
        if not digest_path.is_file():
            report(f"skipping {path.name}: no {digest_path.name} (the write was interrupted)")
            continue
        try:
            payload = path.read_bytes()
            digest = digest_path.read_text().strip()
        except OSError as error:
            report(f"skipping {path.name}: {describe_os_error(error)}")
            continue
        if hashlib.sha256(payload).hexdigest() != digest:
            report(f"skipping {path.name}: checksum mismatch (corrupt or half-written)")
            continue
        try:
            # weights_only: a training state is tensors and plain values; nothing in it may run code
            return path, torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
        except Exception as error:  # noqa: BLE001 - an unloadable state is skipped like a corrupt one
            report(f"skipping {path.name}: not a plain training state ({type(error).__name__})")
    return None


# -- logging --------------------------------------------------------------
def append_log(run_dir: Path, row: dict) -> None:
    path = run_dir / "log.csv"
    new = not path.is_file()
    try:
        with path.open("a", newline="") as stream:
            writer = csv.DictWriter(stream, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)
    except OSError as error:
        raise OutputError(f"{path}: cannot write the training log: {describe_os_error(error)}") from error


def plot_log(run_dir: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path = run_dir / "log.csv"
    if not path.is_file():
        return None
    rows = list(csv.DictReader(path.open()))
    if not rows:
        return None
    epochs = [int(r["epoch"]) for r in rows]
    figure, loss_axis = plt.subplots(figsize=(6, 4))
    loss_axis.plot(epochs, [float(r["loss"]) for r in rows], "o-", label="training loss")
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("balanced logistic loss")
    if any(r.get("val_auc") not in (None, "", "nan") for r in rows):
        auc_axis = loss_axis.twinx()
        auc_axis.plot(epochs, [float(r["val_auc"]) for r in rows], "s--", color="tab:orange", label="validation AUC")
        auc_axis.set_ylabel("validation success AUC")
        handles = loss_axis.get_lines() + auc_axis.get_lines()
        loss_axis.legend(handles, [h.get_label() for h in handles], loc="center right")
    loss_axis.set_title(run_dir.name)
    figure.tight_layout()
    out = run_dir / "loss.png"
    try:
        figure.savefig(out, dpi=100)
    except OSError as error:
        raise OutputError(f"{out}: cannot write the loss plot: {describe_os_error(error)}") from error
    finally:
        plt.close(figure)
    return out


# -- the loop -------------------------------------------------------------
def train(
    config: TrainConfig,
    run_dir: str | Path,
    model: nn.Module,
    dataset_for_epoch: Callable[[int], Dataset],
    resume: bool = False,
    after_epoch: Callable[[int, nn.Module], dict] | None = None,
    progress: bool = True,
) -> nn.Module:
    """Train `model` (its trainable parameters), an actor: `model(*batch)` returns (loss, stats) with
    stats["loss"] and stats["pairs"] (`actors.py`).

    `after_epoch(epoch, model)` runs on rank 0 after each epoch's checkpoint (export weights,
    validate); what it returns is logged. It must leave `model` on `training_device(config.device)`.
    """
    run_dir = Path(run_dir)
    device = training_device(config.device)
    rank, world = distributed_context(device)
    model.to(device)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    start_epoch = 0
    if rank == 0:
        try:
            run_dir.mkdir(parents=True, exist_ok=True)
            text = json.dumps(asdict(config), indent=2)
            atomic_write(run_dir / "config.json", lambda temporary: Path(temporary).write_text(text))
        except OSError as error:
            raise OutputError(f"{run_dir}: cannot write the run folder: {describe_os_error(error)}") from error
    if resume:
        found = latest_good_state(run_dir, report=lambda message: print(message) if rank == 0 else None)
        if found is not None:
            path, state = found
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            start_epoch = state["epoch"] + 1
            if rank == 0:
                print(f"resuming from {path.name}: epoch {start_epoch + 1} of {config.epochs}")
    wrapped = model
    if world > 1:
        wrapped = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    for epoch in range(start_epoch, config.epochs):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(config, epoch)
        dataset = dataset_for_epoch(epoch)
        if world > 1:  # each rank takes every world-th pair of the same deterministic epoch
            dataset = Subset(dataset, range(rank, len(dataset), world))
        loader = DataLoader(dataset, batch_size=config.batch_size, shuffle=False, num_workers=config.workers,
                            drop_last=True, persistent_workers=False)
        model.train()
        total, count, started = 0.0, 0, time.perf_counter()
        bar = tqdm(loader, desc=f"epoch {epoch + 1}/{config.epochs}", unit="batch", disable=not progress or rank != 0)
        for batch in bar:
            batch = tuple(t.to(device) for t in batch)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=config.bf16):
                loss, stats = wrapped(*batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += stats["loss"] * stats["pairs"]
            count += int(stats["pairs"])
            elapsed = time.perf_counter() - started
            bar.set_postfix(loss=f"{total / count:.4f}", pairs_s=f"{count * world / elapsed:.1f}")
        seconds = time.perf_counter() - started
        mean_loss = total / max(count, 1)
        if world > 1:
            summed = torch.tensor([total, float(count)], device=device)
            dist.all_reduce(summed)
            mean_loss = (summed[0] / summed[1].clamp(min=1)).item()
        if rank == 0:
            save_state(run_dir, epoch, model, optimizer, {"loss": mean_loss})
            row = {"epoch": epoch + 1, "lr": learning_rate(config, epoch), "loss": round(mean_loss, 6),
                   "pairs": count * world, "seconds": round(seconds, 1), "pairs_per_s": round(count * world / seconds, 2)}
            row.update(after_epoch(epoch, model) if after_epoch else {})
            append_log(run_dir, row)
            plot_log(run_dir)
            if progress:
                print(" ".join(f"{k}={v}" for k, v in row.items()))
        if world > 1:
            dist.barrier()
    return model
