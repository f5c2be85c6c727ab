"""The CUDA-graph search step's bookkeeping, on the CPU: `cuda_graphs.eager_capture` stands in for the
CUDA capture (same static buffers, replay recomputes), so a graph that kept stale crops or kernels, or
mixed up shapes, would give other boxes than the eager backend. The CUDA capture itself runs in
`scripts/gpu_check.sh`."""
import cv2
import numpy as np
import pytest

from conftest import shared_sequence
from sasiam.backends.cuda_graphs import eager_capture
from sasiam.backends.torch import TorchBackend, load
from sasiam.errors import InvalidOptionError
from sasiam.tracking.multi import MultiTargetTracker
from sasiam.tracking.tracker import SASiamTracker


@pytest.fixture(scope="module")
def david():
    root = shared_sequence("David")
    frames = [cv2.imread(str(path)) for path in sorted((root / "img").glob("*.jpg"))[:6]]
    first = [float(v) for v in (root / "groundtruth_rect.txt").read_text().splitlines()[0].replace("\t", ",").split(",")]
    return frames, tuple(first)


@pytest.fixture(scope="module")
def backends():
    eager = load(branches="both")  # the shipped weights
    graphed = TorchBackend(eager.net, eager.lam, cuda_graphs=True, capture=eager_capture)
    return eager, graphed


def track(backend, frames, box):
    tracker = SASiamTracker(backend=backend)
    tracker.init(frames[0], box)
    return np.array([tracker.update(frame) for frame in frames[1:]])


def test_graphed_search_gives_the_eager_boxes_and_captures_once(backends, david):
    eager, graphed = backends
    frames, box = david
    assert np.array_equal(track(graphed, frames, box), track(eager, frames, box))
    assert graphed.graphs.captured == 1  # five updates of one target: one shape, one graph


def test_a_new_video_reuses_the_graph_with_its_own_kernels(backends, david):
    eager, graphed = backends
    frames, (x, y, w, h) = david
    other = (x + 12, y + 8, w * 0.8, h * 0.8)  # another target: new kernels copied into the same buffers
    assert np.array_equal(track(graphed, frames[::-1], other), track(eager, frames[::-1], other))
    assert graphed.graphs.captured == 1


def test_another_number_of_targets_gets_its_own_graph(backends, david):
    eager, graphed = backends
    frames, (x, y, w, h) = david
    boxes = [(x, y, w, h), (x + 20, y + 10, w, h)]
    results = []
    for backend in (eager, graphed):
        tracker = MultiTargetTracker.from_tracker(SASiamTracker(backend=backend))
        tracker.init(frames[0], boxes)
        results.append(np.array([tracker.update(frame) for frame in frames[1:]]))
    assert np.array_equal(results[0], results[1])
    assert graphed.graphs.captured == 2  # 3 crops and 6 crops


def test_cuda_graphs_without_a_gpu_is_a_clear_error():
    with pytest.raises(InvalidOptionError, match="CUDA graphs need a CUDA device"):
        load(branches="appearance", cuda_graphs=True)
    assert load(branches="appearance").graphs is None  # the CPU default: eager
