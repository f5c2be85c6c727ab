"""`sasiam attention-plot` (the paper's Fig. 4) on real sequences with the shipped weights."""
import json

from conftest import shared_sequence
from sasiam.cli import main


def test_attention_plot_of_two_videos(tmp_path, capsys):
    out, weights_json = tmp_path / "fig4.png", tmp_path / "weights.json"
    code = main(["attention-plot", str(shared_sequence("David")), str(shared_sequence("Biker")), "--out", str(out),
                 "--json", str(weights_json)])
    assert code == 0, capsys.readouterr().err
    assert out.stat().st_size > 10_000 and out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    weights = json.loads(weights_json.read_text())
    assert list(weights) == ["David", "Biker"]
    for video in weights.values():
        assert len(video["conv4"]) == 112 and len(video["conv5"]) == 320  # EfficientNet-Lite0's two levels
        for level in ("conv4", "conv5"):
            assert all(0.5 <= w <= 1.5 for w in video[level])  # sigmoid + 0.5 (saturates in fp32)
    # a target of its own: the two videos weight the channels differently
    assert max(abs(a - b) for a, b in zip(weights["David"]["conv5"], weights["Biker"]["conv5"])) > 0.05


def test_attention_plot_errors_are_one_line(tmp_path, capsys):
    assert main(["attention-plot", str(tmp_path / "missing"), "--out", str(tmp_path / "f.png")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
