"""vot-toolkit runs SA-Siam unmodified through `sasiam vot` (TraX) on a small VOT workspace
of real frames from ../shared/sequences, and its accuracy, robustness and EAO equal ours,
computed from its own result files and from our own run of the protocol.

The toolkit lives in a venv of its own (it needs opencv-python, which would clash with the
project's opencv-contrib-python-headless, and numba): built once under the user cache
(~/.cache/sasiam/vot-toolkit-0.7.4, or $SASIAM_VOT_TOOLKIT_VENV), about a minute. 0.7.4
is the version that runs a Python TraX tracker unmodified; it needs attributee 0.1.9
(newer attributee releases break its stack files). numba and numpy are pinned to the pair
checked here, since numba supports a bounded range of numpy releases.
"""
from __future__ import annotations

import fcntl
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import shared_sequence
from sasiam.evaluation.vot import (FAILURE, INITIALIZATION, Polygon, Rectangle, Special, VOTSettings, overlap,
                                   read_trajectory, score)
from sasiam.evaluation.vot_benchmark import load_runs, open_vot_sequence

TOOLKIT_REQUIREMENTS = ("vot-toolkit==0.7.4", "attributee==0.1.9", "numba==0.68.1", "numpy==2.4.6")
EAO_INTERVAL = (2, 20)  # the sequences here are 15 and 24 frames long: the VOT intervals start at 100+
TRACKER = "SASiam"
# name -> (shared sequence, frame numbers); ball1_jump skips from frame 12 to 61, where the
# ball is ~150 px away, outside the tracker's search region: a real failure and a reset
SEQUENCES = {
    "bag": ("vot_bag", list(range(1, 16))),
    "ball1_jump": ("vot_ball1", list(range(1, 13)) + list(range(61, 73))),
}


def toolkit_venv() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    root = Path(os.environ.get("SASIAM_VOT_TOOLKIT_VENV", cache / "sasiam" / "vot-toolkit-0.7.4"))
    root.parent.mkdir(parents=True, exist_ok=True)
    marker = root / "sasiam-ready.txt"
    wanted = "\n".join(TOOLKIT_REQUIREMENTS)
    with open(root.parent / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two pytest runs must not build it at once
        if not (marker.is_file() and marker.read_text() == wanted):
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
            install = subprocess.run([str(root / "bin" / "python"), "-m", "pip", "install", "--quiet",
                                      *TOOLKIT_REQUIREMENTS], capture_output=True, text=True, timeout=1200)
            assert install.returncode == 0, f"installing {TOOLKIT_REQUIREMENTS} failed:\n{install.stderr[-3000:]}"
            marker.write_text(wanted)
    return root / "bin" / "python"


@pytest.fixture(scope="module")
def toolkit_python() -> Path:
    return toolkit_venv()


def make_workspace(root: Path, tracker_command: str) -> Path:
    """A vot-toolkit workspace: config.yaml, a local stack, trackers.ini, and sequences in the
    VOT layout (list.txt, sequence metadata, color/%08d.jpg, groundtruth.txt polygons)."""
    sequences = root / "sequences"
    for name, (source_name, frames) in SEQUENCES.items():
        source, folder = shared_sequence(source_name), sequences / name
        (folder / "color").mkdir(parents=True)
        polygons = (source / "groundtruth_original.txt").read_text().splitlines()
        for k, number in enumerate(frames, start=1):
            (folder / "color" / f"{k:08d}.jpg").symlink_to(source / "img" / f"{number:04d}.jpg")
        (folder / "groundtruth.txt").write_text("\n".join(polygons[n - 1] for n in frames) + "\n")
        (folder / "sequence").write_text(f"channels.color=color/%08d.jpg\nfps=30\nformat=default\nname={name}\n")
    (sequences / "list.txt").write_text("\n".join(SEQUENCES) + "\n")
    (root / "config.yaml").write_text("registry:\n- .\nstack: stack.yaml\nsequences: sequences\n")
    # the VOT2016/2017 baseline experiment (skip 5, AR sensitivity 30, burn-in 10 by default)
    # with one repetition (the tracker is deterministic) and an EAO interval for short sequences
    (root / "stack.yaml").write_text(f"""title: sasiam local check
experiments:
  baseline:
    type: supervised
    repetitions: 1
    skip_initialize: 5
    analyses:
      - type: supervised_average_ar
        sensitivity: 30
      - type: supervised_eao_score
        low: {EAO_INTERVAL[0]}
        high: {EAO_INTERVAL[1]}
      - type: supervised_eao_curve
""")
    # timeout: the toolkit's 30 s default is too short for loading the model on a busy machine
    (root / "trackers.ini").write_text(f"[{TRACKER}]\nlabel = SA-Siam\nprotocol = trax\n"
                                       f"command = {tracker_command}\ntimeout = 600\n")
    return root


def run_toolkit(python: Path, workspace: Path, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run([str(python), "-m", "vot", *args, "--workspace", str(workspace)], cwd=workspace,
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, f"vot {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def toolkit_run(toolkit_python, tmp_path_factory):
    """`vot evaluate` then `vot analysis` on the workspace: the toolkit's own A, R, EAO."""
    shared_sequence("vot_bag"), shared_sequence("vot_ball1")
    workspace = make_workspace(tmp_path_factory.mktemp("vot_workspace"),
                               f"{sys.executable} -m sasiam.integrations.vot_trax")
    run_toolkit(toolkit_python, workspace, "evaluate", TRACKER)
    run_toolkit(toolkit_python, workspace, "analysis", TRACKER, "--format", "json", "--name", "check")
    return workspace, json.loads((workspace / "analysis" / "check.json").read_text())


def toolkit_measures(analysis: dict) -> dict:
    """The toolkit's numbers from analysis/NAME.json: one result list per analysis of the
    stack, in order, each with one entry per tracker (vot/analysis/supervised.py describe())."""
    baseline = analysis["results"]["baseline"]
    column = list(analysis["trackers"]).index(TRACKER)
    by_type = {a["type"].rsplit(".", 1)[-1]: r[column]
               for a, r in zip(baseline["parameters"]["analyses"], baseline["results"])}
    accuracy, robustness, (reliability, _), _ = by_type["AverageAccuracyRobustness"]
    return {"accuracy": accuracy, "robustness": robustness, "reliability": reliability,
            "eao": by_type["EAOScore"][0], "eao_curve": by_type["EAOCurve"][0]}


def eval_vot(*args: str) -> dict:
    interval = ",".join(map(str, EAO_INTERVAL))
    result = subprocess.run([sys.executable, "-m", "sasiam", "eval-vot", *args, "--eao-interval", interval, "--quiet"],
                            capture_output=True, text=True, timeout=1800)
    assert result.returncode == 0, result.stderr
    out = Path(args[args.index("--out") + 1])
    return json.loads((out / "report.json").read_text())["trackers"]


def test_toolkit_runs_sasiam_over_trax(toolkit_run):
    workspace, _ = toolkit_run
    for name, (_, frames) in SEQUENCES.items():
        folder = workspace / "results" / TRACKER / "baseline" / name
        trajectory = read_trajectory(folder / f"{name}_001.bin")  # the toolkit's binary results
        assert len(trajectory) == len(frames) and trajectory[0] == Special(INITIALIZATION)
        tracked = [r for r in trajectory if isinstance(r, Rectangle)]
        assert len(tracked) >= len(frames) // 2  # boxes the tracker sent back over TraX
        confidence = (folder / f"{name}_001_confidence.value").read_text().split()
        assert len(confidence) >= len(tracked)  # our server's peak score, passed on as a property
    jump = read_trajectory(workspace / "results" / TRACKER / "baseline" / "ball1_jump" / "ball1_jump_001.bin")
    failure = jump.index(Special(FAILURE))
    assert failure == 12  # the first frame after the jump
    assert jump[failure + 5] == Special(INITIALIZATION)  # re-initialised 5 frames later


def test_our_measures_from_the_toolkit_results_equal_the_toolkit(toolkit_run):
    workspace, analysis = toolkit_run
    theirs = toolkit_measures(analysis)
    # `--rescore` without --tracker scores what OUT/results holds: here the toolkit's .bin files
    ours = eval_vot("--data", str(workspace / "sequences"), "--out", str(workspace), "--rescore")[TRACKER]
    print(f"toolkit: {json.dumps({k: v for k, v in theirs.items() if k != 'eao_curve'})}")
    print(f"ours:    {json.dumps({k: ours[k] for k in ('accuracy', 'robustness', 'reliability', 'eao', 'failures')})}")
    assert ours["failures"] >= 1
    for key in ("accuracy", "robustness", "reliability"):
        assert ours[key] == pytest.approx(theirs[key], abs=1e-12), key
    # EAO: float32 means, summed in another order (see vot.py)
    assert ours["eao"] == pytest.approx(theirs["eao"], abs=1e-6)
    sequences = [open_vot_sequence(workspace / "sequences" / name) for name in SEQUENCES]
    curve = score(load_runs(workspace, TRACKER, sequences), VOTSettings(eao_interval=EAO_INTERVAL)).eao_curve
    assert curve == pytest.approx(theirs["eao_curve"], abs=1e-6)


def test_our_own_run_equals_the_toolkit(toolkit_run, tmp_path):
    """`sasiam eval-vot` runs the protocol itself (no TraX): same resets, same measures. The boxes
    differ from the TraX ones by ~1e-5 px (TraX sends text), which could move a pixel edge."""
    workspace, analysis = toolkit_run
    theirs = toolkit_measures(analysis)
    ours = eval_vot("--data", str(workspace / "sequences"), "--out", str(tmp_path), "--tracker", "sasiam")["sasiam"]
    print(f"own run: {json.dumps({k: ours[k] for k in ('accuracy', 'robustness', 'reliability', 'eao', 'failures')})}")
    for name in SEQUENCES:
        own = read_trajectory(tmp_path / "results" / "sasiam" / "baseline" / name / f"{name}_001.txt")
        toolkit = read_trajectory(workspace / "results" / TRACKER / "baseline" / name / f"{name}_001.bin")
        assert [r for r in own if isinstance(r, Special)] == [r for r in toolkit if isinstance(r, Special)]
        assert [i for i, r in enumerate(own) if isinstance(r, Special)] == \
            [i for i, r in enumerate(toolkit) if isinstance(r, Special)]
    assert ours["robustness"] == theirs["robustness"]
    assert ours["accuracy"] == pytest.approx(theirs["accuracy"], abs=2e-3)
    assert ours["eao"] == pytest.approx(theirs["eao"], abs=2e-3)


def test_overlap_equals_the_toolkit_on_random_regions(toolkit_python, tmp_path):
    rng = random.Random(7)

    def region():
        cx, cy = rng.uniform(-30, 330), rng.uniform(-30, 270)
        if rng.random() < 0.5:
            return ["r", [cx, cy, rng.choice([0, 1, rng.uniform(0, 90)]), rng.uniform(0, 90)]]
        points = []
        for _ in range(rng.choice([3, 4, 5, 8])):
            points += [round(cx + rng.gauss(0, 30), rng.choice([0, 2])), round(cy + rng.gauss(0, 30), rng.choice([0, 2]))]
        return ["p", points]

    cases = []
    for _ in range(1500):
        a = region()
        b = region() if rng.random() < 0.3 else [a[0], [v + rng.gauss(0, 8) for v in a[1]]]
        cases.append([a, b, rng.choice([None, [320, 240]])])
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    script = """
import json, sys
from vot.region import calculate_overlap
from vot.region.shapes import Polygon, Rectangle
make = lambda r: Rectangle(*r[1]) if r[0] == "r" else Polygon(list(zip(r[1][0::2], r[1][1::2])))
cases = json.load(open(sys.argv[1]))
print(json.dumps([calculate_overlap(make(a), make(b), tuple(s) if s else None) for a, b, s in cases]))
"""
    theirs = json.loads(subprocess.run([str(toolkit_python), "-c", script, str(tmp_path / "cases.json")],
                                       capture_output=True, text=True, check=True, timeout=600).stdout)

    def make(r):
        return Rectangle(*r[1]) if r[0] == "r" else Polygon(tuple(zip(r[1][0::2], r[1][1::2])))

    ours = [overlap(make(a), make(b), tuple(s) if s else None) for a, b, s in cases]
    assert sum(0 < v < 1 for v in theirs) > 300  # most cases overlap partly: the rasters are compared
    assert ours == theirs


def test_server_without_a_client_is_a_one_line_error():
    # stdin closed: the TraX handshake cannot happen; the user gets one line, not a traceback
    result = subprocess.run([sys.executable, "-m", "sasiam", "vot"], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("sasiam: error: TraX:")
    assert result.stdout.startswith("@@TRAX:hello")  # the server did speak TraX on stdout
