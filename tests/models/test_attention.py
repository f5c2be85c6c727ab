import pytest
import torch

from sasiam.models.attention import ChannelAttention, grid_boundaries, grid_max_pool


def test_grid_boundaries_are_the_authors():
    assert grid_boundaries(22, 6) == (0, 8, 14, 22)
    assert grid_boundaries(24, 8) == (0, 8, 16, 24)
    assert grid_boundaries(20, 6) == (0, 7, 13, 20)  # conv5 on a 239 training crop
    with pytest.raises(ValueError):
        grid_boundaries(22, 7)


def test_grid_max_pool_picks_each_cell_maximum():
    features = torch.zeros(1, 2, 22, 22)
    features[0, 0, 10, 10] = 5.0   # centre cell (rows/cols 8..13)
    features[0, 1, 0, 21] = 3.0    # top-right cell
    pooled = grid_max_pool(features, 6)
    assert pooled.shape == (1, 2, 9)
    assert pooled[0, 0].tolist() == [0, 0, 0, 0, 5, 0, 0, 0, 0]
    assert pooled[0, 1].tolist() == [0, 0, 3, 0, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("seed", range(5))
def test_attention_weights_lie_in_half_to_one_and_a_half(seed):
    torch.manual_seed(seed)
    attention = ChannelAttention(6)
    for layer in attention.mlp:
        if isinstance(layer, torch.nn.Linear):
            torch.nn.init.normal_(layer.weight, std=1.0)
    # large activations push the sigmoid to both ends: the bounds must still hold
    weights = attention(torch.randn(2, 64, 22, 22) * torch.logspace(-1, 2, 64).view(1, 64, 1, 1))
    assert weights.shape == (2, 64, 1, 1)
    assert weights.min() >= 0.5 and weights.max() <= 1.5
    assert weights.max() - weights.min() > 0.1  # not a constant


def test_mlp_is_shared_across_channels():
    attention = ChannelAttention(8)
    assert sum(p.numel() for p in attention.parameters()) == 9 * 9 + 9 + 9 + 1
