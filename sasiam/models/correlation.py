"""Cross-correlation of exemplar kernels over search feature maps."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def cross_correlate(search: torch.Tensor, kernels: torch.Tensor) -> torch.Tensor:
    """Correlate search map i with kernel i, for every i, in one grouped conv.

    search: N x C x H x W, kernels: N x C x k x k -> N x 1 x (H - k + 1) x (W - k + 1).
    """
    n, c, h, w = search.shape
    if kernels.shape[0] != n or kernels.shape[1] != c:
        raise ValueError(f"kernels {tuple(kernels.shape)} do not match search maps {tuple(search.shape)}")
    out = F.conv2d(search.reshape(1, n * c, h, w), kernels, groups=n)
    return out.reshape(n, 1, out.shape[-2], out.shape[-1])


class ScoreAdjust(nn.Module):
    """score = scale * xcorr + b: keeps the logistic loss in a sane range (SiamFC's 0.001)."""

    def __init__(self, scale: float = 0.001) -> None:
        super().__init__()
        self.scale = scale
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, correlation: torch.Tensor) -> torch.Tensor:
        return correlation * self.scale + self.bias
