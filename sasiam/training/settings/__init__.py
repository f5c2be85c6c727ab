"""One Python settings module per experiment (pytracking's `ltr/train_settings`): the data, the split and
each branch's `TrainConfig`, so a training run is a file in the repository, not a command line to retype.

    sasiam train appearance --settings crops_v1            # a module of this package
    sasiam train semantic --settings my_experiment.py      # or a file of your own

A settings module defines `DATA` (a list of "KIND:ROOT" sources), optionally `SPLIT` (a split file, None
for the shipped one) and `VAL_ROOT`, and one `TrainConfig` per branch it trains: `APPEARANCE`, `SEMANTIC`,
`JOINT`. `--data`, `--val-root` and `--set` on the command line still override it."""
from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from ...errors import InputSourceError
from ..config import TrainConfig

BRANCH_NAMES = {"appearance": "APPEARANCE", "semantic": "SEMANTIC", "joint": "JOINT"}


@dataclass(frozen=True)
class Experiment:
    name: str
    config: TrainConfig
    data: list[tuple[str, str]]
    split: str | None
    val_root: str | None


def _module(name: str) -> ModuleType:
    if name.endswith(".py"):
        path = Path(name)
        if not path.is_file():
            raise InputSourceError(f"{path}: settings file not found")
        spec = importlib.util.spec_from_file_location(f"sasiam_settings_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module
    try:
        return importlib.import_module(f"{__name__}.{name}")
    except ModuleNotFoundError:
        known = sorted(p.stem for p in Path(__file__).parent.glob("*.py") if not p.stem.startswith("_"))
        raise InputSourceError(f"settings {name!r}: no such module in sasiam/training/settings "
                               f"(have: {', '.join(known)}) and not a .py file") from None


def load_experiment(name: str, branch: str) -> Experiment:
    """The settings of `branch` in the module `name` (or the file `name`, ending in .py)."""
    module = _module(name)
    config = getattr(module, BRANCH_NAMES[branch], None)
    if not isinstance(config, TrainConfig):
        raise InputSourceError(f"settings {name!r}: defines no {BRANCH_NAMES[branch]} TrainConfig for the "
                               f"{branch} branch")
    data = [tuple(source.split(":", 1)) for source in getattr(module, "DATA", [])]
    return Experiment(name, config, data, getattr(module, "SPLIT", None), getattr(module, "VAL_ROOT", None))
