"""The interface every frozen S-Net backbone implements.

SA-Siam reads two deep feature levels from an ImageNet classifier (AlexNet's
conv4 and conv5 in the paper). Whatever the backbone, it must hand the
semantic branch two maps on the same 8-pixel grid as the A-Net, cropped to the
sizes AlexNet gives in the SiamFC geometry, so that one attention layout and
one correlation serve every backbone:

    input side S (255 at tracking time, 239 in training)
    level 0 ("conv4"): (S - 255) / 8 + 24 cells per side
    level 1 ("conv5"): (S - 255) / 8 + 22 cells per side
"""
from __future__ import annotations

import torch
from torch import nn

TOTAL_STRIDE = 8
REFERENCE_SEARCH_SIZE = 255
LEVEL_SIZES_AT_REFERENCE = (24, 22)


def level_sizes(input_size: int) -> tuple[int, int]:
    """Side of each feature level for a square input of `input_size` pixels."""
    offset, remainder = divmod(input_size - REFERENCE_SEARCH_SIZE, TOTAL_STRIDE)
    if remainder:
        raise ValueError(f"input size {input_size} is not 255 + a multiple of {TOTAL_STRIDE}")
    return tuple(size + offset for size in LEVEL_SIZES_AT_REFERENCE)  # type: ignore[return-value]


def center_crop(features: torch.Tensor, size: int) -> torch.Tensor:
    """Central `size` x `size` window of an NCHW map (symmetric when the margin is even)."""
    height, width = features.shape[-2:]
    if size > min(height, width):
        raise ValueError(f"cannot crop {size} cells out of a {height}x{width} map")
    top = (height - size) // 2
    left = (width - size) // 2
    return features[..., top:top + size, left:left + size]


class SemanticBackbone(nn.Module):
    """A frozen classification CNN that returns two feature levels.

    Subclasses set `name` and `level_channels` and implement `extract`, which
    takes crops as float tensors N x 3 x S x S holding **BGR pixel values in
    [0, 255]** (OpenCV order, no normalisation: each backbone applies its own)
    and returns the two levels, already cropped to `level_sizes(S)`.
    """

    name: str = "base"
    level_channels: tuple[int, int] = (0, 0)

    def extract(self, crops_bgr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def forward(self, crops_bgr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        conv4, conv5 = self.extract(crops_bgr)
        size4, size5 = level_sizes(crops_bgr.shape[-1])
        return center_crop(conv4, size4), center_crop(conv5, size5)

    def freeze(self) -> "SemanticBackbone":
        """The S-Net is never trained (paper, Sec. 3.3): no gradients, BN in eval mode."""
        for parameter in self.parameters():
            parameter.requires_grad_(False)
        self.eval()
        return self

    def train(self, mode: bool = True) -> "SemanticBackbone":
        # Frozen for good: a parent module's .train() must not switch BN to batch statistics.
        return super().train(False)
