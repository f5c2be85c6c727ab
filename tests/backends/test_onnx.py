"""ONNX export + the onnxruntime backend, on real frames of ../shared/sequences (Crossing).

The graphs are exported once per module (through the real `sasiam export-onnx`
command, ~50 s of CPU: torch.export + ONNX translation of both graphs) and run in
the real onnxruntime. Reference: `TorchBackend` / the torch tracker on the same crops.

Tolerance: fp32 PyTorch and ONNX Runtime sum the convolutions in different orders,
which gives ~1e-5 on score maps that reach +-9 (measured 2.5e-5) and on kernels.
1e-3 leaves a 40x margin and is still ~1e-4 of the maps' range, while a wrong graph
(wrong kernel per target, missing attention, BGR/RGB swap) differs by 0.1 or more;
`test_multi_target_batches_match_torch` shows the maps of another target are that far.
"""
from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import re
import subprocess
import sys
import time

import numpy as np
import onnx
import pytest

from sasiam.cli import main
from sasiam.data.sequences import open_sequence
from sasiam.errors import CheckpointError
from sasiam.files import FOLDER_DIGESTS, file_sha256
from sasiam.backends.onnx import DEFAULT_OPSET, MANIFEST_NAME, OnnxBackend, kernel_name
from sasiam.backends.torch import TorchBackend, crops_to_tensor, load_network
from sasiam.integrations import onnx_export
from sasiam.tracking.geometry import iou
from sasiam.tracking.tracker import SASiamTracker
from sasiam.weights import default_weights_path
from conftest import cut_sequence, shared_sequence

TOLERANCE = 1e-3
TRACK_FRAMES = 20
NO_TORCH_FRAMES = 6


@pytest.fixture(scope="module")
def crossing():
    sequence = open_sequence(shared_sequence("Crossing"))
    frames = list(itertools.islice(sequence.frames(), TRACK_FRAMES))
    return sequence, frames, sequence.groundtruth[:TRACK_FRAMES]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The default weights exported by the CLI, which also checks the graphs against PyTorch."""
    out = tmp_path_factory.mktemp("onnx")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = main(["export-onnx", "--out", str(out), "--quiet", "--check-on", str(shared_sequence("Crossing"))])
    assert code == 0, stdout.getvalue()
    return out, stdout.getvalue()


@pytest.fixture(scope="module")
def backends(exported):
    net, _, _ = load_network(None, "both")
    onnx_backend = OnnxBackend(exported[0])
    return onnx_backend, TorchBackend(net, onnx_backend.lam)


def tracker_crops(frames, boxes, first=1, last=5):
    return onnx_export.crops_for_check([frames[0], *frames[first:last]], np.array([boxes[0], *boxes[first:last]]))


def test_cli_writes_both_graphs_and_a_manifest_and_reports_the_difference(exported):
    out, printed = exported
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    weights = default_weights_path()
    net_lam = load_network(None, "both")[1]
    assert manifest["branches"] == ["appearance", "semantic"] and manifest["lam"] == pytest.approx(net_lam)
    assert manifest["source_sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    assert manifest["sasiam_version"] and manifest["opset"] == DEFAULT_OPSET == onnx_export.DEFAULT_OPSET
    assert manifest["search_inputs"] == ["search_crops", "semantic_search_crops", "appearance_kernels",
                                         "semantic_kernels"]
    for name in ("exemplar.onnx", "search.onnx"):
        model = onnx.load(str(out / name))
        onnx.checker.check_model(model)
        batch = [i.type.tensor_type.shape.dim[0] for i in model.graph.input]
        assert all(d.dim_param and not d.dim_value for d in batch), f"{name}: batch sizes must stay dynamic"
    reported = float(re.search(r"score maps: (\S+) combined", printed).group(1))
    assert "check on Crossing" in printed and reported < TOLERANCE


def test_score_maps_match_torch_on_real_crops(backends, crossing):
    onnx_backend, torch_backend = backends
    _, frames, boxes = crossing
    context, search = tracker_crops(frames, boxes)
    assert search.shape == (12, 255, 255, 3)
    onnx_kernels = onnx_backend.exemplar(context)
    torch_kernels = torch_backend.exemplar(context)
    for name in ("appearance", "semantic"):
        diff = np.abs(onnx_kernels[kernel_name(name)] - torch_kernels[name].numpy()).max()
        assert diff < TOLERANCE, f"{name} kernels differ by {diff}"
    expected = torch_backend.score_maps(torch_kernels, search)
    got = onnx_backend.score_maps(onnx_kernels, search)
    assert got.shape == expected.shape == (12, 17, 17) and got.dtype == np.float32
    diff = float(np.abs(got - expected).max())
    print(f"\nmax |onnx - torch| over {len(search)} Crossing search crops: {diff:.2e} "
          f"(scores span {expected.min():.2f}..{expected.max():.2f})")
    assert diff < TOLERANCE
    # the combination honours a changed lam, as the tracker's lam= does
    onnx_backend.lam = torch_backend.lam = 0.8
    try:
        assert np.abs(onnx_backend.score_maps(onnx_kernels, search[:3])
                      - torch_backend.score_maps(torch_kernels, search[:3])).max() < TOLERANCE
    finally:
        onnx_backend.lam = torch_backend.lam = onnx_backend.manifest.lam


def test_middle_scale_semantic_maps_match_torch(backends, crossing, exported):
    """semantic_scales="middle" on the graphs: the S-Net input gets each target's middle crop, as in PyTorch."""
    onnx_backend, torch_backend = backends
    _, frames, boxes = crossing
    context, search = tracker_crops(frames, boxes, last=3)  # 2 frames x 3 scales, scored as 2 targets
    onnx_middle = OnnxBackend(exported[0], semantic_scales="middle")
    torch_middle = TorchBackend(torch_backend.net, torch_backend.lam, semantic_scales="middle")
    context = np.concatenate([context, context])
    got = onnx_middle.branch_maps(onnx_middle.exemplar(context), search)
    expected = torch_middle.branch_maps(torch_middle.exemplar(context), search)
    for name in ("appearance", "semantic"):
        assert got[name].shape == (6, 17, 17)
        assert np.abs(got[name] - expected[name].numpy()).max() < TOLERANCE, name
    np.testing.assert_array_equal(got["semantic"][0], got["semantic"][2])  # one map stands for the 3 scales
    every = onnx_backend.branch_maps(onnx_backend.exemplar(context), search)
    assert np.abs(every["semantic"][1] - got["semantic"][0]).max() < TOLERANCE
    assert np.abs(every["semantic"][0] - got["semantic"][0]).max() > 100 * TOLERANCE  # a change, not a no-op


def test_attention_outputs_match_torch(backends, crossing):
    onnx_backend, torch_backend = backends
    _, frames, boxes = crossing
    context, _ = tracker_crops(frames, boxes, last=2)
    weights4, weights5 = torch_backend.net.semantic.attention_weights(crops_to_tensor(context))
    got = onnx_backend.attention(context)
    assert got["semantic_attention4"].shape == (1, 112, 1, 1) and got["semantic_attention5"].shape == (1, 320, 1, 1)
    assert np.abs(got["semantic_attention4"] - weights4.detach().numpy()).max() < TOLERANCE
    assert np.abs(got["semantic_attention5"] - weights5.detach().numpy()).max() < TOLERANCE
    assert got["semantic_attention5"].std() > 10 * TOLERANCE  # weights that vary: a real check, not constants


def test_multi_target_batches_match_torch(backends, crossing):
    """N = 2 targets x 3 scales in one batch: kernel i must score crops 3i..3i+2, as in PyTorch."""
    onnx_backend, torch_backend = backends
    _, frames, boxes = crossing
    person = boxes[0]
    elsewhere = (person[0] + 80, person[1] - 20, 40, 40)  # a second target: a patch of the scene
    context_a, search_a = onnx_export.crops_for_check([frames[0], frames[5]], np.array([person, boxes[5]]))
    context_b, search_b = onnx_export.crops_for_check([frames[0], frames[5]], np.array([elsewhere, elsewhere]))
    context, search = np.concatenate([context_a, context_b]), np.concatenate([search_a, search_b])
    onnx_kernels = onnx_backend.exemplar(context)
    expected = torch_backend.score_maps(torch_backend.exemplar(context), search)
    got = onnx_backend.score_maps(onnx_kernels, search)
    assert np.abs(got - expected).max() < TOLERANCE
    # the tolerance discriminates: the other target's kernel on the same crops is far off
    swapped = onnx_backend.score_maps(onnx_backend.select(onnx_kernels, [1, 0]), search)
    assert np.abs(swapped - expected).max() > 100 * TOLERANCE
    alone = onnx_backend.score_maps(onnx_backend.select(onnx_kernels, [1]), search_b)
    assert np.abs(alone - got[3:]).max() < TOLERANCE
    with pytest.raises(ValueError, match="cannot be split"):
        onnx_backend.score_maps(onnx_kernels, search[:5])


def run_tracker(tracker, frames, box):
    tracker.init(frames[0], box)
    start = time.perf_counter()
    boxes = [tracker.update(frame) for frame in frames[1:]]
    return np.array(boxes), (len(frames) - 1) / (time.perf_counter() - start)


@pytest.fixture(scope="module")
def onnx_track(exported, crossing):
    _, frames, truth = crossing
    return run_tracker(SASiamTracker(backend="onnx", weights=exported[0]), frames, truth[0])


def test_onnx_tracker_follows_the_torch_tracker(onnx_track, crossing):
    _, frames, truth = crossing
    onnx_boxes, onnx_fps = onnx_track
    torch_boxes, torch_fps = run_tracker(SASiamTracker(), frames, truth[0])
    overlaps = np.array([iou(a, b) for a, b in zip(onnx_boxes, torch_boxes)])
    print(f"\nonnx vs torch tracker, {len(overlaps)} Crossing frames: mean IoU {overlaps.mean():.4f}, "
          f"min {overlaps.min():.4f}; {onnx_fps:.1f} fps onnx, {torch_fps:.1f} fps torch fp32 (single run)")
    assert overlaps.mean() > 0.95 and overlaps.min() > 0.8


def test_sasiam_track_runs_on_the_exported_graphs(exported, tmp_path):
    folder = cut_sequence("Crossing", tmp_path / "Crossing", 5)
    result = subprocess.run([sys.executable, "-m", "sasiam", "track", str(folder), "--backend", "onnx", "--weights",
                             str(exported[0]), "--output", str(tmp_path / "boxes.txt"), "--quiet"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    boxes = np.loadtxt(tmp_path / "boxes.txt", delimiter=",")
    assert boxes.shape == (5, 4) and np.isfinite(boxes).all()
    missing = subprocess.run([sys.executable, "-m", "sasiam", "track", str(folder), "--backend", "onnx", "--weights",
                              str(tmp_path / "none.safetensors"), "--quiet"], capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [f"sasiam: error: {tmp_path / 'none.safetensors'}: no such checkpoint file"]


NO_TORCH_SCRIPT = """
import sys
sys.modules["torch"] = None  # from here on, any `import torch` raises ImportError
import itertools, json
from sasiam.data.sequences import open_sequence
from sasiam.tracking.tracker import SASiamTracker

folder, sequence_path, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
sequence = open_sequence(sequence_path)
frames = list(itertools.islice(sequence.frames(), count))
tracker = SASiamTracker(backend="onnx", weights=folder)
tracker.init(frames[0], sequence.groundtruth[0])
boxes = [list(tracker.update(frame)) for frame in frames[1:]]
loaded = sorted(name for name, module in sys.modules.items() if name.split(".")[0] == "torch" and module is not None)
print(json.dumps({"boxes": boxes, "torch_modules": loaded}))
"""


def test_tracks_real_frames_with_torch_blocked(exported, onnx_track):
    result = subprocess.run(
        [sys.executable, "-c", NO_TORCH_SCRIPT, str(exported[0]), str(shared_sequence("Crossing")),
         str(NO_TORCH_FRAMES)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    output = json.loads(result.stdout.strip().splitlines()[-1])
    assert output["torch_modules"] == []
    boxes = np.array(output["boxes"])
    assert boxes.shape == (NO_TORCH_FRAMES - 1, 4)
    np.testing.assert_allclose(boxes, onnx_track[0][:NO_TORCH_FRAMES - 1], atol=1e-3)


def test_tracker_refuses_what_the_export_fixed(exported):
    from sasiam.backends.onnx import load

    with pytest.raises(CheckpointError, match="sasiam export-onnx"):
        load()  # the backend alone runs exports; the tracker exports a checkpoint first (cached_export)
    with pytest.raises(ValueError, match="exported with branches='both'"):
        SASiamTracker(backend="onnx", weights=exported[0], branches="appearance")
    with pytest.raises(ValueError, match="fp32"):
        SASiamTracker(backend="onnx", weights=exported[0], precision="bf16")
    tracker = SASiamTracker(backend="onnx", weights=exported[0] / "search.onnx", lam=0.25)
    assert tracker.lam == 0.25


def test_cli_user_errors_are_one_line(tmp_path, capsys):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    assert main(["export-onnx", "--out", str(not_a_folder), "--quiet"]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"sasiam: error: {not_a_folder}: exists and is not a folder"]
    assert main(["export-onnx", "--out", str(tmp_path / "o"), "--weights", str(tmp_path / "none.safetensors")]) == 2
    assert capsys.readouterr().err.startswith("sasiam: error: ")


def test_a_checkpoint_is_exported_on_first_use_reused_and_redone_when_damaged(exported, crossing, tmp_path,
                                                                            monkeypatch):
    """`SASiamTracker(backend="onnx")` with a checkpoint (here the shipped one): the first use exports into
    the user cache with the real exporter, later ones reuse it, a damaged export is made again."""
    import shutil

    monkeypatch.setenv("SASIAM_CACHE", str(tmp_path / "cache"))
    real_export, exports = onnx_export.export_onnx, []

    def counted_export(out, **options):
        exports.append(out)
        if len(exports) == 1:
            return real_export(out, **options)
        for name in ("exemplar.onnx", "search.onnx", MANIFEST_NAME):  # later ones: the same bytes, faster
            shutil.copy(first / name, out / name)

    monkeypatch.setattr(onnx_export, "export_onnx", counted_export)
    _, frames, truth = crossing
    reference = run_tracker(SASiamTracker(backend="onnx", weights=exported[0]), frames[:4], truth[0])[0]

    first = onnx_export.cached_export()
    assert len(exports) == 1 and first.parent == tmp_path / "cache" / "onnx"
    digest = file_sha256(default_weights_path())
    assert first.name == f"{digest[:16]}-both"
    assert not [p for p in first.parent.iterdir() if p.name.startswith(".")]  # no staging folder left behind
    boxes = run_tracker(SASiamTracker(backend="onnx"), frames[:4], truth[0])[0]  # the tracker finds it
    np.testing.assert_allclose(boxes, reference, atol=1e-3)
    assert len(exports) == 1  # reused, not exported again
    first = tmp_path / "first"  # what later "exports" copy (the real one's bytes)
    shutil.copytree(onnx_export.cached_export(), first)

    cached = onnx_export.cached_export()
    for damage in (lambda: (cached / "search.onnx").write_bytes((cached / "search.onnx").read_bytes()[:1000]),
                   lambda: (cached / MANIFEST_NAME).write_text("{not json"),
                   lambda: (cached / "exemplar.onnx").unlink(),
                   lambda: (cached / FOLDER_DIGESTS).unlink()):
        calls = len(exports)
        damage()
        assert onnx_export.cached_export() == cached and len(exports) == calls + 1
        np.testing.assert_allclose(run_tracker(SASiamTracker(backend="onnx"), frames[:4], truth[0])[0], reference,
                                   atol=1e-3)
