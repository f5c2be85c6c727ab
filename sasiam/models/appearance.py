"""A-Net: SiamFC's AlexNet-like embedding, trained from scratch (appearance branch)."""
from __future__ import annotations

from torch import nn

# SiamFC's batch-norm settings (momentum 0.05 in PyTorch's sense, eps 1e-6).
_BN = dict(eps=1e-6, momentum=0.05)


def _conv_bn_relu(cin: int, cout: int, kernel: int, stride: int = 1, groups: int = 1) -> list[nn.Module]:
    return [nn.Conv2d(cin, cout, kernel, stride, groups=groups), nn.BatchNorm2d(cout, **_BN), nn.ReLU(inplace=True)]


class AppearanceNet(nn.Module):
    """127 -> 6x6x256, 239 -> 20x20x256, 255 -> 22x22x256 (valid convolutions, total stride 8)."""

    out_channels = 256
    exemplar_cells = 6

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            *_conv_bn_relu(3, 96, 11, stride=2),
            nn.MaxPool2d(3, 2),
            *_conv_bn_relu(96, 256, 5, groups=2),
            nn.MaxPool2d(3, 2),
            *_conv_bn_relu(256, 384, 3),
            *_conv_bn_relu(384, 384, 3, groups=2),
            # conv5 is bare: no BN, no ReLU (SiamFC)
            nn.Conv2d(384, 256, 3, groups=2),
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, crops_bgr):
        """Crops: N x 3 x S x S raw BGR pixel values in [0, 255] (SiamFC feeds them unnormalised)."""
        return self.features(crops_bgr)
