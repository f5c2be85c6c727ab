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
