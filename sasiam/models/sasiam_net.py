"""The twofold network at test time: two separately trained branches, one combined map."""
from __future__ import annotations

import torch
from torch import nn

from ..config import ModelConfig
from .branches import AppearanceBranch, SemanticBranch

BRANCH_NAMES = ("appearance", "semantic")


class SASiamNet(nn.Module):
    """Holds either branch or both. Knows nothing of frames or boxes, only crops."""

    def __init__(self, appearance: AppearanceBranch | None, semantic: SemanticBranch | None,
                 config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        if appearance is None and semantic is None:
            raise ValueError("SASiamNet needs at least one branch")
        self.config = config
        self.appearance = appearance
        self.semantic = semantic

    def branches(self) -> dict[str, nn.Module]:
        return {name: getattr(self, name) for name in BRANCH_NAMES if getattr(self, name) is not None}

    @torch.no_grad()
    def exemplar(self, context_crop: torch.Tensor) -> dict[str, torch.Tensor]:
        """The first frame's 255 crop -> each branch's exemplar kernels (attention included)."""
        return {name: branch.exemplar(context_crop) for name, branch in self.branches().items()}

    @torch.no_grad()
    def responses(self, kernels: dict[str, torch.Tensor], search_crops: torch.Tensor,
                  trunk_batch: int | None = None) -> dict[str, torch.Tensor]:
        """Search crops -> each branch's adjusted score maps, S x 17 x 17, with one grouped correlation.

        trunk_batch: run each trunk on at most this many crops at a time (None: all at once).
        The result is the same; only speed differs (see `TorchBackend`).
        """
        def features(branch) -> torch.Tensor:
            if trunk_batch is None or trunk_batch >= len(search_crops):
                return branch.search(search_crops)
            return torch.cat([branch.search(chunk) for chunk in search_crops.split(trunk_batch)])

        return {name: branch.score(kernels[name], features(branch))[:, 0] for name, branch in self.branches().items()}

    @staticmethod
    def combine(maps: dict[str, torch.Tensor], lam: float) -> torch.Tensor:
        """h = lam * h_a + (1 - lam) * h_s (paper Eq. 5); one branch alone passes through."""
        if len(maps) == 1:
            return next(iter(maps.values()))
        return lam * maps["appearance"] + (1 - lam) * maps["semantic"]

    def state_to_save(self) -> dict[str, torch.Tensor]:
        """Trainable tensors of both branches (the frozen ImageNet backbone is not stored)."""
        tensors: dict[str, torch.Tensor] = {}
        if self.appearance is not None:
            tensors.update({f"appearance.{k}": v for k, v in self.appearance.state_dict().items()})
        if self.semantic is not None:
            tensors.update({f"semantic.{k}": v for k, v in self.semantic.trainable_state_dict().items()})
        return tensors
