import pytest
import torch

from sasiam.models.appearance import AppearanceNet
from sasiam.models.branches import AppearanceBranch


@pytest.fixture(scope="module")
def anet():
    torch.manual_seed(0)
    return AppearanceNet().eval()


@pytest.mark.parametrize("size, cells", [(127, 6), (239, 20), (255, 22)])
def test_anet_output_sizes(anet, size, cells):
    with torch.no_grad():
        assert anet(torch.rand(1, 3, size, size) * 255).shape == (1, 256, cells, cells)


def test_anet_matches_siamfc_structure(anet):
    convs = [m for m in anet.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [96, 256, 384, 384, 256]
    assert [c.groups for c in convs] == [1, 2, 1, 2, 2]
    assert convs[0].stride == (2, 2)
    # conv5 is the last module: no BN or ReLU after it
    assert isinstance(anet.features[-1], torch.nn.Conv2d)
    assert 2.2e6 < sum(p.numel() for p in anet.parameters()) < 2.4e6


def test_exemplar_is_the_centre_of_the_255_map():
    torch.manual_seed(0)
    branch = AppearanceBranch().eval()
    crop = torch.rand(1, 3, 255, 255) * 255
    with torch.no_grad():
        full = branch.net(crop)
        kernel = branch.exemplar(crop)
        scores = branch.score(kernel, branch.search(torch.cat([crop] * 3)))
    assert kernel.shape == (1, 256, 6, 6)
    assert torch.equal(kernel, full[..., 8:14, 8:14])
    assert scores.shape == (3, 1, 17, 17)
    # the exemplar correlated with its own frame peaks at zero displacement
    assert scores[0, 0].argmax().item() == 8 * 17 + 8
