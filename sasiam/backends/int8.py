"""int8 inference for `TorchBackend(precision="int8")`: post-training static quantization of the A-Net.

Why: the CNN trunks are nearly all of a frame's multiply-adds, and int8
convolutions do up to twice (AVX2, pmaddubsw) to four times (AVX-512 VNNI / AMX)
the fp32 work per cycle. PyTorch's FX graph quantization runs them with no extra
dependency. torch 2.13 marks `torch.ao.quantization` deprecated (its PT2E successor
lives in torchao and needs torch.compile), but FX quantization and the quantized
oneDNN / fbgemm kernels are still there, and are what runs here.

What is quantized: the A-Net only, BN folded, per-channel symmetric weights and
per-tensor uint8 activations (histogram calibration); the input pixels are held
exactly (see `QuantizedANet`). The S-Net stays fp32: post-training int8 of the
dilated EfficientNet-Lite0 trunk (per-tensor activations after its depthwise
layers, even with ReLU6 outputs pinned to [0, 6] and exact input) came out 22 %
off after one block and ~25 % on the two levels (relative L2), too far to keep
the semantic map; that needs per-channel activation equalization or
quantization-aware training. The 1x1 fusion, attention, correlation and
everything after are fp32 too.

Calibration uses real crops, which the caller passes in (`Calibration`, base.py); the
tracker's default (`sasiam/tracking/calibration.py`) is the three search scales around the
ground-truth box of frames of the training split's sequences, else frames of the bundled
demo clip (real photographs). The calibrated observers are cached on disk (`cache_dir()`),
keyed by the A-Net's weights and the crops' source, so only the first int8 tracker pays.
"""
from __future__ import annotations

import copy
import hashlib
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..files import atomic_write, user_cache
from ..models.appearance import AppearanceNet
from ..models.sasiam_net import SASiamNet
from .base import Calibration

# oneDNN first: on this AVX2 CPU its int8 grouped convs ran the A-Net faster than fbgemm's.
ENGINES = ("onednn", "x86", "fbgemm")
WEIGHT_QMAX = 63
CALIBRATION_BATCH = 3
CACHE_VERSION = 1


def cache_dir() -> Path:
    return user_cache("int8")


# -- quantization ----------------------------------------------------------------------------------

def _qconfig_mapping():
    from torch.ao.quantization import HistogramObserver, PerChannelMinMaxObserver, QConfig, QConfigMapping

    # 7-bit weights (|q| <= 63) with 8-bit activations: on AVX2 without VNNI the u8 x s8 kernels add
    # pairs of products in int16, which 255 * 127 * 2 overflows (measured on a real crop through the
    # S-Net stem: 8 % (fbgemm) and 13 % (oneDNN) error with 8-bit weights, 2.6 % with 7-bit, as
    # simulated in fp32); 255 * 63 * 2 does not.
    weight = PerChannelMinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_channel_symmetric,
                                                quant_min=-WEIGHT_QMAX, quant_max=WEIGHT_QMAX)
    return QConfigMapping().set_global(QConfig(activation=HistogramObserver.with_args(reduce_range=False),
                                               weight=weight))


def quantized_engine() -> str:
    supported = torch.backends.quantized.supported_engines
    for engine in ENGINES:
        if engine in supported:
            return engine
    raise RuntimeError(f"int8 needs one of PyTorch's quantized engines {ENGINES}; this build has {supported}")


def _prepare(module: nn.Module, example: torch.Tensor) -> nn.Module:
    from torch.ao.quantization.fx.custom_config import PrepareCustomConfig
    from torch.ao.quantization.quantize_fx import prepare_fx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the deprecation notice of torch.ao.quantization
        # input 0 arrives quantized (see QuantizedANet): no observer, no rounding of the pixels
        return prepare_fx(copy.deepcopy(module).eval(), _qconfig_mapping(), example_inputs=(example,),
                          prepare_custom_config=PrepareCustomConfig().set_input_quantized_indexes([0]))


def _convert(prepared: nn.Module) -> nn.Module:
    from torch.ao.quantization.quantize_fx import convert_fx

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecation notices of torch.ao.quantization and quantized dtypes
        return convert_fx(prepared)


class QuantizedANet(nn.Module):
    """The int8 A-Net. Its input, raw BGR values 0..255 (integers: crops are uint8), is held exactly
    by quint8 with scale 1 and zero point 0, so quantizing it loses nothing."""

    out_channels = AppearanceNet.out_channels
    exemplar_cells = AppearanceNet.exemplar_cells

    def __init__(self, graph: nn.Module) -> None:
        super().__init__()
        self.graph = graph

    def forward(self, crops_bgr: torch.Tensor) -> torch.Tensor:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch 2.13's notice that quantized dtypes are deprecated
            quantized = torch.quantize_per_tensor(crops_bgr.float(), 1.0, 0, torch.quint8)
        return self.graph(quantized)


def _fingerprint(module: nn.Module, source: str) -> str:
    digest = hashlib.sha256(f"v{CACHE_VERSION} torch {torch.__version__} {source}".encode())
    for key, value in module.state_dict().items():
        digest.update(key.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()[:24]


_MEMORY_CACHE: dict[str, dict] = {}


def _load_cached(path: Path, key: str) -> dict | None:
    if key in _MEMORY_CACHE:
        return _MEMORY_CACHE[key]
    if path.is_file():
        try:
            return torch.load(path, weights_only=True)
        except Exception:  # a damaged cache file is recomputed, never trusted
            return None
    return None


def _store(path: Path, key: str, state: dict) -> None:
    _MEMORY_CACHE[key] = state
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda temporary: torch.save(state, temporary))
    except (OSError, RuntimeError):  # torch.save's C++ writer raises RuntimeError when it cannot write
        pass  # a read-only or full cache only costs a recalibration next time


def quantize_network(net: SASiamNet, calibration: Calibration | np.ndarray,
                     use_cache: bool = True) -> tuple[SASiamNet, dict]:
    """A copy of `net` whose A-Net runs int8, and facts about the calibration.

    `calibration`: the crops to calibrate on (a `Calibration`, or N x 255 x 255 x 3 uint8 crops).
    A network without an appearance branch is returned as it is (the S-Net stays fp32).
    """
    if not isinstance(calibration, Calibration):
        calibration = Calibration.of_crops(calibration)
    net = net.cpu().eval()
    engine = quantized_engine()
    torch.backends.quantized.engine = engine
    info: dict = {"engine": engine, "quantized": [], "weights": f"per-channel symmetric, |q| <= {WEIGHT_QMAX}",
                  "activations": "per-tensor quint8, histogram calibration"}
    if net.appearance is None:
        return net, info
    anet = net.appearance.net
    prepared = _prepare(anet, torch.zeros(1, 3, 255, 255))
    # the crops' source is in the key: the cache must not mix up calibrations on other crops
    key = _fingerprint(anet, f"{engine} {calibration.source}")
    path = cache_dir() / f"anet-{key}.pt"
    state = _load_cached(path, key) if use_cache else None
    if state is not None:
        prepared.load_state_dict({**prepared.state_dict(), **state["observers"]})
        info.update(state["info"], cached=True)
    else:
        crops, described = calibration.load()
        # uint8 NHWC -> float NCHW, as the tracker feeds the A-Net
        batch = torch.from_numpy(np.ascontiguousarray(crops)).permute(0, 3, 1, 2).float()
        with torch.no_grad():
            for start in range(0, len(batch), CALIBRATION_BATCH):
                prepared(batch[start:start + CALIBRATION_BATCH])
        facts = {"calibration": described, "crops": int(len(crops))}
        info.update(facts, cached=False)
        if use_cache:
            observers = {k: v for k, v in prepared.state_dict().items() if "activation_post_process" in k}
            _store(path, key, {"observers": observers, "info": facts})
    quantized = copy.deepcopy(net)
    quantized.appearance.net = QuantizedANet(_convert(prepared))
    info["quantized"] = ["appearance.net (A-Net)"]
    return quantized.eval(), info


__all__ = ["quantize_network", "quantized_engine", "QuantizedANet", "cache_dir"]
