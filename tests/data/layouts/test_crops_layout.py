"""The curated-crops layout on the real crops of ../shared/training."""
import numpy as np
import pytest

from sasiam.data.layouts import crops
from sasiam.errors import InputSourceError


def test_real_crops_table(training_crops):
    folders = crops.video_folders(training_crops)
    assert len(folders) == 52 and crops.video_folders(folders[0]) == [folders[0]]
    rows = crops.read_table(training_crops / "otb_Bolt")
    assert rows.shape[1] == len(crops.COLUMNS) == 8
    numbers = crops.frame_numbers(rows)
    assert all(path.is_file() for path in crops.crop_paths(training_crops / "otb_Bolt", numbers))
    boxes = crops.crop_boxes(rows)
    np.testing.assert_allclose(boxes[:, :2] + boxes[:, 2:] / 2, 127.5)
    np.testing.assert_allclose(boxes[:, 2:], rows[:, 3:5] * crops.scales(rows)[:, None])


def test_a_bad_table_is_named(tmp_path):
    (tmp_path / "crops.tsv").write_text("\t".join(crops.COLUMNS) + "\n1\t2\n")
    with pytest.raises(InputSourceError, match="crops.tsv: every row needs 8 numbers"):
        crops.read_table(tmp_path)
