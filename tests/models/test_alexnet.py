"""S-Net AlexNet: geometry, both weight layouts, safe .npy loading, strict errors."""
from __future__ import annotations

import os
import pickle

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from sasiam.errors import CheckpointError, SASiamError
from sasiam.models.backbones.alexnet import AlexNetBackbone, AlexNetWeightsNotFoundError
from sasiam.models.backbones.base import SemanticBackbone, level_sizes

# Torch-layout (out, in_per_group, kh, kw) shapes of each layout's five convolutions.
TORCHVISION_SHAPES = {0: (64, 3, 11, 11), 3: (192, 64, 5, 5), 6: (384, 192, 3, 3), 8: (256, 384, 3, 3), 10: (256, 256, 3, 3)}
CAFFENET_TF_SHAPES = {
    "conv1": (11, 11, 3, 96),
    "conv2": (5, 5, 48, 256),
    "conv3": (3, 3, 256, 384),
    "conv4": (3, 3, 192, 384),
    "conv5": (3, 3, 192, 256),
}
CAFFENET_GROUPS = {"conv1": 1, "conv2": 2, "conv3": 1, "conv4": 2, "conv5": 2}
SMALL = 103  # 255 - 19 * 8: level sizes 5 and 3, cheap for reference computations


def random_torchvision_state(seed: int = 0) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    state = {}
    for index, shape in TORCHVISION_SHAPES.items():
        state[f"features.{index}.weight"] = torch.randn(shape, generator=generator) * 0.02
        state[f"features.{index}.bias"] = torch.randn(shape[0], generator=generator) * 0.1
    # The real classifier is 58M parameters; its keys matter here, not its size (it is ignored).
    for index, shape in {1: (16, 32), 4: (16, 16), 6: (10, 16)}.items():
        state[f"classifier.{index}.weight"] = torch.randn(shape, generator=generator)
        state[f"classifier.{index}.bias"] = torch.randn(shape[0], generator=generator)
    return state


def random_caffenet_layers(seed: int = 0) -> dict[str, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    layers = {
        name: [
            (rng.standard_normal(shape) * 0.01).astype(np.float32),
            (rng.standard_normal(shape[-1]) * 0.1).astype(np.float32),
        ]
        for name, shape in CAFFENET_TF_SHAPES.items()
    }
    layers["fc6"] = [rng.standard_normal((8, 4)).astype(np.float32), np.zeros(4, np.float32)]
    return layers


def save_object_npy(path, obj) -> None:
    np.save(path, np.array(obj, dtype=object), allow_pickle=True)


def crops(size: int, n: int = 1, seed: int = 0) -> torch.Tensor:
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed)) * 255


# ---------------------------------------------------------------------------
# Geometry


@pytest.mark.parametrize("layout, channels", [("caffenet", (384, 256)), ("torchvision", (256, 256))])
@pytest.mark.parametrize("size", [255, 239])
def test_level_shapes(layout, channels, size):
    model = AlexNetBackbone(layout)
    assert isinstance(model, SemanticBackbone)
    assert model.name == "alexnet" and model.level_channels == channels
    with torch.no_grad():
        conv4, conv5 = model.extract(crops(size))
        cropped4, cropped5 = model(crops(size))
    side4, side5 = level_sizes(size)
    # The valid-conv geometry lands exactly on the level sizes: forward's crop is a no-op.
    assert conv4.shape == cropped4.shape == (1, channels[0], side4, side4)
    assert conv5.shape == cropped5.shape == (1, channels[1], side5, side5)
    assert {255: (24, 22), 239: (22, 20)}[size] == (side4, side5)
    assert (conv4 >= 0).all() and (conv5 >= 0).all()  # taken after ReLU


def test_unknown_layout_and_bad_input():
    with pytest.raises(ValueError, match="layout"):
        AlexNetBackbone("vgg")
    with pytest.raises(ValueError, match="N x 3"):
        AlexNetBackbone("torchvision").extract(torch.zeros(3, SMALL, SMALL))


def test_lrn_matches_caffe_formula():
    """Caffe: b = a / (k + alpha / n * sum of a^2 over n neighbouring channels) ** beta."""
    norm = AlexNetBackbone("caffenet").norm
    a = torch.rand(1, 7, 2, 2, generator=torch.Generator().manual_seed(1)) * 200
    squares = F.pad(a**2, (0, 0, 0, 0, 2, 2))
    window = sum(squares[:, offset:offset + 7] for offset in range(5))
    expected = a / (1.0 + 1e-4 / 5 * window) ** 0.75
    torch.testing.assert_close(norm(a), expected)
    assert not torch.allclose(expected, a, rtol=1e-2)  # the test values do exercise the LRN


# ---------------------------------------------------------------------------
# torchvision layout


def torchvision_reference(state, crops_bgr):
    """Straight functional AlexNet on the torchvision weights, stride-2 conv1, no padding."""
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    x = (crops_bgr[:, [2, 1, 0]] / 255.0 - mean) / std
    conv = lambda x, i, **kw: F.relu(F.conv2d(x, state[f"features.{i}.weight"], state[f"features.{i}.bias"], **kw))
    x = F.max_pool2d(conv(x, 0, stride=2), 3, 2)
    x = F.max_pool2d(conv(x, 3), 3, 2)
    conv4 = conv(conv(x, 6), 8)
    return conv4, conv(conv4, 10)


def test_torchvision_round_trip(tmp_path):
    state = random_torchvision_state()
    path = tmp_path / "alexnet-owt-7be5be79.pth"
    torch.save(state, path)
    model = AlexNetBackbone.from_file(path)
    assert model.layout == "torchvision" and model.level_channels == (256, 256)
    for index, name in zip((0, 3, 6, 8, 10), ("conv1", "conv2", "conv3", "conv4", "conv5")):
        assert torch.equal(getattr(model, name).weight, state[f"features.{index}.weight"])
        assert torch.equal(getattr(model, name).bias, state[f"features.{index}.bias"])
    x = crops(SMALL, n=2)
    with torch.no_grad():
        for got, expected in zip(model.extract(x), torchvision_reference(state, x)):
            torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_torchvision_wrapped_and_safetensors(tmp_path):
    state = random_torchvision_state(seed=3)
    wrapped = tmp_path / "wrapped.pth"
    torch.save({"state_dict": state, "epoch": 90}, wrapped)
    assert torch.equal(AlexNetBackbone.from_file(wrapped).conv3.weight, state["features.6.weight"])

    safetensors = pytest.importorskip("safetensors.torch")
    path = tmp_path / "alexnet.safetensors"
    safetensors.save_file(state, str(path))
    assert torch.equal(AlexNetBackbone.from_file(path).conv5.bias, state["features.10.bias"])


def test_torchvision_missing_key_names_file(tmp_path):
    state = random_torchvision_state()
    del state["features.8.bias"]
    path = tmp_path / "incomplete.pth"
    torch.save(state, path)
    with pytest.raises(ValueError) as caught:
        AlexNetBackbone.from_file(path)
    assert str(path) in str(caught.value) and "features.8.bias" in str(caught.value)
    assert isinstance(caught.value, CheckpointError)


def assert_refused_naming(path, *words):
    with pytest.raises(ValueError) as caught:
        AlexNetBackbone.from_file(path)
    message = str(caught.value)
    assert str(path) in message and all(word in message for word in words), message


def test_torchvision_wrong_shape_names_file(tmp_path):
    state = random_torchvision_state()
    state["features.3.weight"] = torch.zeros(192, 64, 3, 3)
    path = tmp_path / "wrong.pth"
    torch.save(state, path)
    assert_refused_naming(path, "features.3.weight", "(192, 64, 5, 5)")


def test_unexpected_feature_key_refused(tmp_path):
    state = random_torchvision_state()
    state["features.1.weight"] = torch.zeros(64)  # e.g. a batch-norm variant
    path = tmp_path / "bn.pth"
    torch.save(state, path)
    with pytest.raises(ValueError, match="features.1.weight"):
        AlexNetBackbone.from_file(path)


# ---------------------------------------------------------------------------
# caffenet layout


def caffenet_reference(layers, crops_bgr):
    """Functional CaffeNet as TensorFlow ports run it: groups by splitting inputs and kernels."""

    def conv(x, name, stride=1):
        weights, biases = (torch.from_numpy(a) for a in layers[name])
        kernels = weights.permute(3, 2, 0, 1)  # (kh, kw, in, out) -> (out, in, kh, kw)
        groups = CAFFENET_GROUPS[name]
        outputs = [
            F.conv2d(xg, kg, stride=stride)
            for xg, kg in zip(x.chunk(groups, dim=1), kernels.chunk(groups, dim=0))
        ]
        return F.relu(torch.cat(outputs, dim=1) + biases.view(1, -1, 1, 1))

    def lrn(a):
        squares = F.pad(a**2, (0, 0, 0, 0, 2, 2))
        window = sum(squares[:, offset:offset + a.shape[1]] for offset in range(5))
        return a / (1.0 + 1e-4 / 5 * window) ** 0.75

    x = crops_bgr - torch.tensor([104.0, 117.0, 123.0]).view(1, 3, 1, 1)  # stays BGR
    x = lrn(F.max_pool2d(conv(x, "conv1", stride=2), 3, 2))
    x = lrn(F.max_pool2d(conv(x, "conv2"), 3, 2))
    conv4 = conv(conv(x, "conv3"), "conv4")
    return conv4, conv(conv4, "conv5")


def test_caffenet_npy_round_trip(tmp_path):
    layers = random_caffenet_layers()
    path = tmp_path / "caffenet.npy"
    save_object_npy(path, layers)
    model = AlexNetBackbone.from_file(path)
    assert model.layout == "caffenet" and model.level_channels == (384, 256)
    for name in CAFFENET_TF_SHAPES:
        weights, biases = layers[name]
        assert torch.equal(getattr(model, name).weight, torch.from_numpy(weights.transpose(3, 2, 0, 1)))
        assert torch.equal(getattr(model, name).bias, torch.from_numpy(biases))
    x = crops(SMALL, n=2, seed=5)
    with torch.no_grad():
        for got, expected in zip(model.extract(x), caffenet_reference(layers, x)):
            torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-4)


def test_caffenet_dict_values_and_protocol2_pickle(tmp_path):
    """caffe-tensorflow's {'weights', 'biases'} entries, pickled at protocol 2 as old ports did."""
    layers = random_caffenet_layers(seed=7)
    nested = {name: {"weights": w, "biases": b} for name, (w, b) in layers.items()}
    path = tmp_path / "bvlc_alexnet.npy"
    with open(path, "wb") as stream:
        np.lib.format.write_array_header_1_0(stream, {"descr": "|O", "fortran_order": False, "shape": ()})
        pickle.dump(np.array(nested, dtype=object), stream, protocol=2)
    model = AlexNetBackbone.from_file(path)
    assert torch.equal(model.conv4.weight, torch.from_numpy(layers["conv4"][0].transpose(3, 2, 0, 1)))


def test_caffenet_npz_flat_keys(tmp_path):
    layers = random_caffenet_layers(seed=2)
    flat = {f"{name}/{part}": array for name, (w, b) in layers.items() for part, array in (("weights", w), ("biases", b))}
    path = tmp_path / "caffenet.npz"
    np.savez(path, **flat)
    assert torch.equal(AlexNetBackbone.from_file(path).conv2.bias, torch.from_numpy(layers["conv2"][1]))


def test_caffenet_wrong_shape_names_file(tmp_path):
    layers = random_caffenet_layers()
    layers["conv2"][0] = np.zeros((5, 5, 96, 256), np.float32)  # ungrouped conv2
    path = tmp_path / "ungrouped.npy"
    save_object_npy(path, layers)
    assert_refused_naming(path, "conv2", "(5, 5, 48, 256)")


def test_caffenet_missing_layer_names_file(tmp_path):
    layers = random_caffenet_layers()
    del layers["conv5"]
    path = tmp_path / "no_conv5.npy"
    save_object_npy(path, layers)
    with pytest.raises(ValueError) as caught:
        AlexNetBackbone.from_file(path)
    assert str(path) in str(caught.value) and "conv5" in str(caught.value)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize("where", ["top", "nested"])
def test_malicious_npy_refused_without_running(tmp_path, where):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npy"
    if where == "top":  # a bare pickle after a valid object-array header
        with open(path, "wb") as stream:
            np.lib.format.write_array_header_1_0(stream, {"descr": "|O", "fortran_order": False, "shape": ()})
            pickle.dump(_Payload(marker), stream, protocol=3)
    else:  # hidden inside an otherwise plausible weight dict
        layers = random_caffenet_layers()
        layers["conv3"] = _Payload(marker)
        save_object_npy(path, layers)
    with pytest.raises(ValueError) as caught:
        AlexNetBackbone.from_file(path)
    message = str(caught.value)
    assert str(path) in message and "system" in message and "refused" in message
    assert not marker.exists()


def test_plain_array_npy_refused(tmp_path):
    path = tmp_path / "plain.npy"
    np.save(path, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="not a dict"):
        AlexNetBackbone.from_file(path)


# ---------------------------------------------------------------------------
# Common behaviour


def test_loaded_model_is_frozen(tmp_path):
    path = tmp_path / "alexnet.pth"
    torch.save(random_torchvision_state(), path)
    model = AlexNetBackbone.from_file(path)
    assert all(not parameter.requires_grad for parameter in model.parameters())
    model.train()
    assert not model.training
    conv4, conv5 = model(crops(SMALL))
    assert not conv4.requires_grad and not conv5.requires_grad


def test_missing_file_explains_weights_must_be_supplied(tmp_path):
    path = tmp_path / "nowhere.pth"
    with pytest.raises(FileNotFoundError) as caught:
        AlexNetBackbone.from_file(path)
    message = str(caught.value)
    assert str(path) in message and "alexnet-owt-7be5be79.pth" in message and ".npy" in message
    assert "cannot be downloaded" in message
    assert isinstance(caught.value, (AlexNetWeightsNotFoundError, SASiamError))


def test_unrecognised_file_names_file(tmp_path):
    path = tmp_path / "resnet.pth"
    torch.save({"layer1.0.conv1.weight": torch.zeros(1)}, path)
    with pytest.raises(ValueError) as caught:
        AlexNetBackbone.from_file(path)
    assert str(path) in str(caught.value) and "layer1.0.conv1.weight" in str(caught.value)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="garbage.pth"):
        AlexNetBackbone.from_file(garbage)


def test_own_state_dict_round_trip(tmp_path):
    source = AlexNetBackbone("caffenet")
    path = tmp_path / "snet.pth"
    torch.save(source.state_dict(), path)
    loaded = AlexNetBackbone.from_file(path)
    assert loaded.layout == "caffenet"
    assert torch.equal(loaded.conv4.weight, source.conv4.weight)
