"""report.json, report.md and OTB-style plots from scored results."""
from __future__ import annotations

import json
import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .metrics import PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS  # noqa: E402


def _ranked(report: dict, key: str) -> list[tuple[str, dict]]:
    return sorted(((n, e) for n, e in report.items() if key in e), key=lambda item: -item[1][key])


def label_of(name: str, entry: dict) -> str:
    """The readable label of a report entry (its result folder name in reports written before labels)."""
    return entry.get("label") or name


TITLE_FONTSIZE = 12
# (most lines, font sizes) tried in turn until the title fits: two lines at a readable size first
TITLE_LAYOUTS = ((2, (12, 11, 10)), (3, (11, 10, 9)), (4, (10, 9, 8)))


def _title_fits(figure, title) -> bool:
    figure.tight_layout()
    box = title.get_window_extent(renderer=figure.canvas.get_renderer())
    inside = figure.bbox
    return box.x0 >= inside.x0 - 0.5 and box.x1 <= inside.x1 + 0.5 and box.y1 <= inside.y1 + 0.5


def fit_title(figure, axis, text: str):
    """Set the axes' title, wrapped onto more lines and smaller until it lies inside the figure
    (a long --title otherwise runs off both edges). Lays the figure out; returns the title's Text."""
    title = axis.set_title(text, fontsize=TITLE_FONTSIZE)
    if _title_fits(figure, title):
        return title
    renderer = figure.canvas.get_renderer()
    for most_lines, sizes in TITLE_LAYOUTS:
        for size in sizes:
            title.set_text(text)
            title.set_fontsize(size)
            one_line = title.get_window_extent(renderer=renderer).width
            width = max(8, int(len(text) * figure.bbox.width * 0.9 / one_line))  # characters per line
            while width >= 8:
                lines = textwrap.wrap(text, width=width, break_on_hyphens=False)
                if len(lines) > most_lines:
                    break
                title.set_text("\n".join(lines))
                if _title_fits(figure, title):
                    return title
                width -= 2
    title.set_text("\n".join(textwrap.wrap(text, width=max(8, math.ceil(len(text) / 4)))))
    figure.tight_layout()
    return title  # the longest lines may still overflow at the smallest size


def curves_figure(report: dict, kind: str, title: str, curves=None):
    """The success (kind 'success') or precision plot of every scored tracker, labelled by its label."""
    figure, axis = plt.subplots(figsize=(6, 4.5))
    for name, entry in _ranked(report, "auc" if kind == "success" else "precision"):
        label = label_of(name, entry)
        if kind == "success":
            curve = (curves or {}).get(name, entry["success_curve"])
            axis.plot(SUCCESS_THRESHOLDS, curve, label=f"{label} [{np.mean(curve):.3f}]")
        else:
            axis.plot(PRECISION_THRESHOLDS, entry["precision_curve"], label=f"{label} [{entry['precision']:.3f}]")
    axis.set_xlabel("overlap threshold" if kind == "success" else "location error threshold (px)")
    axis.set_ylabel("success rate" if kind == "success" else "precision")
    axis.set_ylim(0, 1.02)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower left" if kind == "success" else "lower right", fontsize=8)
    fit_title(figure, axis, title)
    return figure


def plot_curves(report: dict, out: Path, kind: str, title: str, curves=None) -> Path:
    figure = curves_figure(report, kind, title, curves)
    figure.savefig(out, dpi=110)
    plt.close(figure)
    return out


def write_report(report: dict, out_dir: Path, title: str = "One-pass evaluation") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = [out_dir / "report.json"]
    (out_dir / "report.json").write_text(json.dumps(report, indent=1))
    scored = {n: e for n, e in report.items() if "auc" in e}
    if scored:
        written.append(plot_curves(scored, out_dir / "success.png", "success", f"Success plots of OPE - {title}"))
        written.append(plot_curves(scored, out_dir / "precision.png", "precision", f"Precision plots of OPE - {title}"))
        attributes = sorted({a for e in scored.values() for a in e.get("attributes", {})})
        for attribute in attributes:
            having = {n: e for n, e in scored.items() if attribute in e["attributes"]}
            curves = {n: e["attributes"][attribute]["success_curve"] for n, e in having.items()}
            count = next(iter(having.values()))["attributes"][attribute]["sequences"]
            written.append(plot_curves(having, out_dir / f"success_{attribute}.png", "success",
                                       f"{attribute} ({count} sequences)", curves))
    lines = [f"# {title}", "", "| tracker | AUC | precision@20 | norm. precision | fps | failed |", "|---|---|---|---|---|---|"]
    for name, entry in _ranked(scored, "auc"):
        lines.append(f"| {label_of(name, entry)} | {entry['auc']:.3f} | {entry['precision']:.3f} | "
                     f"{entry['normalized_precision']:.3f} | "
                     f"{entry['fps']:.1f} | {len(entry['failed'])} |")
    for name, entry in report.items():
        if "auc" not in entry:
            lines.append(f"| {label_of(name, entry)} | - | - | - | - | {len(entry['failed'])} |")
    sequences = sorted({s for e in report.values() for s in list(e["sequences"]) + list(e["failed"])})
    names = list(report)
    lines += ["", "## Success AUC per sequence", "",
              "| sequence | " + " | ".join(label_of(n, report[n]) for n in names) + " |",
              "|---" * (len(names) + 1) + "|"]
    for sequence in sequences:
        cells = []
        for name in names:
            entry = report[name]
            cells.append(f"{entry['sequences'][sequence]['auc']:.3f}" if sequence in entry["sequences"]
                         else ("failed" if sequence in entry["failed"] else "-"))
        lines.append(f"| {sequence} | " + " | ".join(cells) + " |")
    attributes = sorted({a for e in scored.values() for a in e.get("attributes", {})})
    if attributes:
        lines += ["", "## Success AUC per OTB attribute", "",
                  "| attribute | " + " | ".join(label_of(n, e) for n, e in scored.items()) + " |",
                  "|---" * (len(scored) + 1) + "|"]
        for attribute in attributes:
            cells = [f"{e['attributes'][attribute]['auc']:.3f}" if attribute in e["attributes"] else "-"
                     for e in scored.values()]
            lines.append(f"| {attribute} | " + " | ".join(cells) + " |")
    failures = [(label_of(n, e), s, why) for n, e in report.items() for s, why in e["failed"].items()]
    if failures:
        lines += ["", "## Failed runs", ""] + [f"- {n} on {s}: {why}" for n, s, why in failures]
    lines += ["", "## Trackers", "", "| label | spec | results folder |", "|---|---|---|"]
    lines += [f"| {label_of(n, e)} | `{e.get('spec', n)}` | `results/{n}/` |" for n, e in report.items()]
    lines += ["", "![success](success.png) ![precision](precision.png)", ""]
    (out_dir / "report.md").write_text("\n".join(lines))
    written.append(out_dir / "report.md")
    return written
