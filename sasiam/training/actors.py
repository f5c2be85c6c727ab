"""What a training step runs: each actor maps one batch to score maps (pytracking's
'actor'). Separate actors keep the branches' training apart, as the paper requires;
the joint actor exists only for the separate-vs-joint ablation."""
from __future__ import annotations

import torch
from torch import nn

from ..models.branches import AppearanceBranch, SemanticBranch


class AppearanceActor(nn.Module):
    """Trains the A-Net from scratch on (exemplar, search) uint8 crops."""

    def __init__(self, branch: AppearanceBranch) -> None:
        super().__init__()
        self.branch = branch

    def forward(self, exemplar: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        return self.branch(exemplar.float(), search.float())


class SemanticFeatureActor(nn.Module):
    """Trains attention + fusion (+ bias) on cached frozen S-Net features."""

    def __init__(self, branch: SemanticBranch) -> None:
        super().__init__()
        self.branch = branch

    def forward(self, exemplar4, exemplar5, search4, search5) -> torch.Tensor:
        kernels = self.branch.exemplar_from_features(exemplar4, exemplar5)
        return self.branch.score(kernels, self.branch.search_from_features(search4, search5))


class JointActor(nn.Module):
    """Both branches trained through one loss on the combined map (the paper's rejected alternative)."""

    def __init__(self, appearance: AppearanceBranch, semantic: SemanticBranch, lam: float) -> None:
        super().__init__()
        self.appearance = appearance
        self.semantic = semantic
        self.lam = lam

    def forward(self, exemplar: torch.Tensor, search: torch.Tensor) -> torch.Tensor:
        exemplar, search = exemplar.float(), search.float()
        return self.lam * self.appearance(exemplar, search) + (1 - self.lam) * self.semantic(exemplar, search)
