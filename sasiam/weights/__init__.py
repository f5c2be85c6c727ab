"""Where the shipped default checkpoint lives."""
from __future__ import annotations

from pathlib import Path

DEFAULT_WEIGHTS = Path(__file__).with_name("default.safetensors")


def default_weights_path() -> Path | None:
    return DEFAULT_WEIGHTS if DEFAULT_WEIGHTS.is_file() else None
