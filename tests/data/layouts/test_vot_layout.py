"""The VOT layout and its two readers' rules: `TOOLKIT_FILES` (`sasiam eval --dataset vot*`) and
`EVAL_VOT_FILES` (`sasiam eval-vot`, which also reads the shared folders' OTB-layout copies)."""
import numpy as np
import pytest

from conftest import shared_sequence
from sasiam.data.benchmarks import load_benchmark
from sasiam.data.layouts import vot
from sasiam.errors import InputSourceError
from sasiam.evaluation.vot import Polygon
from sasiam.evaluation.vot_benchmark import find_sequences, open_vot_sequence


@pytest.fixture
def mixed_root(tmp_path):
    """toolkit/: VOT toolkit layout (color/, groundtruth.txt, tags, sequence file); shared/: a shared
    folder's copy (img/, groundtruth_original.txt polygons, groundtruth_rect.txt min/max boxes)."""
    source = shared_sequence("vot_bag")
    frames = sorted((source / "img").glob("*.jpg"))[:4]
    polygons = (source / "groundtruth_original.txt").read_text().splitlines()[:4]
    for name, frame_folder, files in (("toolkit", "color", {"groundtruth.txt": polygons}),
                                      ("shared", "img", {"groundtruth_original.txt": polygons,
                                                         "groundtruth_rect.txt": ["1,2,3,4"] * 4})):
        (tmp_path / name / frame_folder).mkdir(parents=True)
        for frame in frames:
            (tmp_path / name / frame_folder / frame.name).symlink_to(frame)
        for file_name, lines in files.items():
            (tmp_path / name / file_name).write_text("\n".join(lines) + "\n")
    (tmp_path / "toolkit" / "occlusion.tag").write_text("0\n1\n0\n0\n")
    (tmp_path / "toolkit" / "illum_change.label").write_text("0\n0\n0\n0\n")
    (tmp_path / "toolkit" / "sequence").write_text("width=640\nheight=480\nformat=default\n")
    (tmp_path / "notes").mkdir()
    return tmp_path


def test_the_two_rules_find_different_files(mixed_root):
    toolkit, shared = mixed_root / "toolkit", mixed_root / "shared"
    assert vot.groundtruth_file(toolkit, vot.TOOLKIT_FILES) == toolkit / "groundtruth.txt"
    assert vot.groundtruth_file(toolkit, vot.EVAL_VOT_FILES) == toolkit / "groundtruth.txt"
    assert vot.frame_folder(toolkit, vot.TOOLKIT_FILES) == vot.frame_folder(toolkit, vot.EVAL_VOT_FILES) == \
        toolkit / "color"
    # the shared copy: only eval-vot reads it (the polygons first), frames in img/
    assert vot.groundtruth_file(shared, vot.TOOLKIT_FILES) is None
    assert vot.groundtruth_file(shared, vot.EVAL_VOT_FILES) == shared / "groundtruth_original.txt"
    assert vot.frame_folder(shared, vot.TOOLKIT_FILES) == shared
    assert vot.frame_folder(shared, vot.EVAL_VOT_FILES) == shared / "img"


def test_sequences_tags_and_metadata(mixed_root):
    assert vot.listed_names(mixed_root) is None
    # without list.txt: the folders with a ground truth, by the reader's own names
    assert vot.sequence_folders(mixed_root, vot.EVAL_VOT_FILES) == [mixed_root / "shared", mixed_root / "toolkit"]
    assert vot.sequence_folders(mixed_root, vot.TOOLKIT_FILES) == [mixed_root / "toolkit"]
    (mixed_root / "list.txt").write_text("toolkit\n\nshared\n")
    assert vot.listed_names(mixed_root) == ["toolkit", "shared"]
    assert vot.sequence_folders(mixed_root, vot.TOOLKIT_FILES) == [mixed_root / "toolkit", mixed_root / "shared"]
    assert vot.read_tags(mixed_root / "toolkit") == ["occlusion"]
    assert vot.read_properties(mixed_root / "toolkit")["width"] == "640"
    assert vot.read_properties(mixed_root / "shared") == {}


def test_the_views_of_one_layout(mixed_root):
    """`sasiam eval` gets boxes (got10k's area-preserving rule) for the toolkit copy and misses the
    shared one; `sasiam eval-vot` gets polygons for both, its size from the metadata or the frame."""
    with pytest.raises(InputSourceError, match="no list.txt"):
        load_benchmark("vot2016", mixed_root)
    (mixed_root / "list.txt").write_text("toolkit\nshared\n")
    loaded = load_benchmark("vot2016", mixed_root, allow_missing=True, warn=lambda line: None)
    assert [s.name for s in loaded] == ["toolkit"] and loaded[0].attributes == ["occlusion"]
    assert loaded[0].groundtruth.shape == (4, 4) and not np.isnan(loaded[0].groundtruth).any()

    found = find_sequences(mixed_root)
    assert [f.name for f in found] == ["toolkit", "shared"]
    toolkit, shared = (open_vot_sequence(folder) for folder in found)
    assert all(isinstance(region, Polygon) for region in toolkit.groundtruth + shared.groundtruth)
    assert toolkit.groundtruth == shared.groundtruth and toolkit.size == (640, 480)
    assert shared.frame_paths[0].parent.name == "img" and shared.size == (480, 360)  # vot_bag frames are 480 x 360
