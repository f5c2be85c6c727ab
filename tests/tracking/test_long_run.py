"""A long run must not grow: the real default tracker over a real sequence played
back and forth, memory sampled after warm-up. The full 10,000-frame run is
scripts/long_run.py (see docs/robustness.md); this is its short version."""
import gc
import itertools

import cv2
import numpy as np

from conftest import shared_sequence
from sasiam.data.sequences import open_sequence
from sasiam.tracking.tracker import SASiamTracker

WARM_UP, MEASURED, EVERY = 10, 40, 10


def rss_mb():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS in /proc/self/status")


def test_memory_and_python_objects_stay_flat_over_a_long_run(shared_sequences):
    sequence = open_sequence(shared_sequence("Crossing"))
    frames = [cv2.imread(str(p)) for p in sequence.frame_paths]
    source = itertools.cycle(frames + frames[-2:0:-1])
    tracker = SASiamTracker()
    tracker.init(next(source), sequence.groundtruth[0])
    for _ in range(WARM_UP):
        tracker.update(next(source))
    gc.collect()
    objects, rss = [len(gc.get_objects())], [rss_mb()]
    for index in range(1, MEASURED + 1):
        assert np.isfinite(tracker.update(next(source))).all()
        if index % EVERY == 0:
            gc.collect()
            objects.append(len(gc.get_objects()))
            rss.append(rss_mb())
    # a per-frame leak of a Python object (a growing list, a cached crop) shows up exactly here
    assert max(objects) - objects[0] < 50, objects
    # and one of memory (a tensor kept per frame: >= 200 KB each) here
    assert max(rss) - rss[0] < 8, rss
