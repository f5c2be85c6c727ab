"""Training configuration: the paper's schedule as defaults, every value overridable
from the command line (`--set name=value`)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TrainedBranch = Literal["appearance", "semantic", "joint"]


@dataclass(frozen=True)
class TrainConfig:
    branch: TrainedBranch = "appearance"
    backbone: str = "efficientnet_lite0"
    # the semantic branch's Table 1 switches (sasiam.config.ModelConfig): conv4 + conv5, channel attention
    multilevel: bool = True
    attention: bool = True
    # schedule (SA-Siam: 30 epochs, lr 0.01, x0.1 for the last 5, plain SGD, wd 5e-4)
    epochs: int = 30
    pairs_per_epoch: int = 53_200
    batch_size: int = 8
    lr: float = 0.01
    lr_drop_epoch: int = 25
    lr_drop_factor: float = 0.1
    momentum: float = 0.0
    weight_decay: float = 5e-4
    # pairs and crops
    max_frame_gap: int = 100
    crop_size: int = 239
    cache_crop_size: int = 255       # curated once per frame; augmentation cuts 239 (+-4 px) from it
    context_amount: float = 0.5
    max_stretch: float = 0.05
    max_translation: int = 4
    grayscale_probability: float = 0.0
    colour_jitter: float = 0.0
    # sampling: a group ("ground"/"aerial", `datasets.sequence_group`) first, then a video, then frames
    balance_groups: bool = True
    # negative pairs (DaSiamRPN; not in SA-Siam): exemplar and search from two videos, every cell labelled 0
    negative_fraction: float = 0.0
    # still-image pairs (SiamRPN-style; not in SA-Siam): random boxes of training frames paired with themselves
    still_fraction: float = 0.0      # share of each epoch's pairs
    still_boxes_per_frame: int = 4
    still_frame_step: int = 5
    still_max_stretch: float = 0.15
    still_max_rotation: float = 10.0  # degrees
    # labels
    positive_radius: float = 16.0
    total_stride: int = 8
    # running
    seed: int = 0
    workers: int = 1
    bf16: bool = False               # bf16 autocast: ~2x on CPUs with AVX-512 BF16 / AMX, emulated (slower) elsewhere
    channels_last: bool = True       # NHWC activations for oneDNN's convolutions (measured faster, actors.py)
    device: str = "cpu"
    val_precision: str = "fp32"      # precision of the tracker that measures validation AUC each epoch
