"""The two Siamese branches of SA-Siam, each a complete similarity network.

Both take the exemplar as the *large* context crop (255 px when tracking, 239
in training) and cut the exemplar features out of its feature map, as the
authors' code does. Each branch has its own adjust bias and is trained on its
own; `SASiamNet` only combines their score maps.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..config import ModelConfig
from .appearance import AppearanceNet
from .attention import ChannelAttention
from .backbones.base import SemanticBackbone, center_crop
from .correlation import ScoreAdjust, cross_correlate

# Exemplar cells cut from the centre of each level (conv4: 8x8, conv5: 6x6).
SEMANTIC_EXEMPLAR_CELLS = (8, 6)


class SiameseBranch(nn.Module):
    """exemplar(crops) -> kernels; search(crops) -> maps; score(kernels, maps) -> adjusted maps."""

    def exemplar(self, context_crops: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def search(self, search_crops: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def score(self, kernels: torch.Tensor, search_maps: torch.Tensor) -> torch.Tensor:
        """Kernels N x C x k x k (or 1 x ..., broadcast over the N search maps)."""
        if kernels.shape[0] == 1 and search_maps.shape[0] > 1:
            kernels = kernels.expand(search_maps.shape[0], -1, -1, -1)
        # The correlation sums ~16k products: done in fp32 even under bf16 autocast (it is cheap).
        with torch.autocast(search_maps.device.type, enabled=False):
            return self.adjust(cross_correlate(search_maps.float(), kernels.float()))

    def forward(self, exemplar_crops: torch.Tensor, search_crops: torch.Tensor) -> torch.Tensor:
        return self.score(self.exemplar(exemplar_crops), self.search(search_crops))


class AppearanceBranch(SiameseBranch):
    def __init__(self, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        self.net = AppearanceNet()
        self.adjust = ScoreAdjust(config.response_scale)

    def exemplar(self, context_crops: torch.Tensor) -> torch.Tensor:
        return center_crop(self.net(context_crops), AppearanceNet.exemplar_cells)

    def search(self, search_crops: torch.Tensor) -> torch.Tensor:
        return self.net(search_crops)


class SemanticBranch(SiameseBranch):
    """Frozen S-Net + channel attention (exemplar only) + 1x1 fusion per level.

    `config.multilevel` False keeps conv5 alone (fused to as many channels as both levels give), and
    `config.attention` False weights every channel exactly 1: the ablations of the paper's Table 1.
    Those variants have no tensors for what they leave out."""

    def __init__(self, backbone: SemanticBackbone, config: ModelConfig = ModelConfig()) -> None:
        super().__init__()
        self.backbone = backbone.freeze()
        self.conv4_scale = config.conv4_scale
        self.multilevel = config.multilevel
        self.use_attention = config.attention
        channels4, channels5 = backbone.level_channels
        cells4, cells5 = SEMANTIC_EXEMPLAR_CELLS
        if self.multilevel:
            self.fusion4 = nn.Conv2d(channels4, config.fusion_channels, 1)
            if self.use_attention:
                self.attention4 = ChannelAttention(cells4, config.attention_hidden)
        if self.use_attention:
            self.attention5 = ChannelAttention(cells5, config.attention_hidden)
        self.fusion5 = nn.Conv2d(channels5, config.fusion_channels * (1 if self.multilevel else 2), 1)
        self.adjust = ScoreAdjust(config.response_scale)

    def trainable_state_dict(self) -> dict[str, torch.Tensor]:
        """Everything but the frozen backbone: what a checkpoint stores."""
        return {k: v for k, v in self.state_dict().items() if not k.startswith("backbone.")}

    def _fuse(self, conv4: torch.Tensor, conv5: torch.Tensor) -> torch.Tensor:
        fused5 = self.fusion5(conv5)
        if not self.multilevel:
            return fused5
        fused4 = self.fusion4(conv4 * self.conv4_scale)
        # conv5 is one cell smaller on each side: zero-pad it to conv4's size after fusion
        margin = (fused4.shape[-1] - fused5.shape[-1]) // 2
        return torch.cat([fused4, F.pad(fused5, (margin,) * 4)], dim=1)

    def attention_from_features(self, conv4: torch.Tensor, conv5: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-channel weights N x C x 1 x 1 of each level from the exemplar-with-context maps (exactly 1
        where attention is off, and for conv4 when it is not used)."""
        def ones(features: torch.Tensor) -> torch.Tensor:
            return features.new_ones(features.shape[0], features.shape[1], 1, 1)

        if not self.use_attention:
            return ones(conv4), ones(conv5)
        return (self.attention4(conv4) if self.multilevel else ones(conv4)), self.attention5(conv5)

    def exemplar_from_features(self, conv4: torch.Tensor, conv5: torch.Tensor) -> torch.Tensor:
        cells4, cells5 = SEMANTIC_EXEMPLAR_CELLS
        weights4, weights5 = self.attention_from_features(conv4, conv5)
        return self._fuse(center_crop(conv4, cells4) * weights4, center_crop(conv5, cells5) * weights5)

    def search_from_features(self, conv4: torch.Tensor, conv5: torch.Tensor) -> torch.Tensor:
        return self._fuse(conv4, conv5)

    def exemplar(self, context_crops: torch.Tensor) -> torch.Tensor:
        return self.exemplar_from_features(*self.backbone(context_crops))

    def search(self, search_crops: torch.Tensor) -> torch.Tensor:
        return self.search_from_features(*self.backbone(search_crops))

    def attention_weights(self, context_crops: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.attention_from_features(*self.backbone(context_crops))
