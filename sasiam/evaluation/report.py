"""report.json, report.md and OTB-style plots from scored results."""
from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .metrics import PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS  # noqa: E402


def _ranked(report: dict, key: str) -> list[tuple[str, dict]]:
    return sorted(((n, e) for n, e in report.items() if key in e), key=lambda item: -item[1][key])


def plot_curves(report: dict, out: Path, kind: str, title: str, curves=None) -> Path:
    figure, axis = plt.subplots(figsize=(6, 4.5))
    for name, entry in _ranked(report, "auc" if kind == "success" else "precision"):
        if kind == "success":
            curve = (curves or {}).get(name, entry["success_curve"])
            axis.plot(SUCCESS_THRESHOLDS, curve, label=f"{name} [{np.mean(curve):.3f}]")
        else:
            axis.plot(PRECISION_THRESHOLDS, entry["precision_curve"], label=f"{name} [{entry['precision']:.3f}]")
    axis.set_xlabel("overlap threshold" if kind == "success" else "location error threshold (px)")
    axis.set_ylabel("success rate" if kind == "success" else "precision")
    axis.set_ylim(0, 1.02)
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(loc="lower left" if kind == "success" else "lower right", fontsize=8)
    figure.tight_layout()
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
        lines.append(f"| {name} | {entry['auc']:.3f} | {entry['precision']:.3f} | {entry['normalized_precision']:.3f} | "
                     f"{entry['fps']:.1f} | {len(entry['failed'])} |")
    for name, entry in report.items():
        if "auc" not in entry:
            lines.append(f"| {name} | - | - | - | - | {len(entry['failed'])} |")
    sequences = sorted({s for e in report.values() for s in list(e["sequences"]) + list(e["failed"])})
    names = list(report)
    lines += ["", "## Success AUC per sequence", "", "| sequence | " + " | ".join(names) + " |",
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
        lines += ["", "## Success AUC per OTB attribute", "", "| attribute | " + " | ".join(scored) + " |",
                  "|---" * (len(scored) + 1) + "|"]
        for attribute in attributes:
            cells = [f"{e['attributes'][attribute]['auc']:.3f}" if attribute in e["attributes"] else "-"
                     for e in scored.values()]
            lines.append(f"| {attribute} | " + " | ".join(cells) + " |")
    failures = [(n, s, why) for n, e in report.items() for s, why in e["failed"].items()]
    if failures:
        lines += ["", "## Failed runs", ""] + [f"- {n} on {s}: {why}" for n, s, why in failures]
    lines += ["", "![success](success.png) ![precision](precision.png)", ""]
    (out_dir / "report.md").write_text("\n".join(lines))
    written.append(out_dir / "report.md")
    return written
