"""The GOT-10k toolkit (got10k 0.1.3, real) runs SA-Siam through ExperimentOTB on real OTB frames,
downloads nothing, and reports the numbers sasiam.evaluation.metrics gives for the same result files."""
from itertools import islice
from pathlib import Path

import cv2
import numpy as np
import pytest

pytest.importorskip("got10k", reason="got10k==0.1.3 (test extra) not installed")
from PIL import Image  # noqa: E402

from conftest import cut_sequence, shared_sequence  # noqa: E402
from sasiam.data.sequences import open_sequence, read_boxes  # noqa: E402
from sasiam.evaluation.metrics import aggregate, score_sequence  # noqa: E402
from sasiam.integrations.got10k import OfflineExperimentOTB, SASiamGOT10kTracker, pil_to_bgr  # noqa: E402
from sasiam.tracking.runner import track_frames  # noqa: E402

SEQUENCES = ("Crossing", "Girl")  # OTB-2015 names, so got10k's OTB list picks them up
FRAMES = 10


@pytest.fixture
def otb_root(tmp_path) -> Path:
    """OTB layout cut to FRAMES frames: symlinks to the shared images, the first ground-truth lines."""
    root = tmp_path / "otb"
    for name in SEQUENCES:
        cut_sequence(name, root / name, FRAMES)
    return root


def test_pil_rgb_frames_become_the_bgr_frames_opencv_reads():
    for name in ("Crossing", "Toy"):  # Toy's JPEGs are grayscale (PIL mode L)
        path = sorted((shared_sequence(name) / "img").glob("*.jpg"))[0]
        converted = pil_to_bgr(Image.open(path))
        assert converted.dtype == np.uint8 and converted.flags.c_contiguous
        np.testing.assert_array_equal(converted, cv2.imread(str(path)))


def test_experiment_otb_runs_offline_and_reports_our_metrics(otb_root, tmp_path, monkeypatch):
    import got10k.datasets.otb as got10k_otb

    def refuse_download(*args, **kwargs):
        raise AssertionError(f"got10k tried to download {args}")

    # A tripwire, not a stand-in: nothing may be fetched (OTB's own class would download 100 sequences).
    monkeypatch.setattr(got10k_otb, "download", refuse_download)
    tracker = SASiamGOT10kTracker()
    assert tracker.is_deterministic and tracker.name == "SA-Siam"
    experiment = OfflineExperimentOTB(otb_root, version=2015, result_dir=tmp_path / "results",
                                      report_dir=tmp_path / "reports")
    assert sorted(experiment.dataset.seq_names) == sorted(SEQUENCES)
    experiment.run(tracker)
    performance = experiment.report([tracker.name])[tracker.name]
    assert (tmp_path / "reports" / "OTB2015" / tracker.name / "success_plots.png").is_file()

    results = tmp_path / "results" / "OTB2015" / tracker.name
    scores = []
    for name in SEQUENCES:
        boxes = np.loadtxt(results / f"{name}.txt", delimiter=",")
        truth = read_boxes(otb_root / name / "groundtruth_rect.txt")
        assert boxes.shape == (FRAMES, 4)
        boxes[0] = truth[0]  # as got10k's report does
        score = score_sequence(boxes, truth)
        scores.append(score)
        theirs = performance["seq_wise"][name]
        np.testing.assert_allclose(theirs["success_curve"], score.success_curve, rtol=0, atol=1e-12)
        np.testing.assert_allclose(theirs["precision_curve"], score.precision_curve, rtol=0, atol=1e-12)
        assert theirs["success_score"] == pytest.approx(score.auc, abs=1e-12)
        assert theirs["precision_score"] == pytest.approx(score.precision, abs=1e-12)
    ours = aggregate(scores)
    assert performance["overall"]["success_score"] == pytest.approx(ours.auc, abs=1e-12)
    assert performance["overall"]["precision_score"] == pytest.approx(ours.precision, abs=1e-12)
    # real tracking, not a constant box: on these easy first frames the target is followed
    assert ours.auc > 0.5

    # The toolkit's boxes are the tracker's own on the BGR frames OpenCV decodes (channel order right).
    sequence = open_sequence(shared_sequence("Crossing"))
    direct = track_frames(tracker.tracker, islice(sequence.frames(), FRAMES), sequence.groundtruth[0], progress=False)
    recorded = np.loadtxt(results / "Crossing.txt", delimiter=",")
    np.testing.assert_allclose(recorded[1:], direct.boxes[1:], rtol=0, atol=1e-3)
