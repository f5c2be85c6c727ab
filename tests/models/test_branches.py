"""The semantic branch and the twofold network on the real (frozen, ImageNet) default backbone."""
import pytest
import torch
import torch.nn.functional as F

from sasiam.config import ModelConfig
from sasiam.models.backbones.base import center_crop
from sasiam.models.factory import build_network


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return build_network(ModelConfig(), branches="both").eval()


@pytest.fixture(scope="module")
def crops():
    torch.manual_seed(1)
    return torch.rand(3, 3, 255, 255) * 255


def test_semantic_exemplar_is_the_attended_centre_of_the_255_maps(net, crops):
    semantic = net.semantic
    with torch.no_grad():
        conv4, conv5 = semantic.backbone(crops[:1])
        kernel = semantic.exemplar(crops[:1])
        weights4, weights5 = semantic.attention4(conv4), semantic.attention5(conv5)
        expected4 = semantic.fusion4(conv4[..., 8:16, 8:16] * weights4 * 0.1)
        expected5 = F.pad(semantic.fusion5(conv5[..., 8:14, 8:14] * weights5), (1, 1, 1, 1))
    assert conv4.shape[-1] == 24 and conv5.shape[-1] == 22
    assert kernel.shape == (1, 256, 8, 8)
    assert torch.allclose(kernel, torch.cat([expected4, expected5], 1), atol=1e-5)
    # the padding ring of the conv5 half is exactly zero
    assert kernel[:, 128:, 0].abs().max() == 0 and kernel[:, 128:, :, -1].abs().max() == 0


def test_every_branch_gives_17x17_per_scale_at_tracking_time(net, crops):
    kernels = net.exemplar(crops[:1])
    maps = net.responses(kernels, crops)
    assert set(maps) == {"appearance", "semantic"}
    for value in maps.values():
        assert value.shape == (3, 17, 17) and torch.isfinite(value).all()
    combined = net.combine(maps, 0.3)
    assert torch.allclose(combined, 0.3 * maps["appearance"] + 0.7 * maps["semantic"])


def test_trunks_run_in_chunks_give_the_maps_of_one_batch(net, crops):
    kernels = net.exemplar(crops[:1])
    whole = net.responses(kernels, crops)
    for trunk_batch in (1, 2):
        chunked = net.responses(kernels, crops, trunk_batch=trunk_batch)
        for name, value in whole.items():
            assert torch.allclose(chunked[name], value, atol=1e-4), (name, trunk_batch)


def test_training_geometry_gives_15x15(net):
    crops239 = torch.rand(2, 3, 239, 239) * 255
    with torch.no_grad():
        for branch in net.branches().values():
            assert branch(crops239, crops239).shape == (2, 1, 15, 15)


def test_attention_weights_in_range_on_real_features(net, crops):
    with torch.no_grad():
        for weights in net.semantic.attention_weights(crops):
            assert weights.min() >= 0.5 and weights.max() <= 1.5


def test_only_attention_fusion_and_bias_are_trainable(net):
    trainable = {name for name, p in net.semantic.named_parameters() if p.requires_grad}
    assert trainable and all(name.split(".")[0] in {"attention4", "attention5", "fusion4", "fusion5", "adjust"}
                             for name in trainable)
    assert not any(p.requires_grad for p in net.semantic.backbone.parameters())


def test_center_crop():
    features = torch.arange(32 * 32.0).reshape(1, 1, 32, 32)
    assert torch.equal(center_crop(features, 22), features[..., 5:27, 5:27])
