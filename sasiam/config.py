"""Typed configuration. The defaults are the paper's values (see
../shared/reference/sa-siam-details.md); nothing here is mutable global state:
every object takes its config as an argument."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

# What --precision accepts (`backends/base.py` resolves "auto" for the running CPU).
PRECISION_CHOICES = ("fp32", "bf16", "int8", "auto")

Backbone = Literal["efficientnet_lite0", "alexnet"]
Branches = Literal["both", "appearance", "semantic"]

# The paper's weight of the appearance map, h = lam * h_a + (1 - lam) * h_s (Sec. 3.4); checkpoints carry
# the lambda picked on validation, which replaces this default.
DEFAULT_LAMBDA = 0.3


@dataclass(frozen=True)
class ModelConfig:
    """Shapes of the twofold network."""

    backbone: Backbone = "efficientnet_lite0"
    fusion_channels: int = 128          # per S-Net level; 2 x 128 = 256 like the A-Net
    conv4_scale: float = 0.1            # conv4 features are scaled before fusion (authors' code)
    attention_hidden: int = 9           # MLP 9 -> 9 -> 1, shared by the channels of a layer
    response_scale: float = 0.001       # score = 0.001 * xcorr + b, per branch
    # Table 1's ablation switches (both on in SA-Siam; both off is the paper's basic semantic model S1):
    multilevel: bool = True             # conv4 + conv5; False: conv5 alone, fused to 2 x fusion_channels
    attention: bool = True              # channel attention; False: every channel weight exactly 1


@dataclass(frozen=True)
class TrackerConfig:
    """SiamFC / SA-Siam inference constants."""

    exemplar_size: int = 127
    search_size: int = 255
    context_amount: float = 0.5
    total_stride: int = 8
    score_size: int = 17
    upscale: int = 16                   # 17x17 -> 272x272, bicubic
    num_scales: int = 3
    scale_step: float = 1.0375
    scale_penalty: float = 0.9745
    scale_damping: float = 0.59
    window_influence: float = 0.176
    min_scale: float = 0.2              # target size clamped to [0.2, 5] x the initial size
    max_scale: float = 5.0
    lam: float = DEFAULT_LAMBDA         # h = lam * h_a + (1 - lam) * h_s

    @property
    def upscaled_size(self) -> int:
        return self.score_size * self.upscale

    def scale_factors(self) -> tuple[float, ...]:
        half = (self.num_scales - 1) / 2
        return tuple(self.scale_step ** (i - half) for i in range(self.num_scales))


def replace(config: Any, **overrides: Any) -> Any:
    """A copy of a frozen config with some fields changed; unknown names are an error."""
    names = {f.name for f in dataclasses.fields(config)}
    unknown = set(overrides) - names
    if unknown:
        raise ValueError(f"unknown {type(config).__name__} field(s): {', '.join(sorted(unknown))}")
    return dataclasses.replace(config, **overrides)


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def from_dict(cls: type, values: dict[str, Any]) -> Any:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


__all__ = ["DEFAULT_LAMBDA", "ModelConfig", "TrackerConfig", "Backbone", "Branches", "replace", "to_dict", "from_dict", "field"]
