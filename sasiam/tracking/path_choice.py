"""Which inference path a tracker runs: `speed` and the options given explicitly, on this machine's facts.

The paths, their recorded checks and the ranking rule are `sasiam/backends/paths.py` (pure); this module
gathers what the rule needs to know about the machine: CPU flags, the installed modules, whether the
training split is there to calibrate int8 on as its check did.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from ..backends.base import check_precision, cpu_flags
from ..backends.paths import PATHS, REFERENCE, MachineFacts, fastest, path_name
from ..data.shared import shared_sequences_root
from .calibration import training_split_names


@dataclass(frozen=True)
class PickedPath:
    name: str
    backend: str
    precision: str
    semantic_scales: str
    reason: str


def machine_facts(device: str = "cpu") -> MachineFacts:
    modules = {module for path in PATHS for module in path.requires_modules}
    root = shared_sequences_root()
    return MachineFacts(cpu_flags=frozenset(cpu_flags()),
                        modules=frozenset(m for m in modules if importlib.util.find_spec(m) is not None),
                        training_calibration=all((root / name).is_dir() for name in training_split_names()),
                        device=str(device))


def pick_path(speed: str, device: str = "cpu", weights: str | Path | None = None,
              given: dict[str, str | None] | None = None, facts: MachineFacts | None = None,
              exportable: bool = True) -> PickedPath:
    """The path of `speed` ("faithful": the paper's; "fast": `paths.fastest` here), with each option of `given`
    that is not None in place of the path's. `exportable` False (another S-Net than the checkpoint's, or weights
    that are no .safetensors checkpoint: the ONNX export fixes the S-Net and reads a checkpoint) leaves the ONNX
    paths out."""
    if speed == "fast":
        candidates = PATHS if exportable else tuple(path for path in PATHS if path.backend != "onnx")
        choice = fastest(facts or machine_facts(device), candidates)
        base, reasons = choice.path, [f"speed='fast': {choice.reason}"]
        if not exportable:
            reasons.append("ONNX paths left out: snet_weights / backbone / non-checkpoint weights given")
        if weights is not None:
            reasons.append("the checks were made with the shipped weights, not these")
    else:
        base, reasons = REFERENCE, ["speed='faithful': the paper's configuration"]
    options = base.options
    for key, value in (given or {}).items():
        if value is not None and value != options[key]:
            options[key] = value
            reasons.append(f"{key}={value!r} given")
    if options["backend"] == "torch":
        options["precision"] = check_precision(options["precision"])  # "auto" -> this CPU's
    return PickedPath(path_name(**options), **options, reason="; ".join(reasons))
