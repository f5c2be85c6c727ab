"""SA-Siam's channel attention (paper Sec. 3.2, Fig. 3)."""
from __future__ import annotations

import torch
from torch import nn


def grid_boundaries(map_size: int, centre_cells: int) -> tuple[int, int, int, int]:
    """3x3 grid whose centre cell is exactly the exemplar region.

    22 cells with a 6-cell exemplar -> (0, 8, 14, 22); 24 with 8 -> (0, 8, 16, 24).
    """
    if centre_cells >= map_size or (map_size - centre_cells) % 2:
        raise ValueError(f"a {centre_cells}-cell centre does not sit symmetrically in {map_size} cells")
    start = (map_size - centre_cells) // 2
    return 0, start, start + centre_cells, map_size


def grid_max_pool(features: torch.Tensor, centre_cells: int) -> torch.Tensor:
    """N x C x H x H -> N x C x 9: the maximum of each cell of the 3x3 grid."""
    bounds = grid_boundaries(features.shape[-1], centre_cells)
    pooled = [
        features[..., bounds[r]:bounds[r + 1], bounds[c]:bounds[c + 1]].amax(dim=(-2, -1))
        for r in range(3)
        for c in range(3)
    ]
    return torch.stack(pooled, dim=-1)


class ChannelAttention(nn.Module):
    """Per-channel weight in [0.5, 1.5] from the exemplar-with-context feature map.

    The MLP (9 -> 9 ReLU -> 1) is shared by all channels of one layer; the
    output is sigmoid(.) + 0.5 so that no channel is suppressed to zero.
    """

    def __init__(self, centre_cells: int, hidden: int = 9) -> None:
        super().__init__()
        self.centre_cells = centre_cells
        self.mlp = nn.Sequential(nn.Linear(9, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, 1))

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """N x C x H x H -> weights N x C x 1 x 1."""
        weights = torch.sigmoid(self.mlp(grid_max_pool(features, self.centre_cells))) + 0.5
        return weights.unsqueeze(-1)
