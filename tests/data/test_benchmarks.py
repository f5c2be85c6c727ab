"""Benchmark loaders: each layout built in tmp_path from real frames (symlinks to
../shared/sequences), checked for names, evaluated frame ranges, two-target
sequences, NaN where the target is absent, and missing-sequence errors; where the
got10k package has a loader for the same layout, ours must return what it returns."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import shared_sequence
from sasiam.data import benchmark_lists
from sasiam.data.benchmarks import load_benchmark
from sasiam.errors import InputSourceError

got10k_datasets = pytest.importorskip("got10k.datasets")


def real_frames(name: str = "Crossing") -> list[Path]:
    return sorted((shared_sequence(name) / "img").glob("*.jpg"))


def link_frames(folder: Path, numbers, width: int = 4, source: str = "Crossing") -> list[Path]:
    """Symlinks NNNN.jpg -> real frames (cycled), one per number."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = real_frames(source)
    links = []
    for index, number in enumerate(numbers):
        link = folder / f"{number:0{width}d}.jpg"
        link.symlink_to(frames[index % len(frames)])
        links.append(link)
    return links


def boxes(count: int, offset: float = 0.0) -> np.ndarray:
    """Distinct, valid x,y,w,h rows: row i starts at x = i + offset."""
    return np.array([[i + offset, 10 + i, 20 + i % 7, 30 + i % 5] for i in range(count)], dtype=float)


def write_boxes(path: Path, rows: np.ndarray, delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(delimiter.join(f"{v:g}" for v in row) + "\n" for row in rows))


def by_name(sequences) -> dict:
    return {s.name: s for s in sequences}


def test_vendored_lists_are_got10k_lists():
    otb = got10k_datasets.OTB
    assert benchmark_lists.OTB2013 == otb._OTB__otb13_seqs
    assert benchmark_lists.TB50 == otb._OTB__tb50_seqs
    assert benchmark_lists.TB100 == otb._OTB__tb100_seqs
    folder = Path(got10k_datasets.__file__).parent
    assert benchmark_lists.lasot_test_names() == json.loads((folder / "lasot.json").read_text())["test"]
    uav = json.loads((folder / "uav123.json").read_text())["UAV123"]
    assert benchmark_lists.uav123_ranges() == {n: (m["folder_name"], m["start_frame"], m["end_frame"])
                                               for n, m in uav.items()}


def test_otb_counts_and_two_target_names(tmp_path):
    with pytest.raises(InputSourceError) as error:
        load_benchmark("otb2013", tmp_path)
    assert "51 of 51 sequences missing" in str(error.value)
    for name, count in (("otb50", 50), ("otb100", 100), ("otb2015", 100)):
        with pytest.raises(InputSourceError, match=f"{count} of {count} sequences missing"):
            load_benchmark(name, tmp_path)
    with pytest.raises(InputSourceError, match="not in OTB-2013: Jogging, Skating2-1"):
        load_benchmark("otb2013", tmp_path, names=["Jogging", "Skating2-1"])  # Skating2 is not in OTB-2013


@pytest.fixture(scope="module")
def otb_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("otb")
    # two targets, original layout: one img/ folder, groundtruth_rect.1.txt and .2.txt
    link_frames(root / "Jogging" / "img", range(1, 8))
    write_boxes(root / "Jogging" / "groundtruth_rect.1.txt", boxes(7))
    write_boxes(root / "Jogging" / "groundtruth_rect.2.txt", boxes(7, offset=100), delimiter="\t")
    (root / "Jogging" / "attributes.txt").write_text("# OTB tags\nOCC, DEF, OPR\n")
    # two targets, one folder each (as ../shared/sequences stores Jogging-1)
    for target in (1, 2):
        link_frames(root / f"Skating2-{target}" / "img", range(1, 6))
        write_boxes(root / f"Skating2-{target}" / "groundtruth_rect.txt", boxes(5, offset=10 * target))
    # full image folders of the sequences evaluated on a frame range
    link_frames(root / "David" / "img", range(1, 771))
    write_boxes(root / "David" / "groundtruth_rect.txt", boxes(471))
    link_frames(root / "Diving" / "img", range(1, 232))
    write_boxes(root / "Diving" / "groundtruth_rect.txt", boxes(215))
    link_frames(root / "Tiger1" / "img", range(1, 355))
    write_boxes(root / "Tiger1" / "groundtruth_rect.txt", boxes(354))
    link_frames(root / "BlurCar1" / "img", range(247, 989))  # OTB's own numbering starts at 0247
    write_boxes(root / "BlurCar1" / "groundtruth_rect.txt", boxes(742))
    # an already-cut copy (frames renumbered from 1)
    link_frames(root / "Freeman4" / "img", range(1, 284))
    write_boxes(root / "Freeman4" / "groundtruth_rect.txt", boxes(283))
    # Human4: groundtruth_rect.1.txt is empty in OTB, the target is .2
    link_frames(root / "Human4" / "img", range(1, 5))
    (root / "Human4" / "groundtruth_rect.1.txt").write_text("")
    write_boxes(root / "Human4" / "groundtruth_rect.2.txt", boxes(4, offset=50))
    # 5-digit frame names; lower-case folder name
    link_frames(root / "board" / "img", range(1, 4), width=5)
    write_boxes(root / "board" / "groundtruth_rect.txt", boxes(3))
    return root


def test_otb_two_targets_ranges_and_special_files(otb_root):
    loaded = by_name(load_benchmark("otb100", otb_root, allow_missing=True, warn=lambda line: None))
    assert set(loaded) == {"Jogging-1", "Jogging-2", "Skating2-1", "Skating2-2", "David", "Diving", "Tiger1",
                           "BlurCar1", "Freeman4", "Human4", "Board"}
    for sequence in loaded.values():
        assert len(sequence.frame_paths) == len(sequence.groundtruth) == len(sequence)

    first, second = loaded["Jogging-1"], loaded["Jogging-2"]
    assert first.frame_paths == second.frame_paths and len(first) == 7
    np.testing.assert_array_equal(first.groundtruth, boxes(7))
    np.testing.assert_array_equal(second.groundtruth, boxes(7, offset=100))
    assert first.attributes == second.attributes == ["OCC", "DEF", "OPR"]
    np.testing.assert_array_equal(loaded["Skating2-2"].groundtruth, boxes(5, offset=20))
    assert loaded["Skating2-2"].frame_paths[0].parent.parent.name == "Skating2-2"

    def names(sequence):
        return sequence.frame_paths[0].name, sequence.frame_paths[-1].name, len(sequence)

    assert names(loaded["David"]) == ("0300.jpg", "0770.jpg", 471)
    assert names(loaded["Diving"]) == ("0001.jpg", "0215.jpg", 215)
    assert names(loaded["BlurCar1"]) == ("0247.jpg", "0988.jpg", 742)
    assert names(loaded["Freeman4"]) == ("0001.jpg", "0283.jpg", 283)
    assert names(loaded["Board"]) == ("00001.jpg", "00003.jpg", 3)
    # Tiger1: the OTB toolkit starts at frame 6, in the frames and in the ground truth
    assert names(loaded["Tiger1"]) == ("0006.jpg", "0354.jpg", 349)
    np.testing.assert_array_equal(loaded["Tiger1"].groundtruth, boxes(354)[5:])
    np.testing.assert_array_equal(loaded["Human4"].groundtruth, boxes(4, offset=50))


def test_otb_matches_got10k_where_conventions_agree(otb_root):
    """got10k's OTB loader on the same folders (it knows no Tiger1 cut, no Jogging-1/ folders,
    no lower-case names)."""
    ours = by_name(load_benchmark("otb100", otb_root, names=["David", "Diving", "BlurCar1", "Human4", "Jogging-2"]))
    theirs = got10k_datasets.OTB(str(otb_root), version="tb100", download=False)
    for ours_name, their_name in (("David", "David"), ("Diving", "Diving"), ("BlurCar1", "BlurCar1"),
                                  ("Human4", "Human4"), ("Jogging-2", "Jogging.2")):
        frames, annotation = theirs[their_name]
        assert [str(p) for p in ours[ours_name].frame_paths] == frames
        np.testing.assert_array_equal(ours[ours_name].groundtruth, annotation)


def test_otb_range_mismatch_is_a_clear_error(tmp_path):
    link_frames(tmp_path / "Freeman3" / "img", range(1, 301))
    write_boxes(tmp_path / "Freeman3" / "groundtruth_rect.txt", boxes(460))
    with pytest.raises(InputSourceError, match=r"Freeman3 is evaluated on frames 1-460 .* 300 frames"):
        load_benchmark("otb100", tmp_path, names=["Freeman3"])


def test_otb_missing_sequences_error_and_allow_missing(otb_root):
    with pytest.raises(InputSourceError) as error:
        load_benchmark("otb2013", otb_root)
    message = str(error.value)
    # of the fixture's sequences OTB-2013 has David, Freeman4, Jogging (two targets) and Tiger1
    assert "otb2013: 46 of 51 sequences missing" in message
    assert "Basketball, Bolt, Boy" in message and "more)" in message
    assert "groundtruth_rect.txt" in message and "--allow-missing evaluates the 5 present" in message
    warnings = []
    present = load_benchmark("otb2013", otb_root, allow_missing=True, warn=warnings.append)
    assert [s.name for s in present] == ["David", "Freeman4", "Jogging-1", "Jogging-2", "Tiger1"]
    assert len(warnings) == 1 and "46 of 51 sequences missing" in warnings[0]


def test_vot_polygons_color_folder_and_tags(tmp_path):
    polygons = (shared_sequence("vot_bag") / "groundtruth_original.txt").read_text().splitlines()[:6]
    (tmp_path / "list.txt").write_text("bag\nball1\nglove\n")
    link_frames(tmp_path / "bag", range(1, 7), width=8, source="vot_bag")  # frames beside groundtruth.txt
    (tmp_path / "bag" / "groundtruth.txt").write_text("\n".join(polygons) + "\n")
    (tmp_path / "bag" / "occlusion.tag").write_text("0\n0\n1\n")
    (tmp_path / "bag" / "camera_motion.tag").write_text("0\n")
    link_frames(tmp_path / "ball1" / "color", range(1, 5), width=8, source="vot_ball1")  # VOT toolkit's color/
    write_boxes(tmp_path / "ball1" / "groundtruth.txt", boxes(4))

    with pytest.raises(InputSourceError, match="vot2016: 1 of 3 sequences missing .*glove"):
        load_benchmark("vot2016", tmp_path)
    loaded = by_name(load_benchmark("vot2016", tmp_path, allow_missing=True, warn=lambda line: None))
    assert list(loaded) == ["bag", "ball1"]
    assert loaded["bag"].attributes == ["occlusion"]
    assert [p.parent.name for p in loaded["ball1"].frame_paths] == ["color"] * 4
    np.testing.assert_array_equal(loaded["ball1"].groundtruth, boxes(4))

    (tmp_path / "list.txt").write_text("bag\n")  # got10k's VOT loader reads frames beside groundtruth.txt
    frames, annotation = got10k_datasets.VOT(str(tmp_path), version=2016, download=False)["bag"]
    assert [str(p) for p in loaded["bag"].frame_paths] == frames
    np.testing.assert_allclose(loaded["bag"].groundtruth, annotation)
    for name in ("vot2015", "vot2017"):
        assert len(load_benchmark(name, tmp_path)) == 1


def test_vot_without_list_names_the_layout(tmp_path):
    with pytest.raises(InputSourceError, match="no list.txt; vot2017 expects ROOT/list.txt"):
        load_benchmark("vot2017", tmp_path)


def test_got10k_val_absent_frames_are_nan(tmp_path):
    val = tmp_path / "val"
    names = ["GOT-10k_Val_000001", "GOT-10k_Val_000002"]
    (val / "list.txt").parent.mkdir()
    (val / "list.txt").write_text("\n".join(names) + "\n")
    for offset, name in enumerate(names):
        link_frames(val / name, range(1, 9), width=8)
        write_boxes(val / name / "groundtruth.txt", boxes(8, offset=offset))
        (val / name / "absence.label").write_text("0\n0\n1\n0\n0\n0\n0\n0\n")
        (val / name / "cover.label").write_text("8\n8\n0\n8\n0\n5\n8\n8\n")
        (val / name / "meta_info.ini").write_text("[METAINFO]\nobject_class: person\n")
    loaded = load_benchmark("got10k-val", tmp_path)
    assert [s.name for s in loaded] == names
    hidden = np.isnan(loaded[0].groundtruth).all(axis=1)
    assert hidden.tolist() == [False, False, True, False, True, False, False, False]

    theirs = got10k_datasets.GOT10k(str(tmp_path), subset="val")
    for sequence in loaded:
        frames, annotation = theirs[sequence.name]
        assert [str(p) for p in sequence.frame_paths] == frames
        np.testing.assert_array_equal(sequence.groundtruth[~hidden], annotation[~hidden])
    assert len(load_benchmark("got10k-val", val)) == 2  # the val folder itself is accepted too


def test_lasot_test_occlusion_and_out_of_view_are_nan(tmp_path):
    folder = tmp_path / "airplane" / "airplane-1"
    link_frames(folder / "img", range(1, 7), width=8)
    write_boxes(folder / "groundtruth.txt", boxes(6))
    (folder / "full_occlusion.txt").write_text("0,0,1,0,0,0\n")
    (folder / "out_of_view.txt").write_text("0,0,0,0,1,1\n")
    flat = tmp_path / "bear-2"  # a flat copy without the class folder
    link_frames(flat / "img", range(1, 4), width=8)
    write_boxes(flat / "groundtruth.txt", boxes(3))

    with pytest.raises(InputSourceError, match="lasot-test: 278 of 280 sequences missing"):
        load_benchmark("lasot-test", tmp_path)
    (tmp_path / "testing_set.txt").write_text("airplane-1\nbear-2\n")
    loaded = by_name(load_benchmark("lasot-test", tmp_path))
    assert list(loaded) == ["airplane-1", "bear-2"]
    assert np.isnan(loaded["airplane-1"].groundtruth).all(axis=1).tolist() == [False, False, True, False, True, True]
    assert len(loaded["bear-2"]) == 3


def test_uav123_sub_sequence_frame_range(tmp_path):
    folder = tmp_path / "data_seq" / "UAV123" / "person8"
    link_frames(folder, range(1070, 1531), width=6)  # a few frames either side of person8_2 (1075-1525)
    annotation = boxes(451)
    annotation[100] = np.nan  # UAV123 marks absent targets NaN,NaN,NaN,NaN
    write_boxes(tmp_path / "anno" / "UAV123" / "person8_2.txt", annotation)
    for extra in ("README", "LICENSE"):  # got10k only opens a root with more than 3 entries
        (tmp_path / extra).write_text("")

    loaded = load_benchmark("uav123", tmp_path, names=["person8_2"])
    assert loaded[0].frame_paths[0].name == "001075.jpg" and loaded[0].frame_paths[-1].name == "001525.jpg"
    assert np.isnan(loaded[0].groundtruth[100]).all() and len(loaded[0]) == 451
    frames, theirs = got10k_datasets.UAV123(str(tmp_path))["person8_2"]
    assert [str(p) for p in loaded[0].frame_paths] == frames
    np.testing.assert_array_equal(loaded[0].groundtruth, theirs)
    with pytest.raises(InputSourceError, match="uav123: 1 of 2 sequences missing .*person8_1"):
        load_benchmark("uav123", tmp_path, names=["person8_1", "person8_2"])


def test_tc128_frame_range_file(tmp_path):
    folder = tmp_path / "Ball_ce2"
    link_frames(folder / "img", range(1, 13))
    (folder / "Ball_ce2_frames.txt").write_text("3,10\n")
    write_boxes(folder / "Ball_ce2_gt.txt", boxes(8))
    loaded = load_benchmark("tc128", tmp_path)
    assert [p.name for p in loaded[0].frame_paths] == [f"{n:04d}.jpg" for n in range(3, 11)]
    frames, theirs = got10k_datasets.TColor128(str(tmp_path), download=False)["Ball_ce2"]
    assert [str(p) for p in loaded[0].frame_paths] == frames
    np.testing.assert_array_equal(loaded[0].groundtruth, theirs)


def test_folder_is_every_sub_folder_with_attributes(tmp_path, shared_sequences):
    for name in ("Crossing", "vot_ball1"):
        (tmp_path / name).symlink_to(shared_sequences / name)
    loaded = by_name(load_benchmark("folder", tmp_path))
    assert list(loaded) == ["Crossing", "vot_ball1"]
    assert loaded["Crossing"].attributes == ["SV", "DEF", "FM", "OPR", "BC"] and loaded["vot_ball1"].attributes == []
    with pytest.raises(InputSourceError, match="folder: 1 of 1 sequences missing .*Nope"):
        load_benchmark("folder", tmp_path, names=["Nope"])


def test_shared_sequences_as_otb100(shared_sequences):
    warnings = []
    loaded = by_name(load_benchmark("otb100", shared_sequences, allow_missing=True, warn=warnings.append))
    assert {"David", "Diving", "Football1", "Jogging-1", "Crossing", "Basketball"} <= set(loaded)
    assert "Dudek_first20" not in loaded and "vot_bag" not in loaded
    for sequence in loaded.values():
        assert len(sequence.groundtruth) == len(sequence.frame_paths), sequence.name
    # ../shared/sequences holds these already cut to OTB's evaluated range
    assert len(loaded["David"]) == 471 and len(loaded["Diving"]) == 215 and len(loaded["Football1"]) == 74
    assert loaded["David"].attributes and "OCC" in loaded["David"].attributes
    assert len(warnings) == 1 and "sequences missing" in warnings[0]


def test_cli_names_missing_sequences_in_one_line(shared_sequences, tmp_path):
    run = subprocess.run([sys.executable, "-m", "sasiam", "eval", "--dataset", "otb2013", "--data",
                          str(shared_sequences), "--tracker", "opencv:kcf", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1 and "otb2013: 42 of 51 sequences missing" in run.stderr
    assert "--allow-missing" in run.stderr
