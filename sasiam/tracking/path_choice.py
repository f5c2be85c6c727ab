"""Which inference path a tracker runs: `speed` and the options given explicitly, on this machine's facts.

The paths, their recorded checks and the ranking rule are `sasiam/backends/paths.py` (pure); this module
gathers what the rule needs to know about the machine: CPU flags, the installed modules, whether the
training split is there to calibrate int8 on as its check did.
"""
from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path

from ..backends.base import AUTO, check_precision, cpu_flags
from ..backends.paths import PATHS, REFERENCE, MachineFacts, fastest, on_cpu, path_name
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
              onnx_ok: bool = True) -> PickedPath:
    """The path of `speed` and the options given explicitly (not None). "faithful": the paper's path with the
    given options in place of its own; "fast": the fastest recorded path that agrees with the given options
    (`paths.fastest`; precision "auto" leaves the precision to it), or, when no recorded path does (an
    ensemble, torch int8), the given options on the paper's path, unchecked. `onnx_ok` False (another
    S-Net than the checkpoint's, or weights that are neither a checkpoint nor an ONNX export:
    `integrations/onnx_export.py::onnx_can_run`) leaves the ONNX paths out."""
    given = {key: value for key, value in (given or {}).items() if value is not None}
    choice = None
    cpu = on_cpu(device)
    if speed == "fast" and cpu:
        fixed = {key: value for key, value in given.items() if value != AUTO}
        matching = tuple(path for path in PATHS if (onnx_ok or path.backend != "onnx")
                         and all(getattr(path, key) == value for key, value in fixed.items()))
        if matching:
            choice = fastest(facts or machine_facts(device), matching)
    if choice is not None:
        options = choice.path.options
        reasons = [f"speed='fast': {choice.reason}"]
        reasons += [f"{key}={value!r} given" for key, value in given.items() if value != AUTO]
        if not onnx_ok:
            reasons.append("ONNX paths left out: these weights / S-Net options are not what an ONNX path runs")
        if weights is not None:
            reasons.append("the checks were made with the shipped weights, not these")
    else:
        options = {**REFERENCE.options, **given}
        reasons = ["speed='faithful': the paper's configuration" if speed != "fast"
                   else f"speed='fast': the paths are checked and ranked on CPUs only; device {device!r} runs the "
                        "paper's configuration" if not cpu
                   else "speed='fast': no recorded path has these options, so none is checked"]
        reasons += [f"{key}={value!r} given" for key, value in given.items() if value != REFERENCE.options[key]]
    if options["backend"] == "torch":
        options["precision"] = check_precision(options["precision"])  # "auto" -> this CPU's
    return PickedPath(path_name(**options), **options, reason="; ".join(reasons))
