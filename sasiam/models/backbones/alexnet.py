"""The paper's S-Net: an ImageNet AlexNet in SiamFC's geometry.

SA-Siam's semantic branch runs a frozen ImageNet AlexNet whose conv1 stride is
2 instead of 4 and whose convolutions have no padding (valid, as in SiamFC), so
that its conv4 and conv5 sit on the same 8-pixel grid as the A-Net:

    conv1 11x11/2 - ReLU - pool 3/2 [- LRN] - conv2 5x5 - ReLU - pool 3/2 [- LRN]
    - conv3 3x3 - ReLU - conv4 3x3 - ReLU (level 0) - conv5 3x3 - ReLU (level 1)

    255 -> conv4 24x24, conv5 22x22;   239 -> 22x22 and 20x20.

Two ImageNet weight layouts are supported, both read from a file the user
supplies (nothing can be downloaded):

* ``"torchvision"``: torchvision's ``alexnet`` state dict (alexnet-owt-7be5be79.pth,
  or a ``.safetensors`` copy). 64-192-384-256-256 channels, no groups, no LRN;
  input RGB / 255 normalised with the ImageNet mean and std.
* ``"caffenet"``: the bvlc_alexnet.npy / caffenet.npy dict used by TensorFlow
  AlexNet ports (SA-Siam's own code among them), weights in TensorFlow layout
  (kh, kw, in_per_group, out). 96-256-384-384-256 channels, conv2/4/5 in two
  groups, LRN after pool1 and pool2; input BGR [0, 255] minus (104, 117, 123).

`.npy` files hold a pickled object array; they are read with a restricted
unpickler that only rebuilds numpy arrays, dicts and lists, never
``allow_pickle=True``, so a crafted file cannot run code.
"""
from __future__ import annotations

import collections
import codecs
import pickle
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from sasiam.errors import CheckpointError, SASiamError
from sasiam.models.backbones.base import SemanticBackbone

__all__ = ["AlexNetBackbone", "AlexNetWeightsNotFoundError", "LAYOUTS"]

CONV_NAMES = ("conv1", "conv2", "conv3", "conv4", "conv5")


@dataclass(frozen=True)
class _Layout:
    channels: tuple[int, int, int, int, int]
    groups: tuple[int, int, int, int, int]
    lrn: bool


LAYOUTS: dict[str, _Layout] = {
    "caffenet": _Layout(channels=(96, 256, 384, 384, 256), groups=(1, 2, 1, 2, 2), lrn=True),
    "torchvision": _Layout(channels=(64, 192, 384, 256, 256), groups=(1, 1, 1, 1, 1), lrn=False),
}
_KERNELS = (11, 5, 3, 3, 3)

# torchvision's `features` indices of the five convolutions.
_TORCHVISION_KEYS = {f"features.{index}": name for index, name in zip((0, 3, 6, 8, 10), CONV_NAMES)}

CAFFE_MEAN_BGR = (104.0, 117.0, 123.0)
IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)
IMAGENET_STD_RGB = (0.229, 0.224, 0.225)

_MISSING_WEIGHTS_HELP = (
    "AlexNet ImageNet weights cannot be downloaded here and must be supplied: "
    "torchvision's alexnet-owt-7be5be79.pth (or a .safetensors copy) or a caffenet / "
    "bvlc_alexnet .npy in TensorFlow layout"
)


class AlexNetWeightsNotFoundError(SASiamError, FileNotFoundError):
    """The AlexNet weights file the user named does not exist."""


class AlexNetBackbone(SemanticBackbone):
    """ImageNet AlexNet (stride-2 conv1, no padding) returning conv4 and conv5 after ReLU.

    `AlexNetBackbone(layout)` builds a randomly initialised network (useful for
    tests); `AlexNetBackbone.from_file(path)` detects the layout from the file,
    loads the weights strictly and freezes the network.
    """

    name = "alexnet"

    def __init__(self, layout: str = "caffenet") -> None:
        super().__init__()
        if layout not in LAYOUTS:
            raise ValueError(f"unknown AlexNet layout {layout!r}; expected one of {sorted(LAYOUTS)}")
        spec = LAYOUTS[layout]
        self.layout = layout
        self.level_channels = (spec.channels[3], spec.channels[4])

        in_channels = 3
        for index, (name, out_channels, kernel, groups) in enumerate(
            zip(CONV_NAMES, spec.channels, _KERNELS, spec.groups)
        ):
            stride = 2 if index == 0 else 1
            self.add_module(name, nn.Conv2d(in_channels, out_channels, kernel, stride=stride, groups=groups))
            in_channels = out_channels
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(kernel_size=3, stride=2)
        # Caffe's LRN divides alpha by the window size, exactly like torch's
        # LocalResponseNorm, so Caffe's (5, 1e-4, 0.75, 1) carries over as is.
        self.norm = nn.LocalResponseNorm(size=5, alpha=1e-4, beta=0.75, k=1.0) if spec.lrn else nn.Identity()

        if layout == "caffenet":
            scale = torch.ones(3)
            shift = torch.tensor(CAFFE_MEAN_BGR)
        else:
            # RGB order: `preprocess` flips the BGR crops to RGB before these apply.
            scale = 255.0 * torch.tensor(IMAGENET_STD_RGB)
            shift = 255.0 * torch.tensor(IMAGENET_MEAN_RGB)
        self.register_buffer("input_shift", shift.view(1, 3, 1, 1), persistent=False)
        self.register_buffer("input_scale", scale.view(1, 3, 1, 1), persistent=False)

    def preprocess(self, crops_bgr: torch.Tensor) -> torch.Tensor:
        """BGR [0, 255] crops -> the input this layout's ImageNet weights expect."""
        if crops_bgr.dim() != 4 or crops_bgr.shape[1] != 3:
            raise ValueError(f"expected crops of shape N x 3 x S x S, got {tuple(crops_bgr.shape)}")
        x = crops_bgr.to(self.conv1.weight.dtype)
        if self.layout == "torchvision":
            x = x.flip(1)  # BGR -> RGB
        return (x - self.input_shift) / self.input_scale

    def extract(self, crops_bgr: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.preprocess(crops_bgr)
        x = self.norm(self.pool(self.relu(self.conv1(x))))
        x = self.norm(self.pool(self.relu(self.conv2(x))))
        x = self.relu(self.conv3(x))
        conv4 = self.relu(self.conv4(x))
        conv5 = self.relu(self.conv5(conv4))
        return conv4, conv5

    @classmethod
    def from_file(cls, path: str | Path) -> "AlexNetBackbone":
        """Load ImageNet weights (torchvision .pth/.safetensors or caffenet .npy/.npz), frozen."""
        path = Path(path)
        if not path.exists():
            raise AlexNetWeightsNotFoundError(f"{path}: no such AlexNet weights file. {_MISSING_WEIGHTS_HELP}")
        if not path.is_file():
            raise CheckpointError(f"{path}: not a file. {_MISSING_WEIGHTS_HELP}")
        layout, source, state = _read_weights(path)
        model = cls(layout)
        _check_shapes(model, state, source, path)
        model.load_state_dict(state, strict=True)
        return model.freeze()


# ---------------------------------------------------------------------------
# Reading files


def _read_weights(path: Path) -> tuple[str, str, dict[str, torch.Tensor]]:
    """(layout, source naming, state dict with this module's keys in torch layout) from a file."""
    suffix = path.suffix.lower()
    if suffix == ".npy":
        mapping: Mapping[str, Any] = _read_npy_dict(path)
    elif suffix == ".npz":
        mapping = _read_npz(path)
    elif suffix == ".safetensors":
        mapping = _read_safetensors(path)
    else:
        mapping = _read_torch(path)
    return _state_from_mapping(mapping, path)


def _read_torch(path: Path) -> Mapping[str, Any]:
    try:
        loaded = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # corrupt zip, refused global, truncated file...
        raise CheckpointError(f"{path}: cannot be read as a PyTorch state dict ({error})") from error
    if isinstance(loaded, Mapping) and isinstance(loaded.get("state_dict"), Mapping):
        loaded = loaded["state_dict"]
    if not isinstance(loaded, Mapping):
        raise CheckpointError(f"{path}: holds a {type(loaded).__name__}, not a state dict")
    return loaded


def _read_safetensors(path: Path) -> Mapping[str, Any]:
    try:
        from safetensors.torch import load_file
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise CheckpointError(f"{path}: reading .safetensors needs the 'safetensors' package") from error
    try:
        return load_file(str(path), device="cpu")
    except Exception as error:
        raise CheckpointError(f"{path}: cannot be read as a safetensors file ({error})") from error


def _read_npz(path: Path) -> Mapping[str, Any]:
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {key: archive[key] for key in archive.files}
    except Exception as error:
        raise CheckpointError(f"{path}: cannot be read as a .npz of plain arrays ({error})") from error


class _RefusedGlobal(pickle.UnpicklingError):
    pass


def _latin1_encode(text: str, encoding: str = "latin1") -> bytes:
    # Python 3 pickles of bytes at protocol < 3 go through _codecs.encode(str, "latin1").
    if codecs.lookup(encoding).name != "iso8859-1":
        raise _RefusedGlobal(f"_codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin1")


def _numpy_multiarray() -> Any:
    core = getattr(np, "_core", None)  # numpy >= 2
    return core.multiarray if core is not None else np.core.multiarray


_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED_GLOBALS[(_module, "_reconstruct")] = _numpy_multiarray()._reconstruct
    _ALLOWED_GLOBALS[(_module, "scalar")] = _numpy_multiarray().scalar
_ALLOWED_GLOBALS[("numpy", "ndarray")] = np.ndarray
_ALLOWED_GLOBALS[("numpy", "dtype")] = np.dtype
for _module in ("builtins", "__builtin__"):  # the latter in Python 2 pickles
    for _builtin in (dict, list, tuple):
        _ALLOWED_GLOBALS[(_module, _builtin.__name__)] = _builtin
_ALLOWED_GLOBALS[("collections", "OrderedDict")] = collections.OrderedDict
_ALLOWED_GLOBALS[("_codecs", "encode")] = _latin1_encode


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Rebuilds numpy arrays, dtypes, dicts and lists; refuses every other global."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise _RefusedGlobal(f"{module}.{name}") from None

    def persistent_load(self, pid: Any) -> Any:
        raise _RefusedGlobal(f"persistent id {pid!r}")


def _read_npy_dict(path: Path) -> Mapping[str, Any]:
    """The dict inside a caffenet-style .npy, without `allow_pickle=True`."""
    fmt = np.lib.format
    with open(path, "rb") as stream:
        try:
            version = fmt.read_magic(stream)
            if version == (1, 0):
                shape, _, dtype = fmt.read_array_header_1_0(stream)
            elif version == (2, 0):
                shape, _, dtype = fmt.read_array_header_2_0(stream)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
        except ValueError as error:
            raise CheckpointError(f"{path}: not a readable .npy file ({error})") from error
        if not dtype.hasobject:
            raise CheckpointError(
                f"{path}: holds a plain {dtype} array of shape {shape}, not a dict of AlexNet layers"
            )
        try:
            # latin1 lets Python 2 pickles (the original bvlc_alexnet.npy) restore their array data.
            loaded = _NumpyOnlyUnpickler(stream, encoding="latin1").load()
        except _RefusedGlobal as refused:
            raise CheckpointError(
                f"{path}: refused to load: its pickle references {refused}, which is not part of a "
                "plain numpy weight dict (the file may be malicious or not an AlexNet .npy)"
            ) from None
        except Exception as error:
            raise CheckpointError(f"{path}: corrupt .npy pickle ({type(error).__name__}: {error})") from error
    if isinstance(loaded, np.ndarray) and loaded.dtype.hasobject and loaded.size == 1:
        loaded = loaded.item()
    if not isinstance(loaded, Mapping):
        raise CheckpointError(f"{path}: holds a {type(loaded).__name__}, not a dict of AlexNet layers")
    return loaded


# ---------------------------------------------------------------------------
# Layout detection and conversion


def _to_tensor(value: Any, key: str, path: Path) -> torch.Tensor:
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        value = torch.from_numpy(np.ascontiguousarray(value))
    if not (isinstance(value, torch.Tensor) and value.is_floating_point()):
        kind = f"{type(value).__name__} of {value.dtype}" if hasattr(value, "dtype") else type(value).__name__
        raise CheckpointError(f"{path}: {key} is a {kind}, not a floating-point array")
    return value.detach().to(device="cpu", dtype=torch.float32)


def _strip_prefix(mapping: Mapping[str, Any], prefix: str) -> Mapping[str, Any]:
    if mapping and all(isinstance(key, str) and key.startswith(prefix) for key in mapping):
        return {key[len(prefix):]: value for key, value in mapping.items()}
    return mapping


def _state_from_mapping(mapping: Mapping[str, Any], path: Path) -> tuple[str, str, dict[str, torch.Tensor]]:
    mapping = _strip_prefix(mapping, "module.")
    keys = [str(key) for key in mapping]
    if any(key.startswith("features.") for key in keys):
        return "torchvision", "torchvision", _from_torchvision(mapping, path)
    if "conv1.weight" in mapping:  # this module's own state dict
        return _from_native(mapping, path)
    layers = _caffenet_layers(mapping)
    if layers:
        return "caffenet", "caffenet", _from_caffenet(layers, path)
    shown = ", ".join(keys[:8]) + (", ..." if len(keys) > 8 else "")
    raise CheckpointError(
        f"{path}: not an AlexNet weights file: expected torchvision keys (features.0.weight, ...) or "
        f"caffenet layers (conv1 ... conv5); found keys: {shown or 'none'}"
    )


def _from_torchvision(mapping: Mapping[str, Any], path: Path) -> dict[str, torch.Tensor]:
    state: dict[str, torch.Tensor] = {}
    for key, value in mapping.items():
        if key.startswith("classifier."):
            continue
        prefix, _, parameter = key.rpartition(".")
        if prefix not in _TORCHVISION_KEYS or parameter not in ("weight", "bias"):
            raise CheckpointError(f"{path}: unexpected key {key!r} for torchvision's AlexNet")
        state[f"{_TORCHVISION_KEYS[prefix]}.{parameter}"] = _to_tensor(value, key, path)
    return state  # missing keys and shapes are checked by _check_shapes


def _from_native(mapping: Mapping[str, Any], path: Path) -> tuple[str, str, dict[str, torch.Tensor]]:
    state = {str(key): _to_tensor(value, str(key), path) for key, value in mapping.items()}
    out_channels = state["conv1.weight"].shape[0]
    for layout, spec in LAYOUTS.items():
        if spec.channels[0] == out_channels:
            return layout, "native", state
    raise CheckpointError(f"{path}: conv1.weight has {out_channels} output channels; expected 96 or 64")


_WEIGHT_NAMES = ("weights", "w", "kernel", "0")
_BIAS_NAMES = ("biases", "b", "bias", "1")
_FLAT_KEY = re.compile(r"^(conv[1-5])[/._:]([a-z0-9]+)$", re.IGNORECASE)


def _caffenet_layers(mapping: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """{'conv1': {'weights': W, 'biases': b}, ...} from nested or flat ('conv1/weights') keys."""
    layers: dict[str, dict[str, Any]] = {}
    for key, value in mapping.items():
        key = str(key)
        if key in CONV_NAMES:
            if isinstance(value, Mapping):
                entries = {str(name).lower(): item for name, item in value.items()}
            elif isinstance(value, (list, tuple)):
                entries = {str(index): item for index, item in enumerate(value)}
            else:
                entries = {"": value}  # reported as malformed below
            layers.setdefault(key, {}).update(entries)
            continue
        match = _FLAT_KEY.match(key)
        if match:
            layers.setdefault(match.group(1).lower(), {})[match.group(2).lower()] = value
    return layers


def _pick(entries: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if name in entries:
            return entries[name]
    return None


def _from_caffenet(layers: dict[str, dict[str, Any]], path: Path) -> dict[str, torch.Tensor]:
    """TensorFlow-layout (kh, kw, in, out) caffenet weights -> torch (out, in, kh, kw)."""
    state: dict[str, torch.Tensor] = {}
    for name in CONV_NAMES:
        if name not in layers:
            raise CheckpointError(f"{path}: missing layer {name!r} (caffenet .npy layout)")
        entries = layers[name]
        weights, biases = _pick(entries, _WEIGHT_NAMES), _pick(entries, _BIAS_NAMES)
        if weights is None or biases is None:
            raise CheckpointError(
                f"{path}: layer {name!r} must hold [weights, biases] or {{'weights': W, 'biases': b}}; "
                f"found entries {sorted(entries)}"
            )
        weights = _to_tensor(weights, f"{name} weights", path)
        biases = _to_tensor(biases, f"{name} biases", path)
        if weights.dim() != 4:
            raise CheckpointError(
                f"{path}: {name} weights have shape {tuple(weights.shape)}; expected 4 dimensions "
                "(TensorFlow layout kh, kw, in_channels_per_group, out_channels)"
            )
        state[f"{name}.weight"] = weights.permute(3, 2, 0, 1).contiguous()
        state[f"{name}.bias"] = biases
    return state


def _check_shapes(model: AlexNetBackbone, state: Mapping[str, torch.Tensor], source: str, path: Path) -> None:
    """Every parameter present with the right shape, nothing extra; errors use the file's own names."""
    reverse_torchvision = {conv: prefix for prefix, conv in _TORCHVISION_KEYS.items()}

    def label(key: str) -> str:
        name, _, parameter = key.partition(".")
        if source == "torchvision":
            return f"{reverse_torchvision[name]}.{parameter}"
        if source == "caffenet":
            return f"{name} {'weights' if parameter == 'weight' else 'biases'}"
        return key

    def shape_in_file(key: str, shape: torch.Size) -> tuple[int, ...]:
        if source == "caffenet" and key.endswith(".weight") and len(shape) == 4:
            out_channels, in_channels, height, width = shape
            return (height, width, in_channels, out_channels)
        return tuple(shape)

    expected = model.state_dict()
    for key, target in expected.items():
        if key not in state:
            raise CheckpointError(f"{path}: missing {label(key)} ({model.layout} AlexNet)")
        if state[key].shape != target.shape:
            note = " (TensorFlow layout kh, kw, in_per_group, out)" if source == "caffenet" and key.endswith(".weight") else ""
            raise CheckpointError(
                f"{path}: {label(key)} has shape {shape_in_file(key, state[key].shape)}, expected "
                f"{shape_in_file(key, target.shape)}{note} for the {model.layout} AlexNet"
            )
    extra = sorted(set(state) - set(expected))
    if extra:
        raise CheckpointError(f"{path}: unexpected keys {extra} for the {model.layout} AlexNet")
