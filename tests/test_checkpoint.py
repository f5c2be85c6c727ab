import json

import pytest
import torch
from safetensors.torch import save_file

from sasiam.checkpoint import FORMAT_VERSION, load_checkpoint, read_metadata, save_checkpoint
from sasiam.config import ModelConfig
from sasiam.errors import CheckpointError
from sasiam.models.factory import build_network, network_from_checkpoint


@pytest.fixture()
def appearance_checkpoint(tmp_path):
    torch.manual_seed(0)
    net = build_network(ModelConfig(), branches="appearance")
    path = save_checkpoint(tmp_path / "a.safetensors", net.state_to_save(), net.config, lam=0.5,
                           trained={"appearance": True})
    return net, path


def test_round_trip(appearance_checkpoint):
    net, path = appearance_checkpoint
    checkpoint = load_checkpoint(path)
    assert checkpoint.lam == 0.5 and checkpoint.trained == {"appearance": True}
    loaded = network_from_checkpoint(checkpoint, branches="appearance", source=str(path))
    for key, value in net.appearance.state_dict().items():
        assert torch.equal(loaded.appearance.state_dict()[key], value)


def test_truncated_file_is_refused_with_its_name(appearance_checkpoint, tmp_path):
    _, path = appearance_checkpoint
    data = path.read_bytes()
    broken = tmp_path / "truncated.safetensors"
    broken.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="truncated.safetensors"):
        load_checkpoint(broken)


def test_tampered_tensor_bytes_fail_the_checksum(appearance_checkpoint, tmp_path):
    _, path = appearance_checkpoint
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    tampered = tmp_path / "tampered.safetensors"
    tampered.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="checksum"):
        load_checkpoint(tampered)


def test_newer_format_version_is_refused(appearance_checkpoint, tmp_path):
    _, path = appearance_checkpoint
    checkpoint = load_checkpoint(path)
    metadata = read_metadata(path)
    metadata["format_version"] = str(FORMAT_VERSION + 1)
    newer = tmp_path / "newer.safetensors"
    save_file(checkpoint.tensors, str(newer), metadata=metadata)
    with pytest.raises(CheckpointError, match="newer"):
        load_checkpoint(newer)


def test_pickle_files_are_not_checkpoints(tmp_path):
    evil = tmp_path / "evil.safetensors"
    torch.save({"x": torch.zeros(1)}, evil)
    with pytest.raises(CheckpointError, match="evil.safetensors"):
        load_checkpoint(evil)


def test_missing_branch_and_wrong_backbone_are_named(appearance_checkpoint):
    _, path = appearance_checkpoint
    checkpoint = load_checkpoint(path)
    with pytest.raises(CheckpointError, match="no semantic branch"):
        network_from_checkpoint(checkpoint, branches="semantic", source=str(path))
    with pytest.raises(CheckpointError, match="trained for the efficientnet_lite0 S-Net, not alexnet"):
        network_from_checkpoint(checkpoint, branches="appearance", source=str(path), backbone="alexnet")


def test_semantic_tensors_for_another_backbone_are_refused(tmp_path):
    from sasiam.models.backbones.alexnet import AlexNetBackbone
    from sasiam.models.branches import SemanticBranch

    branch = SemanticBranch(AlexNetBackbone("caffenet"))
    tensors = {f"semantic.{k}": v for k, v in branch.trainable_state_dict().items()}
    # claim the efficientnet backbone while holding alexnet-shaped fusion weights
    path = save_checkpoint(tmp_path / "mixed.safetensors", tensors, ModelConfig(), lam=0.3, trained={"semantic": True})
    with pytest.raises(CheckpointError, match="another backbone"):
        network_from_checkpoint(load_checkpoint(path), branches="semantic", source=str(path))


def test_metadata_is_plain_json(appearance_checkpoint):
    _, path = appearance_checkpoint
    metadata = read_metadata(path)
    assert json.loads(metadata["model_config"])["backbone"] == "efficientnet_lite0"
