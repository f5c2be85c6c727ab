"""VOT reset-based protocol and its measures on hand-made cases whose answers are worked
out in the comments, and `sasiam eval-vot` end to end on real frames. The same code is
checked against vot-toolkit itself in tests/integrations/test_vot_trax.py."""
import json
import math
import struct
import subprocess
import sys

import numpy as np
import pytest

from conftest import shared_sequence
from sasiam.evaluation.vot import (EAO_PRESETS, FAILURE, INITIALIZATION, UNKNOWN, Polygon, Rectangle, SequenceRuns,
                                   Special, VOTSettings, accuracy, count_failures, eao_curve, eao_score, eao_segments,
                                   overlap, overlaps, parse_region, read_trajectory, region_to_box, run_supervised,
                                   score, write_trajectory)

I, F, U = Special(INITIALIZATION), Special(FAILURE), Special(UNKNOWN)
TRUTH = Rectangle(0, 0, 10, 10)      # pixels 0..9 x 0..9
HALF = Rectangle(0, 0, 10, 5)        # 50 of those pixels: overlap 0.5
AWAY = Rectangle(50, 50, 10, 10)     # none: overlap 0


# -- overlap ------------------------------------------------------------------------

def test_rectangle_overlap_counts_pixels():
    # x 0..9 and x 5..14: 5 x 10 shared of 15 x 10 -> 1/3
    assert overlap(TRUTH, Rectangle(5, 0, 10, 10)) == pytest.approx(1 / 3)
    assert overlap(TRUTH, HALF) == pytest.approx(0.5)
    assert overlap(TRUTH, AWAY) == 0.0
    assert overlap(TRUTH, TRUTH) == 1.0


def test_overlap_is_counted_inside_the_image_only():
    # columns 0..11 only: A covers 0..9 (10), B 5..11 (7); shared 5 x 10 of 12 x 10 -> 5/12
    assert overlap(TRUTH, Rectangle(5, 0, 10, 10), size=(12, 100)) == pytest.approx(5 / 12)
    # both wholly outside a 40 x 40 image: no pixel to count -> 0, even though they coincide
    assert overlap(Rectangle(50, 50, 10, 10), Rectangle(50, 50, 10, 10), size=(40, 40)) == 0.0


def test_coordinates_are_rounded_half_to_even_before_rasterising():
    # 0.4 -> 0 and 9.6 -> 10: the same pixels as TRUTH
    assert overlap(Rectangle(0.4, 0, 9.6, 10), TRUTH) == 1.0
    # 2.5 -> 2 (half to even), width 10 -> 2..11 against 3.5 -> 4: 4..13; shared 4..11 = 8 of 2..13 = 12 columns
    assert overlap(Rectangle(2.5, 0, 10, 10), Rectangle(3.5, 0, 10, 10)) == pytest.approx(8 / 12)


def test_polygon_overlap():
    # the square polygon with corners 0 and 9 covers the same 10 x 10 pixels as TRUTH
    square = Polygon(((0, 0), (9, 0), (9, 9), (0, 9)))
    assert overlap(square, TRUTH) == 1.0
    assert region_to_box(square) == (0, 0, 9, 9)  # the toolkit's min/max box, no +1
    # its left half (x 0..4) against TRUTH: 50 of 100 pixels
    assert overlap(Polygon(((0, 0), (4, 0), (4, 9), (0, 9))), TRUTH) == pytest.approx(0.5)


def test_special_regions_are_empty():
    assert overlap(I, TRUTH) == 0.0          # an init/failure code never overlaps the target
    assert overlap(TRUTH, U) == 0.0          # nor does a frame without ground truth
    assert overlap(U, Special(FAILURE)) == 1.0  # two empty regions are identical


def test_region_text_and_binary_files(tmp_path):
    regions = [I, Rectangle(1.5, 2, 3, 4), F, U, Polygon(((0, 0), (4, 0), (4, 9)))]
    write_trajectory(tmp_path / "a.txt", regions)
    assert (tmp_path / "a.txt").read_text().splitlines()[:3] == ["1", "1.5,2.0,3.0,4.0", "2"]
    assert read_trajectory(tmp_path / "a.txt") == regions
    assert parse_region("NaN,NaN,NaN,NaN") == U
    # vot-toolkit's binary layout (region/io.py: write_trajectory_binary)
    data = struct.pack("<hI", 1, 3) + struct.pack("<BI", 0, 1) + struct.pack("<Bffff", 1, 1.5, 2, 3, 4)
    data += struct.pack("<BH6f", 2, 3, 0, 0, 4, 0, 4, 9)
    (tmp_path / "a.bin").write_bytes(data)
    assert read_trajectory(tmp_path / "a.bin") == regions[:2] + regions[4:]


# -- measures -----------------------------------------------------------------------

# 12 frames: init, three frames at overlap 0.5, a failure, 4 skipped frames, init, two at 1.
FAILED = [I, HALF, HALF, HALF, F, U, U, U, U, I, TRUTH, TRUTH]
# 4 frames tracked to the end at overlap 1
CLEAN = [I, TRUTH, TRUTH, TRUTH]


def test_accuracy_leaves_out_burn_in_failures_and_skipped_frames():
    o = overlaps(FAILED, [TRUTH] * 12, (100, 100))
    assert list(o) == [0, .5, .5, .5, 0, 0, 0, 0, 0, 0, 1, 1]
    # burn-in 2 drops frames 0,1 and 9,10; 4 is a failure, 5..8 skipped: frames 2, 3, 11 remain
    assert accuracy(FAILED, o, burnin=2) == (pytest.approx(2 / 3), 3)
    # burn-in 10 leaves nothing: the toolkit's accuracy is then 0
    assert accuracy(FAILED, o, burnin=10) == (0.0, 0)
    assert count_failures(FAILED) == 1


def test_eao_curve_by_hand():
    o = overlaps(FAILED, [TRUTH] * 12, (100, 100))
    segments = eao_segments(FAILED, o)
    # init..failure (not included) failed; the last init to the end did not
    assert [(list(s), ok) for s, ok in segments] == [([0, .5, .5, .5], False), ([0, 1, 1], True)]
    curve = eao_curve(segments)
    # length 0: the init frames' overlap (0); 1 and 2: (0.5 + 1) / 2; 3: only the failed segment counts
    np.testing.assert_allclose(curve, [0, .75, .75, .5], rtol=1e-6)
    assert eao_score(curve, (1, 3)) == pytest.approx(2 / 3)
    assert eao_score(curve, (1, 100)) == pytest.approx(2 / 3)   # cut at the longest segment, as numpy slices
    assert math.isnan(eao_score(curve, EAO_PRESETS["vot2016"]))  # wholly past it


def test_score_weights_sequences_by_length():
    runs = [SequenceRuns("failed", [TRUTH] * 12, (100, 100), [FAILED]),
            SequenceRuns("clean", [TRUTH] * 4, (100, 100), [CLEAN])]
    result = score(runs, VOTSettings(burnin=2, eao_interval=(1, 3)))
    # A: (2/3 * 12 + 1 * 4) / 16; R: (1 * 12 + 0 * 4) / 16; mean length 8
    assert result.accuracy == pytest.approx(0.75)
    assert result.robustness == pytest.approx(0.75)
    assert result.failures == 1
    assert result.reliability == pytest.approx(math.exp(-30 * 0.75 / 8))
    # segments [0,.5,.5,.5] (failed), [0,1,1], [0,1,1,1]: curve 0, 5/6, 5/6, (0.5 + 1) / 2
    np.testing.assert_allclose(result.eao_curve, [0, 5 / 6, 5 / 6, .75], rtol=1e-6)
    assert result.eao == pytest.approx((5 / 6 + 5 / 6 + .75) / 3, rel=1e-6)
    assert result.sequences["clean"]["accuracy"] == 1.0 and result.sequences["failed"]["failures"] == 1


def test_repetitions_are_averaged_per_sequence():
    runs = [SequenceRuns("s", [TRUTH] * 12, (100, 100), [FAILED, [I] + [TRUTH] * 11])]
    result = score(runs, VOTSettings(burnin=2))
    assert result.sequences["s"]["failures"] == 0.5
    assert result.accuracy == pytest.approx((2 / 3 + 1) / 2)


# -- the protocol -------------------------------------------------------------------

class Scripted:
    """Answers update() with a given box per frame; records what it was shown."""

    def __init__(self, boxes):
        self.boxes, self.seen, self.inits = boxes, [], []

    def init(self, frame, box):
        self.inits.append((int(frame[0, 0, 0]), tuple(box)))

    def update(self, frame):
        index = int(frame[0, 0, 0])
        self.seen.append(index)
        return self.boxes[index]


def frame(i):
    return np.full((4, 4, 3), i, dtype=np.uint8)


def test_failure_resets_five_frames_later():
    boxes = {i: (0, 0, 10, 10) for i in range(20)}
    boxes[3] = (50, 50, 10, 10)  # lost on frame 3
    tracker = Scripted(boxes)
    run = run_supervised(tracker, frame, [TRUTH] * 20, (100, 100))
    assert run.trajectory[:9] == [I, TRUTH, TRUTH, F, U, U, U, U, I]
    assert run.trajectory[9:] == [TRUTH] * 11 and run.failures == 1
    assert tracker.inits == [(0, (0, 0, 10, 10)), (8, (0, 0, 10, 10))]
    assert 4 not in tracker.seen and 7 not in tracker.seen  # skipped frames are never shown


def test_init_on_a_polygon_uses_its_box_and_unannotated_frames_are_passed():
    poly = Polygon(((2, 1), (12, 1), (12, 11), (2, 11)))
    tracker = Scripted({i: (2, 1, 10, 10) for i in range(5)})
    run = run_supervised(tracker, frame, [U, poly, poly, poly, poly], (100, 100))
    assert run.trajectory[:2] == [U, I] and tracker.inits == [(1, (2, 1, 10, 10))]
    assert run.failures == 0


def test_a_non_finite_box_is_a_failure():
    tracker = Scripted({1: (np.nan, 0, 10, 10), 2: (0, 0, 10, 10)})
    run = run_supervised(tracker, frame, [TRUTH] * 3, (100, 100))
    assert run.trajectory == [I, F, U]


# -- the command --------------------------------------------------------------------

def sasiam(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "sasiam", *args], capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def vot_workspace(tmp_path_factory):
    """VOT layout (list.txt, groundtruth.txt polygons, color/00000001.jpg) from 30 real frames
    of vot_ball1, with frames 16..30 taken from 60 frames later: the ball jumps away there."""
    source = shared_sequence("vot_ball1")
    root = tmp_path_factory.mktemp("vot_data")
    sequence = root / "ball1_jump"
    (sequence / "color").mkdir(parents=True)
    polygons = (source / "groundtruth_original.txt").read_text().splitlines()
    picked = list(range(1, 16)) + list(range(76, 91))
    for k, number in enumerate(picked, start=1):
        (sequence / "color" / f"{k:08d}.jpg").symlink_to(source / "img" / f"{number:04d}.jpg")
    (sequence / "groundtruth.txt").write_text("\n".join(polygons[n - 1] for n in picked) + "\n")
    (root / "list.txt").write_text("ball1_jump\n")
    return root


def test_eval_vot_writes_vot_results_and_a_report(vot_workspace, tmp_path):
    out = tmp_path / "out"
    result = sasiam("eval-vot", "--data", str(vot_workspace), "--tracker", "opencv:kcf", "--out", str(out),
                    "--eao-interval", "2,20", "--quiet")
    assert result.returncode == 0, result.stderr
    lines = (out / "results" / "opencv_kcf" / "baseline" / "ball1_jump" / "ball1_jump_001.txt").read_text().splitlines()
    assert len(lines) == 30 and lines[0] == "1"
    trajectory = read_trajectory(out / "results" / "opencv_kcf" / "baseline" / "ball1_jump" / "ball1_jump_001.txt")
    failures = [i for i, r in enumerate(trajectory) if r == F]
    for i in failures:  # every failure is followed by 4 skipped frames and a new start
        assert trajectory[i + 1:i + 5] == [U] * 4 and (i + 5 >= 30 or trajectory[i + 5] == I)
    report = json.loads((out / "report.json").read_text())
    entry = report["trackers"]["opencv_kcf"]
    assert entry["failures"] == len(failures) and entry["eao_interval"] == [2, 20]
    assert failures and 0 <= entry["accuracy"] <= 1 and entry["eao"] is not None and entry["frames"] == 30
    assert report["settings"]["skip_initialize"] == 5 and report["settings"]["burnin"] == 10
    assert "| opencv_kcf |" in (out / "report.md").read_text()
    # scoring the saved files again gives the same report without running the tracker
    rescored = sasiam("eval-vot", "--data", str(vot_workspace), "--out", str(out), "--rescore",
                      "--eao-interval", "2,20")
    assert rescored.returncode == 0, rescored.stderr
    assert json.loads((out / "report.json").read_text())["trackers"]["opencv_kcf"]["eao"] == entry["eao"]


def test_eval_vot_reads_the_shared_layout_polygons(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "vot_ball1").symlink_to(shared_sequence("vot_ball1"))
    result = sasiam("eval-vot", "--data", str(data), "--tracker", "opencv:kcf", "--out", str(tmp_path / "out"),
                    "--eao-preset", "vot2017", "--quiet")
    assert result.returncode == 0, result.stderr
    entry = json.loads((tmp_path / "out" / "report.json").read_text())["trackers"]["opencv_kcf"]
    assert entry["frames"] == 105 and entry["eao_interval"] == [100, 356] and 0 < entry["accuracy"] <= 1
    # vot2017's interval starts at 100 frames: with a failure before it, no run gets there
    assert entry["eao"] is not None or "note: EAO interval 100..356" in result.stdout


@pytest.mark.parametrize("args, message", [
    (["--eao-interval", "30,5"], "LOW <= HIGH"),
    (["--eao-interval", "5,30", "--eao-preset", "vot2016"], "not allowed with"),
    (["--tracker", "opencv:nope"], "nope"),
])
def test_user_errors_are_one_line(vot_workspace, tmp_path, args, message):
    extra = [] if "--tracker" in args else ["--tracker", "opencv:kcf"]
    result = sasiam("eval-vot", "--data", str(vot_workspace), "--out", str(tmp_path), *extra, *args)
    assert result.returncode == 2 and "Traceback" not in result.stderr and message in result.stderr
