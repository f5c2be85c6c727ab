"""Plots of a report: legends show each tracker's label, titles fit inside the figure."""
import numpy as np
import pytest

from sasiam.evaluation.metrics import PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS
from sasiam.evaluation.report import curves_figure, write_report

LONG_TITLE = "Success plots of OPE - held-out test split (9 OTB sequences, never trained on)"


def entry(auc, label=None):
    success = np.clip(np.linspace(1.0, 0.0, len(SUCCESS_THRESHOLDS)) + (auc - 0.5), 0, 1).tolist()
    precision = np.linspace(0.0, auc, len(PRECISION_THRESHOLDS)).tolist()
    result = {"spec": "x", "auc": float(np.mean(success)), "precision": auc, "normalized_precision": auc, "fps": 10.0,
              "success_curve": success, "precision_curve": precision, "sequences": {}, "failed": {},
              "attributes": {"OCC": {"auc": auc, "precision": auc, "sequences": 1, "success_curve": success}}}
    if label:
        result["label"] = label
    return result


REPORT = {"opencv_nano": entry(0.7, "NanoTrack"), "sasiam_backend-onnx_weights-runs-onnx_both": entry(0.6, "SA-Siam"),
          "opencv_kcf": entry(0.2)}  # written before labels existed: the folder name


def title_inside(figure):
    title = figure.axes[0].title
    box = title.get_window_extent(renderer=figure.canvas.get_renderer())
    return box.x0 >= 0 and box.x1 <= figure.bbox.width and box.y1 <= figure.bbox.height


@pytest.mark.parametrize("kind", ["success", "precision"])
def test_legends_show_labels(kind):
    figure = curves_figure(REPORT, kind, "t")
    texts = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert [text.split(" [")[0] for text in texts] == ["NanoTrack", "SA-Siam", "opencv_kcf"]


@pytest.mark.parametrize("kind", ["success", "precision"])
@pytest.mark.parametrize("title", [LONG_TITLE, LONG_TITLE + " with a path ../shared/sequences/" + "x" * 90])
def test_a_long_title_is_wrapped_to_fit_the_figure(kind, title):
    figure = curves_figure(REPORT, kind, title)
    text = figure.axes[0].title.get_text()
    assert "\n" in text and title_inside(figure)
    assert text.replace("\n", "").replace(" ", "") == title.replace(" ", "")  # nothing lost, only wrapped


def test_a_short_title_stays_on_one_line():
    figure = curves_figure(REPORT, "success", "OCC (5 sequences)")
    assert figure.axes[0].title.get_text() == "OCC (5 sequences)" and title_inside(figure)


def test_report_md_names_trackers_by_label(tmp_path):
    write_report(REPORT, tmp_path, title=LONG_TITLE)
    text = (tmp_path / "report.md").read_text()
    assert f"| NanoTrack | {REPORT['opencv_nano']['auc']:.3f} |" in text
    assert "| attribute | NanoTrack | SA-Siam | opencv_kcf |" in text
    assert "| SA-Siam | `x` | `results/sasiam_backend-onnx_weights-runs-onnx_both/` |" in text
    for name in ("success.png", "precision.png", "success_OCC.png"):
        assert (tmp_path / name).is_file()
