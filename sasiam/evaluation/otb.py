"""One-pass (OTB) evaluation of a tracker over sequences with ground truth."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..data.sequences import Sequence
from ..tracking.runner import TrackingResult, track_frames
from .metrics import SequenceScore, aggregate, score_sequence


@dataclass
class Evaluation:
    overall: SequenceScore
    sequences: dict[str, SequenceScore]
    results: dict[str, TrackingResult]

    @property
    def auc(self) -> float:
        return self.overall.auc


def run_one_pass(tracker, sequence: Sequence, progress: bool = False) -> TrackingResult:
    """Start from the first ground-truth box, track every later frame."""
    if sequence.groundtruth is None:
        raise ValueError(f"{sequence.name}: no ground truth to evaluate against")
    return track_frames(tracker, sequence.frames(), sequence.groundtruth[0], total=len(sequence),
                        progress=progress, description=sequence.name)


def evaluate(tracker, sequences: list[Sequence], progress: bool = False) -> Evaluation:
    scores, results = {}, {}
    for sequence in sequences:
        result = run_one_pass(tracker, sequence, progress)
        boxes = result.boxes.copy()
        boxes[0] = sequence.groundtruth[0]  # GOT-10k toolkit convention: frame 1 is the ground truth
        results[sequence.name] = result
        scores[sequence.name] = score_sequence(boxes, sequence.groundtruth[: len(boxes)])
    return Evaluation(aggregate(list(scores.values())), scores, results)


def mean_auc(evaluation: Evaluation) -> float:
    return float(np.mean([s.auc for s in evaluation.sequences.values()]))
