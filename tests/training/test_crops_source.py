"""The curated-crops training source (`--data crops:DIR`) on the real crops of ../shared/training,
and the pair sampling over it: within one video, by real frame numbers, balanced between ground-level
and aerial videos, the same for the same seed."""
import csv

import numpy as np
import pytest
import torch

from sasiam.data.datasets import load_dataset, sequence_group
from sasiam.errors import InputSourceError
from sasiam.training.config import TrainConfig
from sasiam.training.curation import curate
from sasiam.training.losses import pair_loss
from sasiam.training.pairs import CropPairDataset, sample_negative_pairs, sample_pairs


@pytest.fixture(scope="module")
def crop_tracks(training_crops):
    return load_dataset("crops", training_crops)


def test_the_reader_lists_every_real_crop_with_its_frame_number_and_a_centred_box(crop_tracks, training_crops):
    manifest = list(csv.DictReader((training_crops / "MANIFEST.tsv").open(), delimiter="\t"))
    assert len(crop_tracks) == len(manifest) == 52
    assert sum(t.num_visible for t in crop_tracks) == sum(int(row["crops"]) for row in manifest) == 4160
    bolt = next(t for t in crop_tracks if t.name == "otb_Bolt")
    rows = list(csv.DictReader((training_crops / "otb_Bolt" / "crops.tsv").open(), delimiter="\t"))
    assert bolt.frame_numbers.tolist() == [int(r["frame"]) for r in rows]
    assert bolt.frame_paths[1].name == f"{int(rows[1]['frame']):06d}.jpg" and bolt.curated
    width, height = float(rows[0]["w"]) * float(rows[0]["scale"]), float(rows[0]["h"]) * float(rows[0]["scale"])
    x, y, w, h = bolt.boxes[0]
    assert (w, h) == pytest.approx((width, height)) and (x + w / 2, y + h / 2) == pytest.approx((127.5, 127.5))
    groups = {t.name: t.group for t in crop_tracks}
    assert groups["uav_bike1"] == groups["dtb_Animal1"] == groups["uavdt_S0310"] == "aerial"
    assert groups["vot14_ball"] == groups["otb_Bolt"] == "ground"
    assert sum(g == "aerial" for g in groups.values()) == 28


def test_curated_crops_enter_the_cache_unchanged(crop_tracks, tmp_path):
    import cv2

    bolt = [t for t in crop_tracks if t.name == "otb_Bolt"]
    cache = curate(bolt, tmp_path, progress=False)
    assert len(cache.crops) == bolt[0].num_visible and cache.track_groups == ["ground"]
    assert np.array_equal(cache.crops[3], cv2.imread(str(bolt[0].frame_paths[3])))
    assert cache.frame_of.tolist() == bolt[0].frame_numbers.tolist()  # gaps count video frames


def test_a_crops_folder_without_its_table_is_refused(tmp_path):
    (tmp_path / "video").mkdir()
    (tmp_path / "video" / "000001.jpg").write_bytes(b"")
    with pytest.raises(InputSourceError, match="no curated-crops video"):
        load_dataset("crops", tmp_path)
    (tmp_path / "video" / "crops.tsv").write_text("frame,x,y\n")
    with pytest.raises(InputSourceError, match="header"):
        load_dataset("crops", tmp_path)


@pytest.fixture(scope="module")
def crop_cache(crop_tracks, tmp_path_factory):
    return curate(crop_tracks, tmp_path_factory.mktemp("crops_cache"), progress=False)


def test_pairs_never_cross_videos_respect_the_frame_gap_and_balance_the_groups(crop_cache):
    pairs = sample_pairs(crop_cache, 4000, max_frame_gap=30, seed=3, epoch=1)
    assert np.array_equal(crop_cache.track_of[pairs[:, 0]], crop_cache.track_of[pairs[:, 1]])
    assert np.all(np.abs(crop_cache.frame_of[pairs[:, 0]] - crop_cache.frame_of[pairs[:, 1]]) <= 30)
    groups = np.array(crop_cache.track_groups)[crop_cache.track_of[pairs[:, 0]]]
    assert abs(np.mean(groups == "aerial") - 0.5) < 0.04  # 28 aerial of 52 videos, half of the pairs
    videos = np.bincount(crop_cache.track_of[pairs[:, 0]], minlength=52)
    assert videos.min() > 0.5 * 4000 / 52  # video first: every video is drawn about equally often
    unbalanced = sample_pairs(crop_cache, 4000, max_frame_gap=30, seed=3, epoch=1, balance_groups=False)
    unbalanced_groups = np.array(crop_cache.track_groups)[crop_cache.track_of[unbalanced[:, 0]]]
    assert abs(np.mean(unbalanced_groups == "aerial") - 28 / 52) < 0.04


def test_an_epoch_is_the_same_for_the_same_seed_and_differs_between_epochs(crop_cache):
    config = TrainConfig(still_fraction=0.0, negative_fraction=0.25)
    first = CropPairDataset(crop_cache, config, epoch=2, pairs_per_epoch=64)
    again = CropPairDataset(crop_cache, config, epoch=2, pairs_per_epoch=64)
    other = CropPairDataset(crop_cache, config, epoch=3, pairs_per_epoch=64)
    assert np.array_equal(first.pairs, again.pairs) and np.array_equal(first.kinds, again.kinds)
    assert not np.array_equal(first.pairs, other.pairs)
    for position in (0, 17, 63):
        assert all(torch.equal(a, b) for a, b in zip(first[position], again[position]))
    assert (first.kinds == CropPairDataset.NEGATIVE).sum() == 16


def test_negative_pairs_come_from_two_videos_and_are_all_background(crop_cache):
    negatives = sample_negative_pairs(crop_cache, 500, seed=0, epoch=0)
    names = np.array(crop_cache.track_names)
    assert np.all(names[crop_cache.track_of[negatives[:, 0]]] != names[crop_cache.track_of[negatives[:, 1]]])
    peak = torch.full((2, 1, 17, 17), -5.0)
    peak[:, :, 8, 8] = 5.0
    as_positive = pair_loss(peak, torch.tensor([1.0, 1.0]), 16.0, 8)
    as_negative = pair_loss(peak, torch.tensor([0.0, 0.0]), 16.0, 8)
    flat = pair_loss(torch.full((2, 1, 17, 17), -5.0), torch.tensor([0.0, 0.0]), 16.0, 8)
    assert flat < as_negative  # a negative pair is penalised for any peak
    assert as_positive < pair_loss(torch.full((2, 1, 17, 17), -5.0), torch.tensor([1.0, 1.0]), 16.0, 8)


def test_groups_follow_the_dataset_prefixes():
    assert sequence_group("uav123_10fps_boat1_half") == "aerial" and sequence_group("dtb_Gull2") == "aerial"
    assert sequence_group("Basketball") == "ground" and sequence_group("vot_bag") == "ground"
