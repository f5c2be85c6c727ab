"""Build backbones and the twofold network from names (the one place that knows them all)."""
from __future__ import annotations

from pathlib import Path

from ..config import Backbone, Branches, ModelConfig
from .backbones.base import SemanticBackbone
from .sasiam_net import SASiamNet

BACKBONES = ("efficientnet_lite0", "alexnet")


def build_backbone(name: Backbone, snet_weights: str | Path | None = None, pretrained: bool = True) -> SemanticBackbone:
    """The frozen S-Net. `alexnet` needs `snet_weights` (its ImageNet weights cannot be downloaded here)."""
    if name == "efficientnet_lite0":
        from .backbones.efficientnet_lite import EfficientNetLite0Backbone

        return EfficientNetLite0Backbone(pretrained=pretrained)
    if name == "alexnet":
        from .backbones.alexnet import AlexNetBackbone

        if snet_weights is not None:
            return AlexNetBackbone.from_file(snet_weights)
        if pretrained:
            raise FileNotFoundError(
                "the alexnet S-Net needs ImageNet AlexNet weights, which cannot be downloaded here: "
                "pass snet_weights= (torchvision's alexnet-owt-7be5be79.pth or a caffenet .npy)"
            )
        return AlexNetBackbone().freeze()
    raise ValueError(f"unknown backbone {name!r}; choose one of {', '.join(BACKBONES)}")


def build_network(
    config: ModelConfig = ModelConfig(), branches: Branches = "both",
    snet_weights: str | Path | None = None, pretrained_backbone: bool = True,
) -> SASiamNet:
    from .branches import AppearanceBranch, SemanticBranch

    if branches not in ("both", "appearance", "semantic"):
        raise ValueError(f"branches must be both, appearance or semantic, got {branches!r}")
    appearance = AppearanceBranch(config) if branches in ("both", "appearance") else None
    semantic = None
    if branches in ("both", "semantic"):
        semantic = SemanticBranch(build_backbone(config.backbone, snet_weights, pretrained_backbone), config)
    return SASiamNet(appearance, semantic, config)


def network_from_checkpoint(checkpoint, branches: Branches = "both", snet_weights: str | Path | None = None,
                            source: str = "checkpoint", backbone: Backbone | None = None) -> SASiamNet:
    """Build the network a checkpoint describes and load its tensors strictly."""
    from ..errors import CheckpointError

    if backbone is not None and backbone != checkpoint.model_config.backbone:
        raise CheckpointError(
            f"{source}: trained for the {checkpoint.model_config.backbone} S-Net, not {backbone}"
        )
    net = build_network(checkpoint.model_config, branches, snet_weights)
    for name, branch in net.branches().items():
        if name not in checkpoint.branches:
            raise CheckpointError(f"{source}: has no {name} branch (it holds: {', '.join(sorted(checkpoint.branches))})")
        state = checkpoint.branch_state(name)
        expected = branch.trainable_state_dict() if name == "semantic" else branch.state_dict()
        missing = sorted(set(expected) - set(state))
        unexpected = sorted(set(state) - set(expected))
        wrong_shape = sorted(k for k in set(state) & set(expected) if state[k].shape != expected[k].shape)
        if missing or unexpected or wrong_shape:
            raise CheckpointError(
                f"{source}: {name} branch does not fit this model "
                f"(missing {missing[:3]}, unexpected {unexpected[:3]}, wrong shape {wrong_shape[:3]}); "
                "was it made for another backbone?"
            )
        branch.load_state_dict(state, strict=False)
    return net.eval()
