"""The GOT-10k layout: list or scan, the split folders each reader takes, the raw flags."""
from layout_files import touch_frames, write_lines
from sasiam.data.layouts import got10k


def test_lists_scans_and_flags(tmp_path):
    split = got10k.split_folder(tmp_path, "train")
    for name in ("GOT-10k_Train_000010", "GOT-10k_Train_000002"):
        touch_frames(split / name, range(1, 4))
        write_lines(split / name / "groundtruth.txt", ["1,2,30,40"] * 3)
    write_lines(split / "GOT-10k_Train_000002" / "absence.label", [0, 1, 0])
    (split / "GOT-10k_Train_000003").mkdir()  # no ground truth: not a sequence

    assert got10k.listed_names(split) is None
    assert got10k.scanned_names(split) == ["GOT-10k_Train_000002", "GOT-10k_Train_000010"]
    write_lines(split / "list.txt", ["GOT-10k_Train_000010", "", "GOT-10k_Train_000099"])
    assert got10k.listed_names(split) == ["GOT-10k_Train_000010", "GOT-10k_Train_000099"]

    raw = got10k.read_sequence(split / "GOT-10k_Train_000002")
    assert raw.name == "GOT-10k_Train_000002" and [p.name for p in raw.frames][0] == "00000001.jpg"
    assert list(raw.flags) == ["absence"] and raw.flags["absence"].tolist() == [0, 1, 0]
    assert raw.boxes.shape == (3, 4) and got10k.read_sequence(split / "GOT-10k_Train_000010").flags == {}


def test_val_folder(tmp_path):
    assert got10k.val_folder(tmp_path) == tmp_path  # the val folder given itself
    write_lines(tmp_path / "val" / "list.txt", ["GOT-10k_Val_000001"])
    assert got10k.val_folder(tmp_path) == tmp_path / "val"
