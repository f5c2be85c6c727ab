"""What a training step runs (pytracking's `ltr/actors`): each actor maps one batch to
`(loss, stats)`, so the trainer knows nothing of labels or losses. Separate actors keep
the branches' training apart, as the paper requires; the joint actor exists only for
the separate-vs-joint ablation.

A batch is the dataset's items stacked: the network inputs, then a 0/1 `positive` flag
per pair (0 for a negative pair from two different videos, see `pairs.CropPairDataset`)."""
from __future__ import annotations

import torch
from torch import nn

from ..models.branches import AppearanceBranch, SemanticBranch
from .losses import pair_loss


class Actor(nn.Module):
    """`scores(*inputs)` is the network's part; `forward(*inputs, positive)` adds the loss."""

    def __init__(self, positive_radius: float = 16.0, total_stride: int = 8, channels_last: bool = False) -> None:
        super().__init__()
        self.positive_radius = positive_radius
        self.total_stride = total_stride
        self.channels_last = channels_last

    def scores(self, *inputs: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def images(self, crops: torch.Tensor) -> torch.Tensor:
        """uint8 crops as the float images the networks take (NHWC in memory when channels-last is on:
        oneDNN's convolutions run faster on it, 6.5 vs 5.9 A-Net pairs/s in fp32, 12.2 vs 10.5 in bf16)."""
        crops = crops.float()
        return crops.contiguous(memory_format=torch.channels_last) if self.channels_last else crops

    def forward(self, *batch: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        *inputs, positive = batch
        scores = self.scores(*inputs)
        loss = pair_loss(scores, positive, self.positive_radius, self.total_stride)
        return loss, {"loss": loss.item(), "pairs": float(len(scores))}


class AppearanceActor(Actor):
    """Trains the A-Net from scratch on (exemplar, search) uint8 crops."""

    def __init__(self, branch: AppearanceBranch, **options) -> None:
        super().__init__(**options)
        self.branch = branch.to(memory_format=torch.channels_last) if self.channels_last else branch

    def scores(self, exemplar: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        return self.branch(self.images(exemplar), self.images(search))


class SemanticFeatureActor(Actor):
    """Trains attention + fusion (+ bias) on cached frozen S-Net features."""

    def __init__(self, branch: SemanticBranch, **options) -> None:
        super().__init__(**options)
        self.branch = branch

    def scores(self, exemplar4, exemplar5, search4, search5) -> torch.Tensor:
        kernels = self.branch.exemplar_from_features(exemplar4, exemplar5)
        return self.branch.score(kernels, self.branch.search_from_features(search4, search5))


class JointActor(Actor):
    """Both branches trained through one loss on the combined map (the paper's rejected alternative)."""

    def __init__(self, appearance: AppearanceBranch, semantic: SemanticBranch, lam: float, **options) -> None:
        super().__init__(**options)
        self.appearance = appearance.to(memory_format=torch.channels_last) if self.channels_last else appearance
        self.semantic = semantic
        self.lam = lam

    def scores(self, exemplar: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        exemplar, search = self.images(exemplar), self.images(search)
        return self.lam * self.appearance(exemplar, search) + (1 - self.lam) * self.semantic(exemplar, search)
