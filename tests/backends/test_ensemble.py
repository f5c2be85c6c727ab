"""Table 2's ensembles: the averaged score maps of two models of the same kind (backend="ensemble")."""
import cv2
import numpy as np
import pytest

from conftest import shared_sequence
from sasiam.backends import load_backend
from sasiam.backends.ensemble import EnsembleBackend
from sasiam.backends.torch import TorchBackend, load
from sasiam.errors import InvalidOptionError
from sasiam.models.factory import build_network
from sasiam.config import ModelConfig
from sasiam.tracking.multi import MultiTargetTracker
from sasiam.tracking.tracker import SASiamTracker


@pytest.fixture(scope="module")
def crops():
    root = shared_sequence("David")
    frame = cv2.imread(str(sorted((root / "img").glob("*.jpg"))[0]))
    tracker = SASiamTracker(branches="appearance")
    tracker.init(frame, (160, 112, 60, 80))
    return tracker.policy.context_crop(frame, tracker.state)[None], tracker.policy.search_crops(frame, tracker.state)


def test_the_ensemble_averages_its_members_maps(crops):
    context, search = crops
    shipped = load(branches="appearance")
    other = TorchBackend(build_network(ModelConfig(), "appearance").eval(), lam=0.3)  # another A-Net (random init)
    ensemble = EnsembleBackend([shipped, other])
    maps = ensemble.score_maps(ensemble.exemplar(context), search)
    first = shipped.score_maps(shipped.exemplar(context), search)
    second = other.score_maps(other.exemplar(context), search)
    assert not np.allclose(first, second)  # two different models ...
    np.testing.assert_allclose(maps, (first + second) / 2, rtol=0, atol=1e-6)  # ... and exactly their mean


def test_the_ensemble_kind_loads_checkpoints_joined_by_plus(crops, tmp_path):
    from sasiam.weights import default_weights_path

    weights = default_weights_path()
    ensemble = load_backend("ensemble", weights=f"{weights}+{weights}", branches="appearance")
    assert len(ensemble.members) == 2
    context, search = crops
    single = ensemble.members[0]
    np.testing.assert_allclose(ensemble.score_maps(ensemble.exemplar(context), search),
                               single.score_maps(single.exemplar(context), search), atol=1e-6)
    with pytest.raises(InvalidOptionError, match="two or more checkpoints"):
        load_backend("ensemble", weights=str(weights))


def test_the_ensemble_tracks_many_targets_as_the_tracker_does(crops):
    root = shared_sequence("David")
    frames = [cv2.imread(str(p)) for p in sorted((root / "img").glob("*.jpg"))[:3]]
    shipped = load(branches="appearance")
    other = TorchBackend(build_network(ModelConfig(), "appearance").eval(), lam=0.3)
    boxes = [(160, 112, 60, 80), (100, 60, 50, 50)]
    multi = MultiTargetTracker.from_tracker(SASiamTracker(backend=EnsembleBackend([shipped, other])))
    multi.init(frames[0], boxes[:1])
    multi.add(frames[0], boxes[1])  # kernels of a new target appended to each member's
    batched = [multi.update(frame) for frame in frames[1:]]
    singles = []
    for box in boxes:
        tracker = SASiamTracker(backend=EnsembleBackend([shipped, other]))
        tracker.init(frames[0], box)
        singles.append([tracker.update(frame) for frame in frames[1:]])
    np.testing.assert_allclose(np.array(batched), np.array(singles).transpose(1, 0, 2), atol=1e-4)
