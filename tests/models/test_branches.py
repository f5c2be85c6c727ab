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


# -- Table 1's semantic variants (issue 17): multilevel and attention switched off ---------------------

VARIANTS = [(True, True), (True, False), (False, True), (False, False)]


@pytest.fixture(scope="module")
def variants(net):
    from sasiam.models.branches import SemanticBranch

    torch.manual_seed(2)
    return {(multilevel, attention): SemanticBranch(net.semantic.backbone,
                                                    ModelConfig(multilevel=multilevel, attention=attention)).eval()
            for multilevel, attention in VARIANTS}


@pytest.mark.parametrize("multilevel,attention", VARIANTS)
def test_semantic_variant_builds_and_runs_forward(variants, crops, multilevel, attention):
    branch = variants[multilevel, attention]
    names = {name.split(".")[0] for name in branch.trainable_state_dict()}
    assert ("fusion4" in names) == multilevel
    assert ("attention5" in names) == attention and ("attention4" in names) == (attention and multilevel)
    with torch.no_grad():
        kernel = branch.exemplar(crops[:1])
        score = branch.adjust(F.conv2d(branch.search(crops), kernel))
        training = branch(torch.rand(2, 3, 239, 239) * 255, torch.rand(2, 3, 239, 239) * 255)
    # the same channel count in every variant; conv5 alone keeps its own 6 x 6 cells (no padding to conv4's 8)
    assert kernel.shape == ((1, 256, 8, 8) if multilevel else (1, 256, 6, 6))
    assert score.shape == (3, 1, 17, 17) and torch.isfinite(score).all()
    assert training.shape == (2, 1, 15, 15) and torch.isfinite(training).all()


@pytest.mark.parametrize("multilevel", [True, False])
def test_attention_off_weights_every_channel_exactly_one(variants, crops, multilevel):
    branch = variants[multilevel, False]
    with torch.no_grad():
        weights4, weights5 = branch.attention_weights(crops[:1])
    assert torch.equal(weights4, torch.ones_like(weights4)) and torch.equal(weights5, torch.ones_like(weights5))
    # and the kernel is the unweighted fusion of the centre cells
    with torch.no_grad():
        conv4, conv5 = branch.backbone(crops[:1])
        kernel = branch.exemplar(crops[:1])
        fused5 = branch.fusion5(conv5[..., 8:14, 8:14])
        if multilevel:
            expected = torch.cat([branch.fusion4(conv4[..., 8:16, 8:16] * 0.1), F.pad(fused5, (1, 1, 1, 1))], 1)
        else:
            expected = fused5
    assert torch.allclose(kernel, expected, atol=1e-5)


def test_attention_on_is_not_one(variants, crops):
    with torch.no_grad():
        _, weights5 = variants[True, True].attention_weights(crops[:1])
    assert not torch.equal(weights5, torch.ones_like(weights5))


@pytest.mark.parametrize("multilevel,attention", [(False, False), (True, False)])
def test_variant_checkpoint_round_trip(tmp_path, variants, multilevel, attention):
    from sasiam.checkpoint import load_checkpoint, save_checkpoint
    from sasiam.models.factory import network_from_checkpoint
    from sasiam.models.sasiam_net import SASiamNet

    config = ModelConfig(multilevel=multilevel, attention=attention)
    branch = variants[multilevel, attention]
    path = save_checkpoint(tmp_path / "variant.safetensors", SASiamNet(None, branch, config).state_to_save(),
                           config, lam=0.3, trained={"semantic": True})
    loaded = network_from_checkpoint(load_checkpoint(path), "semantic")
    assert loaded.semantic.multilevel == multilevel and loaded.semantic.use_attention == attention
    crops = torch.rand(1, 3, 255, 255) * 255
    with torch.no_grad():
        assert torch.allclose(loaded.semantic.exemplar(crops), branch.exemplar(crops), atol=1e-5)
