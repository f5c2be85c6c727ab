"""The options a user picks a SA-Siam tracker with, and the one place that builds it from them.

The command line (`--weights`, `--lam`, ...: sasiam/commands/options.py) and evaluation specs
(`sasiam:lam=0.5,weights=w.safetensors`: sasiam/evaluation/trackers.py) both fill `TrackerOptions`.
"""
from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..config import Backbone, Branches

if TYPE_CHECKING:
    from .tracker import SASiamTracker


@dataclass(frozen=True)
class TrackerOptions:
    """`SASiamTracker`'s user-facing keyword arguments, with its defaults. The field order is the one a bad
    spec's error lists them in ("known: branches, lam, ...")."""

    branches: Branches = "both"
    lam: float | None = field(default=None, metadata={"from_text": float})
    weights: str | Path | None = None
    precision: str | None = None     # None: what `speed` picks (sasiam/backends/paths.py)
    backbone: Backbone | None = None
    device: str = "cpu"
    snet_weights: str | Path | None = None
    backend: str | None = None
    semantic_scales: str | None = None
    speed: str = "faithful"


# option -> how a spec's text (`lam=0.5`) becomes its value: the text itself unless a field says otherwise
FROM_TEXT: dict[str, Callable[[str], object]] = {
    option.name: option.metadata.get("from_text", str) for option in dataclasses.fields(TrackerOptions)}


def tracker_from_options(options: TrackerOptions, warn: Callable[[str], None] | None = None) -> SASiamTracker:
    """The tracker `options` ask for. Warnings while it loads (untrained weights, ...) go to `warn` as text;
    without `warn` they are dropped."""
    # torch: imported when a tracker is built, so that filling TrackerOptions (`sasiam --help`) costs none
    from .tracker import SASiamTracker, UntrainedWeightsWarning

    with warnings.catch_warnings(record=True) as caught:
        if warn is None:
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("always", UntrainedWeightsWarning)  # for every tracker, not once per process
        tracker = SASiamTracker(**dataclasses.asdict(options))
    for warning in caught:
        warn(str(warning.message))
    return tracker
