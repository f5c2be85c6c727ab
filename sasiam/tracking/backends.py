"""What runs the networks for the tracker: crops in (uint8 BGR, numpy), combined score maps out.

The tracking loop (`tracker.py`) only sees this interface, so the same loop drives
PyTorch (`TorchBackend`) or an exported graph (`sasiam.integrations.onnx`), and
one batched call serves many scales and many targets:

    kernels = backend.exemplar(context_crops)        # N x 255 x 255 x 3 -> opaque, batch N
    maps = backend.score_maps(kernels, search_crops)  # M x 255 x 255 x 3 -> M x 17 x 17 (numpy)

Kernel i scores the M/N consecutive search crops i*M/N .. (i+1)*M/N - 1 (the
scales of target i). `select(kernels, indices)` keeps some targets' kernels.
"""
from __future__ import annotations

from pathlib import Path
from typing import Protocol, Sequence

import numpy as np
import torch

from ..checkpoint import load_checkpoint
from ..config import Backbone, Branches, ModelConfig
from ..errors import InvalidOptionError
from ..models.factory import build_network, network_from_checkpoint
from ..models.sasiam_net import SASiamNet
from ..weights import default_weights_path

PRECISIONS = ("fp32", "bf16", "int8")
# "auto" picks one of PRECISIONS for the running CPU (`auto_precision`).
AUTO = "auto"
# CPU flags (Linux /proc/cpuinfo) that mean bf16 matrix arithmetic in hardware.
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "flags":
                return set(value.split())
    except OSError:
        pass
    return set()


def auto_precision(flags: set[str] | None = None) -> str:
    """bf16 where the CPU does bf16 in hardware (AVX-512 BF16 or AMX), else fp32.

    Elsewhere bf16 is emulated by conversions and is no faster. int8 is left out:
    it quantizes only the A-Net (see int8.py), and whether that pays off is for
    `sasiam bench --precision int8` on a quiet machine to show.
    """
    flags = cpu_flags() if flags is None else flags
    return "bf16" if any(flag in flags for flag in NATIVE_BF16_FLAGS) else "fp32"


def check_precision(precision: str) -> str:
    """The precision to run: one of PRECISIONS, with "auto" resolved for this CPU."""
    if precision == AUTO:
        return auto_precision()
    if precision not in PRECISIONS:
        raise InvalidOptionError(f"precision must be one of {', '.join(PRECISIONS + (AUTO,))}, got {precision!r}")
    return precision


class Backend(Protocol):
    lam: float

    def exemplar(self, context_crops: np.ndarray): ...

    def score_maps(self, kernels, search_crops: np.ndarray) -> np.ndarray: ...

    def select(self, kernels, indices: Sequence[int]): ...


def crops_to_tensor(crops: Sequence[np.ndarray] | np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """N x H x W x 3 uint8 crops -> N x 3 x H x W float32 (BGR, [0, 255])."""
    batch = torch.from_numpy(np.ascontiguousarray(np.stack(crops) if not isinstance(crops, np.ndarray) else crops))
    return batch.to(device).permute(0, 3, 1, 2).float()


def load_network(weights: str | Path | None, branches: Branches, snet_weights: str | Path | None = None,
                 backbone: Backbone | None = None) -> tuple[SASiamNet, float | None, list[str]]:
    """The network, the checkpoint's lambda, and the names of branches that are untrained."""
    path = Path(weights) if weights is not None else default_weights_path()
    if path is None:
        net = build_network(ModelConfig(backbone=backbone or "efficientnet_lite0"), branches, snet_weights).eval()
        return net, None, list(net.branches())
    checkpoint = load_checkpoint(path)
    net = network_from_checkpoint(checkpoint, branches, snet_weights, source=str(path), backbone=backbone)
    untrained = [name for name in net.branches() if not checkpoint.trained.get(name, False)]
    return net, checkpoint.lam, untrained


def repeat_per_group(kernels: torch.Tensor, total: int) -> torch.Tensor:
    """Kernel i repeated for its total / N consecutive search crops."""
    if total % kernels.shape[0]:
        raise ValueError(f"{total} search crops cannot be split among {kernels.shape[0]} kernels")
    return kernels.repeat_interleave(total // kernels.shape[0], dim=0)


class TorchBackend:
    """SASiamNet in PyTorch: fp32; bf16 autocast with channels-last (CPUs with AVX-512 BF16 / AMX);
    int8 A-Net (`int8.py`, CPU only, calibrated on real crops); or "auto" (`auto_precision`)."""

    def __init__(self, net: SASiamNet, lam: float, device: str | torch.device = "cpu", precision: str = "fp32",
                 per_target_trunks: bool | None = None) -> None:
        try:
            self.device = torch.device(device)
        except RuntimeError as error:
            raise InvalidOptionError(f"device {device!r}: {error}") from None
        if self.device.type == "cuda" and not torch.cuda.is_available():
            raise InvalidOptionError(f"device {device!r}: no CUDA device is available to this PyTorch "
                                     f"({torch.__version__}); use --device cpu")
        self.precision = check_precision(precision)
        # Many targets: on a CPU one batch of all N x 3 search crops through a trunk costs more per crop than
        # N batches of one target's 3 crops (measured on the 2-core AVX2 machine: S-Net 328 vs ~110-150 ms
        # per crop at 24 crops; activations of a big batch no longer fit in cache), so the trunks run one
        # target at a time there; the kernels stay stacked and the correlation stays one grouped conv.
        # A GPU gets the whole batch at once.
        self.per_target_trunks = self.device.type == "cpu" if per_target_trunks is None else per_target_trunks
        self.lam = float(lam)
        self.int8_info: dict | None = None
        if self.precision == "int8":
            if self.device.type != "cpu":
                raise InvalidOptionError("precision int8 runs on the CPU only")
            from .int8 import quantize_network

            net, self.int8_info = quantize_network(net)
        self.net = net.to(self.device).eval()
        if self.precision == "bf16":
            self.net.to(memory_format=torch.channels_last)

    def _autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.precision == "bf16")

    def _input(self, crops: np.ndarray) -> torch.Tensor:
        tensor = crops_to_tensor(crops, self.device)
        return tensor.contiguous(memory_format=torch.channels_last) if self.precision == "bf16" else tensor

    def exemplar(self, context_crops: np.ndarray) -> dict[str, torch.Tensor]:
        with self._autocast():
            return self.net.exemplar(self._input(context_crops))

    def branch_maps(self, kernels: dict[str, torch.Tensor], search_crops: np.ndarray) -> dict[str, torch.Tensor]:
        total = len(search_crops)
        targets = next(iter(kernels.values())).shape[0]
        kernels = {name: repeat_per_group(k, total) for name, k in kernels.items()}
        trunk_batch = total // targets if self.per_target_trunks else None
        with self._autocast():
            maps = self.net.responses(kernels, self._input(search_crops), trunk_batch)
        return {name: m.float() for name, m in maps.items()}

    def score_maps(self, kernels: dict[str, torch.Tensor], search_crops: np.ndarray) -> np.ndarray:
        return SASiamNet.combine(self.branch_maps(kernels, search_crops), self.lam).cpu().numpy()

    def select(self, kernels: dict[str, torch.Tensor], indices: Sequence[int]) -> dict[str, torch.Tensor]:
        index = torch.as_tensor(list(indices), dtype=torch.long, device=self.device)
        return {name: k.index_select(0, index) for name, k in kernels.items()}
