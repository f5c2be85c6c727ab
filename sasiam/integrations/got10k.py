"""SA-Siam as a GOT-10k toolkit tracker, so any got10k experiment (OTB, VOT, GOT-10k, LaSOT, UAV123...)
runs it unmodified:

    from got10k.experiments import ExperimentGOT10k
    from sasiam.integrations.got10k import SASiamGOT10kTracker

    tracker = SASiamGOT10kTracker(precision="bf16")
    experiment = ExperimentGOT10k("data/GOT-10k", subset="val")
    experiment.run(tracker)
    experiment.report([tracker.name])

got10k hands the tracker PIL RGB images; SA-Siam works on OpenCV's BGR, so the
channels are swapped here. Needs the toolkit: `pip install got10k six` (got10k
0.1.3 imports `six` without declaring it).

got10k 0.1.3's `ExperimentOTB` always constructs its dataset with
`download=True`, which fetches every OTB sequence missing from the root;
`OfflineExperimentOTB` is the same experiment over the sequences that are on
disk, with nothing downloaded.
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np

try:
    from got10k.datasets import OTB
    from got10k.experiments import ExperimentOTB
    from got10k.trackers import Tracker
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("sasiam.integrations.got10k needs the GOT-10k toolkit: pip install got10k six") from error


def pil_to_bgr(image) -> np.ndarray:
    """A PIL image (any mode) -> H x W x 3 uint8 BGR."""
    if image.mode != "RGB":
        image = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])


class SASiamGOT10kTracker(Tracker):
    """`got10k.trackers.Tracker` around `sasiam.SASiamTracker`: init(image, box), update(image) -> [x, y, w, h].

    Keyword arguments go to `SASiamTracker` (weights, branches, lam, device,
    precision, backend, ...), or pass `tracker=` an existing one. Deterministic:
    the same frames give the same boxes, so got10k runs it once per sequence
    (its VOT experiment would otherwise repeat stochastic trackers).
    """

    def __init__(self, name: str = "SA-Siam", tracker=None, **tracker_options) -> None:
        super().__init__(name=name, is_deterministic=True)
        if tracker is None:
            from ..tracking.tracker import SASiamTracker

            tracker = SASiamTracker(**tracker_options)
        elif tracker_options:
            raise TypeError(f"give either tracker= or tracker options, not both ({', '.join(tracker_options)})")
        self.tracker = tracker

    def init(self, image, box: Sequence[float]) -> None:
        self.tracker.init(pil_to_bgr(image), [float(v) for v in box])

    def update(self, image) -> np.ndarray:
        return np.array(self.tracker.update(pil_to_bgr(image)), dtype=np.float64)


class OfflineExperimentOTB(ExperimentOTB):
    """got10k's `ExperimentOTB` over the OTB-named sequences already in `root_dir`; never downloads.

    Sequences of the version's list that are absent are skipped (got10k prints a
    warning for each). Note got10k's own OTB frame ranges: it keeps frames
    300-770 of `David` and the first 74/215/460/283 of Football1/Diving/Freeman3/
    Freeman4, so those folders must hold the original OTB numbering.
    """

    def __init__(self, root_dir: str | os.PathLike, version=2015, result_dir: str | os.PathLike = "results",
                 report_dir: str | os.PathLike = "reports") -> None:
        # ExperimentOTB.__init__ (got10k 0.1.3) minus its `download=True`.
        self.dataset = OTB(str(root_dir), version, download=False)
        self.result_dir = os.path.join(str(result_dir), "OTB" + str(version))
        self.report_dir = os.path.join(str(report_dir), "OTB" + str(version))
        self.nbins_iou = 21
        self.nbins_ce = 51
