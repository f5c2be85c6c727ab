"""The ILSVRC2015-VID layout: videos in natural order, objects by trackid, boxes from corners."""
import numpy as np

from layout_files import touch_frames
from sasiam.data.layouts import vid


def test_videos_objects_and_boxes(tmp_path):
    for video in ("train_0001/b", "train_0000/a10", "train_0000/a2"):
        annotations = vid.annotation_folder(tmp_path, "train") / video
        annotations.mkdir(parents=True)
        (annotations / "000000.xml").write_text(
            "<annotation><object><trackid>10</trackid><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>11</xmax>"
            "<ymax>22</ymax></bndbox><occluded>1</occluded></object><object><trackid>2</trackid><bndbox>"
            "<xmin>0</xmin><ymin>0</ymin><xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>")
        touch_frames(vid.data_folder(tmp_path, "train") / video, [0], width=6, suffix=".JPEG")
    videos = list(vid.videos(tmp_path, "train"))
    assert [str(v.relative) for v in videos] == ["train_0000/a2", "train_0000/a10", "train_0001/b"]
    assert videos[0].name == "a2" and list(vid.frame_files(videos[0])) == ["000000"]

    per_frame = [vid.read_objects(videos[0].annotations / "000000.xml"), {}]
    assert vid.trackids(per_frame) == ["2", "10"]
    np.testing.assert_array_equal(vid.corners_to_boxes(per_frame, "10")[0], [1, 2, 10, 20])  # no +1
    assert np.isnan(vid.corners_to_boxes(per_frame, "10")[1]).all()
    assert list(vid.read_objects(videos[0].annotations / "000000.xml", exclude_occluded=True)) == ["2"]
