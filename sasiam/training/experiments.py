"""Assemble a training run from a config: data, caches, actor, validation, export.
This is the one place that wires datasets, models and the trainer together."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from ..checkpoint import save_checkpoint
from ..config import DEFAULT_LAMBDA, ModelConfig
from ..data.datasets import Track, load_dataset, split_tracks
from ..data.sequences import open_sequence
from ..evaluation.otb import evaluate
from ..models.branches import AppearanceBranch, SemanticBranch
from ..models.factory import build_backbone
from ..models.sasiam_net import SASiamNet
from ..tracking.tracker import SASiamTracker
from .actors import AppearanceActor, JointActor, SemanticFeatureActor
from .config import TrainConfig
from .curation import curate
from .features import FeaturePairDataset, cache_features
from .pairs import CropPairDataset
from .still_pairs import random_box_tracks
from .trainer import train, training_device

DEFAULT_SPLIT = Path(__file__).resolve().parents[1] / "data" / "splits" / "shared_sequences.json"


def actor_options(config: TrainConfig) -> dict:
    return {"positive_radius": config.positive_radius, "total_stride": config.total_stride,
            "channels_last": config.channels_last}


def load_split(path: str | Path | None = None) -> dict[str, list[str]]:
    return json.loads(Path(path or DEFAULT_SPLIT).read_text())


def load_training_tracks(sources: list[tuple[str, str]], names: list[str] | None) -> list[Track]:
    """sources: (kind, root) pairs; `names` restricts OTB-folder sources to a split."""
    tracks: list[Track] = []
    for kind, root in sources:
        loaded = load_dataset(kind, root)
        if kind == "otb" and names is not None:
            loaded = split_tracks(loaded, names)
        tracks.extend(loaded)
    if not tracks:
        raise ValueError("no training tracks found in " + ", ".join(f"{k}:{r}" for k, r in sources))
    return tracks


def validation_sequences(root: str | Path, names: list[str]):
    return [open_sequence(Path(root) / name) for name in names if (Path(root) / name).is_dir()]


def export_branch(path: Path, net: SASiamNet, model_config: ModelConfig, info: dict) -> Path:
    return save_checkpoint(path, net.state_to_save(), model_config, lam=DEFAULT_LAMBDA,
                           trained={name: True for name in net.branches()},
                           info={k: str(v) for k, v in info.items()})


def run_training(config: TrainConfig, sources: list[tuple[str, str]], run_dir: str | Path, cache_dir: str | Path,
                 split: dict[str, list[str]] | None = None, validation_root: str | Path | None = None,
                 resume: bool = False, progress: bool = True, snet_weights: str | Path | None = None):
    run_dir, cache_dir = Path(run_dir), Path(cache_dir)
    torch.manual_seed(config.seed)
    np.random.seed(config.seed)
    tracks = load_training_tracks(sources, split["train"] if split else None)
    crop_cache = curate(tracks, cache_dir, config.cache_crop_size, config.context_amount, progress=progress)
    if progress and crop_cache.skipped:
        print(f"skipped {crop_cache.skipped} frames that could not be decoded")
    model_config = ModelConfig(backbone=config.backbone, multilevel=config.multilevel,  # type: ignore[arg-type]
                               attention=config.attention)
    val = validation_sequences(validation_root, split["val"]) if (split and validation_root) else []

    if config.branch == "appearance":
        branch = AppearanceBranch(model_config)
        model = AppearanceActor(branch, **actor_options(config))
        still_cache = None
        if config.still_fraction > 0:
            still_tracks = random_box_tracks(tracks, config.still_boxes_per_frame, config.still_frame_step, config.seed)
            still_cache = curate(still_tracks, cache_dir, config.cache_crop_size, config.context_amount,
                                 progress=progress)
        dataset_for_epoch = lambda epoch: CropPairDataset(crop_cache, config, epoch, still=still_cache)  # noqa: E731
        net_for = lambda: SASiamNet(branch, None, model_config)  # noqa: E731
    elif config.branch == "semantic":
        backbone = build_backbone(config.backbone, snet_weights)  # type: ignore[arg-type]
        branch = SemanticBranch(backbone, model_config)
        features = cache_features(crop_cache, backbone, cache_dir, config.crop_size, progress=progress,
                                  bf16=config.bf16)
        model = SemanticFeatureActor(branch, **actor_options(config))
        dataset_for_epoch = lambda epoch: FeaturePairDataset(crop_cache, features, config, epoch)  # noqa: E731
        net_for = lambda: SASiamNet(None, branch, model_config)  # noqa: E731
    elif config.branch == "joint":
        appearance = AppearanceBranch(model_config)
        semantic = SemanticBranch(build_backbone(config.backbone, snet_weights), model_config)  # type: ignore[arg-type]
        model = JointActor(appearance, semantic, lam=DEFAULT_LAMBDA, **actor_options(config))
        dataset_for_epoch = lambda epoch: CropPairDataset(crop_cache, config, epoch)  # noqa: E731
        net_for = lambda: SASiamNet(appearance, semantic, model_config)  # noqa: E731
    else:
        raise ValueError(f"unknown branch {config.branch!r}")

    def after_epoch(epoch: int, _model) -> dict:
        net = net_for()
        row = {"val_auc": "nan"}
        if val:
            was_training = net.training
            # on the training device: a tracker built on the CPU would move the trained branch off it
            tracker = SASiamTracker.from_network(net, lam=DEFAULT_LAMBDA, precision=config.val_precision,
                                                 device=training_device(config.device))
            evaluation = evaluate(tracker, val)
            net.train(was_training)
            row["val_auc"] = round(evaluation.auc, 4)
            # per sequence too: a difference in the mean is worth trusting only beside the spread across them
            row.update({f"val_{name}": round(score.auc, 3) for name, score in evaluation.sequences.items()})
        name = "both" if config.branch == "joint" else config.branch
        export_branch(run_dir / f"{name}_epoch_{epoch + 1:03d}.safetensors", net, model_config,
                      {"epoch": epoch + 1, "val_auc": row["val_auc"], "pairs_per_epoch": config.pairs_per_epoch})
        return row

    train(config, run_dir, model, dataset_for_epoch, resume=resume, after_epoch=after_epoch, progress=progress)
    return model


def override(config: TrainConfig, assignments: list[str]) -> TrainConfig:
    """Apply `name=value` strings, converting each value to the field's type."""
    from dataclasses import fields

    types = {f.name: f.type for f in fields(config)}
    changes = {}
    for assignment in assignments:
        name, _, value = assignment.partition("=")
        if name not in types:
            raise ValueError(f"unknown training setting {name!r}; known: {', '.join(sorted(types))}")
        current = getattr(config, name)
        if isinstance(current, bool):
            changes[name] = value.lower() in ("1", "true", "yes", "on")
        elif isinstance(current, int):
            changes[name] = int(value)
        elif isinstance(current, float):
            changes[name] = float(value)
        else:
            changes[name] = value
    return replace(config, **changes)
