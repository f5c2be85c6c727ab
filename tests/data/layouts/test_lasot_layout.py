"""The LaSOT layout: the training scan and the evaluation look-up find the same folders."""
from layout_files import touch_frames, write_lines
from sasiam.data.layouts import lasot


def make(folder, frames=3):
    touch_frames(folder / "img", range(1, frames + 1))
    write_lines(folder / "groundtruth.txt", ["1,2,30,40"] * frames)
    write_lines(folder / "full_occlusion.txt", [",".join(["0"] * (frames - 1) + ["1"])])


def test_scan_lookup_splits_and_flags(tmp_path):
    make(tmp_path / "cat" / "cat-10")
    make(tmp_path / "cat" / "cat-2")
    make(tmp_path / "bear-2")  # flat, as the test download unpacks
    (tmp_path / "cat" / "cat-3").mkdir()  # no img/ nor ground truth

    scanned = lasot.sequence_folders(tmp_path)
    assert [f.name for f in scanned] == ["bear-2", "cat-2", "cat-10"]
    assert [lasot.sequence_folder(tmp_path, f.name) for f in scanned] == scanned
    assert lasot.sequence_folder(tmp_path, "cat-3") is None and lasot.category("cat-10") == "cat"

    assert lasot.split_names(tmp_path, "test") is None and len(lasot.benchmark_names(tmp_path)) == 280
    (tmp_path / "testing_set.txt").write_text("cat-10\ncat-2,bear-2\n\n")
    assert lasot.benchmark_names(tmp_path) == ["cat-10", "cat-2", "bear-2"]

    raw = lasot.read_sequence(scanned[0])
    assert list(raw.flags) == ["full_occlusion"] and raw.flags["full_occlusion"].tolist() == [0, 0, 1]
    assert len(raw.frames) == len(raw.boxes) == 3 and raw.name == "bear-2"
