import numpy as np
import pytest
import torch

from sasiam.training.config import TrainConfig
from sasiam.training.curation import CropCache
from sasiam.training.losses import balanced_logistic_loss, logistic_labels
from sasiam.training.pairs import augment, sample_pairs
from sasiam.training.trainer import learning_rate


def test_labels_are_positive_within_16_px_and_balanced():
    labels, weights = logistic_labels(15, 16.0, 8)
    assert labels.sum() == 13  # cells within 2 cells (16 px) of the centre, Euclidean
    assert labels[7, 7] == 1 and labels[7, 9] == 1 and labels[8, 9] == 0
    assert weights[labels > 0].sum() == pytest.approx(0.5) and weights[labels == 0].sum() == pytest.approx(0.5)


def test_loss_rewards_a_peak_in_the_centre():
    labels, weights = logistic_labels(15, 16.0, 8)
    good = (labels * 10 - 5).view(1, 1, 15, 15)
    assert balanced_logistic_loss(good, labels, weights) < balanced_logistic_loss(-good, labels, weights)
    assert balanced_logistic_loss(torch.zeros(2, 1, 15, 15), labels, weights) == pytest.approx(np.log(2), rel=1e-5)


def test_schedule_is_the_papers():
    config = TrainConfig()
    assert (config.epochs, config.lr, config.lr_drop_epoch, config.weight_decay, config.batch_size) == (30, 0.01, 25, 5e-4, 8)
    assert learning_rate(config, 24) == 0.01 and learning_rate(config, 25) == pytest.approx(0.001)


def fake_cache():
    track_of = np.repeat([0, 1, 2], [300, 5, 1])
    frame_of = np.concatenate([np.arange(300), np.arange(5), [0]])
    crops = np.zeros((len(track_of), 255, 255, 3), np.uint8)
    return CropCache(crops, ["long", "short", "single"], track_of, frame_of)


def test_pairs_come_from_one_track_at_most_100_frames_apart_and_are_deterministic():
    cache = fake_cache()
    pairs = sample_pairs(cache, 500, 100, seed=3, epoch=2)
    assert np.array_equal(pairs, sample_pairs(cache, 500, 100, seed=3, epoch=2))
    assert not np.array_equal(pairs, sample_pairs(cache, 500, 100, seed=3, epoch=3))
    assert np.all(cache.track_of[pairs[:, 0]] == cache.track_of[pairs[:, 1]])
    assert np.all(np.abs(cache.frame_of[pairs[:, 0]] - cache.frame_of[pairs[:, 1]]) <= 100)
    assert 2 not in cache.track_of[pairs[:, 0]]  # a one-frame track cannot make a pair


def test_augmentation_keeps_the_target_near_the_centre():
    crop = np.zeros((255, 255, 3), np.uint8)
    crop[125:130, 125:130] = 255
    rng = np.random.default_rng(0)
    for _ in range(20):
        out = augment(crop, rng, TrainConfig())
        assert out.shape == (239, 239, 3)
        ys, xs = np.nonzero(out[..., 0] > 128)
        assert abs(ys.mean() - 119) <= 5 and abs(xs.mean() - 119) <= 5


def test_still_pairs_keep_the_box_centred_and_fill_their_share_deterministically(shared_sequences):
    from sasiam.data.datasets import load_dataset
    from sasiam.training.pairs import CropPairDataset
    from sasiam.training.still_pairs import random_box_tracks, still_augment

    tracks = [t for t in load_dataset("otb", str(shared_sequences)) if t.name == "vot_ball1"]
    still = random_box_tracks(tracks, boxes_per_frame=2, frame_step=20, seed=0)
    assert len(still) == 2 * len(range(0, tracks[0].num_visible, 20))
    for track in still:  # sized like the target, inside the frame
        x, y, w, h = track.boxes[0]
        assert x >= 0 and y >= 0 and x + w <= 1280 and y + h <= 720 and w >= 8 and h >= 8

    config = TrainConfig(still_fraction=0.25, still_max_rotation=10.0)
    crop = np.zeros((255, 255, 3), np.uint8)
    crop[125:130, 125:130] = 255
    rng = np.random.default_rng(1)
    for _ in range(20):
        ys, xs = np.nonzero(still_augment(crop, rng, config).max(axis=2) > 128)
        assert abs(ys.mean() - 119) <= 5 and abs(xs.mean() - 119) <= 5

    cache = fake_cache()
    still_cache = CropCache(np.random.default_rng(0).integers(0, 255, (7, 255, 255, 3), dtype=np.uint8),
                            ["a"], np.zeros(7, int), np.zeros(7, int))
    dataset = CropPairDataset(cache, config, epoch=0, pairs_per_epoch=40, still=still_cache)
    assert len(dataset) == 40 and len(dataset.still_rows) == 10
    # spread through the epoch, not one block at its end (the loader does not shuffle)
    is_still = dataset.kinds == CropPairDataset.STILL
    assert is_still.sum() == 10 and is_still[:20].any() and is_still[20:].any()
    assert sorted(dataset.within[is_still]) == list(range(10)) and sorted(dataset.within[~is_still]) == list(range(30))
    position = int(np.flatnonzero(is_still)[0])
    exemplar, search, positive = dataset[position]
    assert positive == 1.0
    again = CropPairDataset(cache, config, epoch=0, pairs_per_epoch=40, still=still_cache)[position]
    assert torch.equal(exemplar, again[0]) and torch.equal(search, again[1])
    assert exemplar.shape == search.shape == (3, 239, 239) and not torch.equal(exemplar, search)
