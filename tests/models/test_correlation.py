import torch
import torch.nn.functional as F

from sasiam.models.correlation import ScoreAdjust, cross_correlate


def test_grouped_correlation_equals_one_conv_per_pair():
    torch.manual_seed(0)
    search = torch.randn(3, 16, 22, 22)
    kernels = torch.randn(3, 16, 6, 6)
    out = cross_correlate(search, kernels)
    assert out.shape == (3, 1, 17, 17)
    for i in range(3):
        assert torch.allclose(out[i], F.conv2d(search[i:i + 1], kernels[i:i + 1])[0], atol=1e-4)


def test_adjust_is_scale_plus_bias():
    adjust = ScoreAdjust(0.001)
    with torch.no_grad():
        adjust.bias.fill_(-2.0)
    assert torch.allclose(adjust(torch.tensor([1000.0])), torch.tensor([-1.0]))
