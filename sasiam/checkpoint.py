"""One checkpoint format for both branches: safetensors (plain tensors, so loading
never executes code from the file) plus string metadata: format version,
backbone, model config, lambda, which branches are trained, and a SHA-256 of the
tensor bytes so a truncated or modified file is caught."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save

from . import __version__
from .config import ModelConfig, from_dict, to_dict
from .errors import CheckpointError, describe_os_error
from .files import atomic_write  # noqa: F401  (re-exported: the trainer writes its states with it)

FORMAT_NAME = "sasiam"
FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    tensors: dict[str, torch.Tensor]
    model_config: ModelConfig
    lam: float
    trained: dict[str, bool]
    info: dict[str, str] = field(default_factory=dict)

    @property
    def branches(self) -> set[str]:
        return {key.split(".", 1)[0] for key in self.tensors}

    def branch_state(self, branch: str) -> dict[str, torch.Tensor]:
        prefix = branch + "."
        return {k[len(prefix):]: v.float() for k, v in self.tensors.items() if k.startswith(prefix)}


def tensor_digest(tensors: dict[str, torch.Tensor]) -> str:
    digest = hashlib.sha256()
    for key in sorted(tensors):
        tensor = tensors[key].contiguous()
        digest.update(key.encode())
        digest.update(str(tensor.dtype).encode())
        digest.update(str(tuple(tensor.shape)).encode())
        digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes() if tensor.numel() else b"")
    return digest.hexdigest()


def save_checkpoint(
    path: str | Path, tensors: dict[str, torch.Tensor], model_config: ModelConfig, *,
    lam: float, trained: dict[str, bool], info: dict[str, str] | None = None, dtype: torch.dtype | None = None,
) -> Path:
    path = Path(path)
    stored = {}
    for key, value in tensors.items():
        value = value.detach().cpu()
        if dtype is not None and value.is_floating_point():
            value = value.to(dtype)
        stored[key] = value.contiguous()
    metadata = {
        "format": FORMAT_NAME,
        "format_version": str(FORMAT_VERSION),
        "sasiam_version": __version__,
        "backbone": model_config.backbone,
        "model_config": json.dumps(to_dict(model_config)),
        "lam": repr(float(lam)),
        "trained": json.dumps(trained),
        "info": json.dumps(info or {}),
        "sha256": tensor_digest(stored),
    }
    try:
        # Serialised in memory and written by Python: safetensors' own file writer drops the error
        # of its final buffered write, so a full disk would pass for a saved checkpoint.
        payload = save(stored, metadata=metadata)
        atomic_write(path, lambda temporary: Path(temporary).write_bytes(payload))
    except OSError as error:
        raise CheckpointError(f"{path}: cannot write checkpoint: {describe_os_error(error)}") from error
    return path


def read_metadata(path: Path) -> dict[str, str]:
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        return dict(handle.metadata() or {})


def load_checkpoint(path: str | Path) -> Checkpoint:
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a weights file (.safetensors)")
    if not path.is_file():
        raise CheckpointError(f"{path}: no such weights file")
    try:
        metadata = read_metadata(path)
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as error:
        raise CheckpointError(f"{path}: not a readable sasiam checkpoint (truncated or not safetensors): {error}") from error
    if metadata.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path}: not a sasiam checkpoint (format {metadata.get('format')!r})")
    try:
        version = int(metadata.get("format_version", "?"))
    except ValueError:
        raise CheckpointError(f"{path}: unreadable format version {metadata.get('format_version')!r}") from None
    if version > FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {version} is newer than this sasiam reads ({FORMAT_VERSION}); upgrade sasiam"
        )
    if metadata.get("sha256") != tensor_digest(tensors):
        raise CheckpointError(f"{path}: checksum mismatch: the file is corrupt or was modified")
    for key, tensor in tensors.items():
        # A diverged training run saves NaN weights with a valid checksum; they would give NaN score maps.
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise CheckpointError(f"{path}: tensor {key} holds NaN or infinite values (weights of a diverged run?)")
    try:
        model_config = from_dict(ModelConfig, json.loads(metadata["model_config"]))
        return Checkpoint(
            tensors=tensors,
            model_config=model_config,
            lam=float(metadata["lam"]),
            trained={k: bool(v) for k, v in json.loads(metadata["trained"]).items()},
            info=json.loads(metadata.get("info", "{}")),
        )
    except (KeyError, ValueError, TypeError) as error:
        raise CheckpointError(f"{path}: malformed checkpoint metadata: {error}") from error
