"""`sasiam ablate`: the paper's ablations in one resumable run (sasiam/ablation/)."""
from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from ..ablation.rows import MODELS, ROW_KEYS, ROWS
from ..errors import SASiamError
from ..files import check_writable, write_output

FIGURE = "fig4_attention.png"


def selected_rows(text: str | None):
    if not text:
        return list(ROWS)
    keys = [key.strip() for key in text.split(",") if key.strip()]
    unknown = [key for key in keys if key not in ROW_KEYS]
    if unknown:
        raise SASiamError(f"--rows: unknown row {unknown[0]!r}; rows: {', '.join(ROW_KEYS)}")
    return [row for row in ROWS if row.key in keys]


def command_line(args: argparse.Namespace) -> str:
    """The command that reproduces this run, for the report."""
    parts = ["sasiam", "ablate", "--data", str(args.data), "--out", str(args.out), "--runs", str(args.runs)]
    if args.rows:
        parts += ["--rows", args.rows]
    if args.split != "test":
        parts += ["--split", args.split]
    if args.precision != "auto":
        parts += ["--precision", args.precision]
    return " ".join(shlex.quote(part) for part in parts)


def command_ablate(args: argparse.Namespace) -> int:
    # torch, OpenCV, matplotlib: imported when the command runs, so that `sasiam --help` starts without them
    from ..ablation.report import write_markdown
    from ..ablation.runner import budget, evaluate_rows, keep_model, seed_runs, shipped_lambda, train_model
    from ..backends import check_precision
    from ..evaluation.speed import cpu_facts
    from ..training.experiments import load_split

    rows = selected_rows(args.rows)
    if not args.data.is_dir():
        raise SASiamError(f"{args.data}: no such folder (a folder of OTB-layout sequences, e.g. ../shared/sequences)")
    split = load_split()
    if args.split not in split:
        raise SASiamError(f"--split {args.split!r}: the shipped split has no such part")
    check_writable(args.out / "report.md", "report")
    precision = check_precision(args.precision)
    models = [MODELS[name] for name in dict.fromkeys(name for row in rows for name in row.models)]
    kept = args.out / "models"
    seeded = seed_runs(kept, args.runs)
    if seeded and not args.quiet:
        print(f"from {kept}, not trained again: {', '.join(seeded)}")
    if not args.no_train:
        for model in models:
            train_model(model, args.runs, args.cache_dir, progress=not args.quiet)
            if not model.shipped:
                keep_model(model, args.runs, kept)
    budgets = {model.name: budget(model, args.runs) for model in MODELS.values()}
    ready = [row for row in rows if all(budgets[name].epoch is not None for name in row.models)]
    for row in rows:
        if row not in ready:
            waiting = [name for name in row.models if budgets[name].epoch is None]
            print(f"{row.key}: not evaluated, {', '.join(waiting)} not trained yet", file=sys.stderr)
    scores = evaluate_rows(ready, args.runs, args.out, args.data, args.split, precision, progress=not args.quiet)

    figure = None
    if args.figure_sequences:
        from ..evaluation.attention_plot import plot_attention, video_attention
        from ..tracking.tracker import SASiamTracker

        tracker = SASiamTracker(branches="semantic", precision="fp32")
        videos = [video_attention(tracker, args.data / name) for name in args.figure_sequences.split(",")]
        plot_attention(videos, args.out / FIGURE)
        figure = FIGURE
    context = {
        "command": command_line(args),
        "split": f"the shipped split's {args.split!r} part", "sequences": split[args.split],
        "precision": precision, "lam": shipped_lambda(), "cpu": cpu_facts()["model"] + " (2 cores)",
        "figure": figure,
        "figure_note": (f"The shipped weights' attention for the first frames of {args.figure_sequences} "
                        "(`sasiam attention-plot`); the paper shows david and bolt, and bolt is not among the "
                        "shared evaluation sequences."),
    }
    write_output(args.out / "report.md", lambda t: Path(t).write_text(write_markdown(scores, budgets, context)), "report")
    summary = {"scores": {k: {f: v for f, v in e.items() if f in ("spec", "label", "auc", "precision", "sequences")}
                          for k, e in scores.items()},
               "budgets": {name: vars(b) for name, b in budgets.items()}, "context": context}
    write_output(args.out / "report.json", lambda t: Path(t).write_text(json.dumps(summary, indent=1) + "\n"), "report")
    for row in rows:
        entry = scores.get(row.key, {})
        shown = f"AUC {entry['auc']:.3f}  precision {entry['precision']:.3f}" if "auc" in entry else "not measured"
        print(f"{row.key:10s} {row.label:48s} {shown}")
    print(f"report: {args.out / 'report.md'}")
    return 0


def register(commands) -> None:
    parser = commands.add_parser(
        "ablate", help="the paper's ablations (Tables 1, 2, Fig. 4, joint training): train, evaluate, report",
        description="Trains every ablation model that is missing (resuming a cut run), assembles each row, "
                    "evaluates every row on the test split and writes OUT/report.md laid out like the paper's "
                    "tables, with the paper's numbers and each row's training budget. Run it again to finish "
                    "what was cut: finished models and saved results are kept.")
    parser.add_argument("--data", type=Path, required=True, help="the shared sequences (OTB layout), e.g. ../shared/sequences")
    parser.add_argument("--out", type=Path, default=Path("docs/ablations"),
                        help="report.md, report.json, results/, models/ (each finished model's log and kept weights, "
                             "read back instead of training again)")
    parser.add_argument("--runs", type=Path, default=Path("runs/ablations"), help="one training run per model")
    parser.add_argument("--cache-dir", type=Path, default=Path("runs/cache"), help="curated crops and S-Net features")
    parser.add_argument("--rows", help=f"comma-separated subset of rows ({', '.join(ROW_KEYS)}); default: all")
    parser.add_argument("--split", default="test", help="the part of the shipped split to evaluate on")
    parser.add_argument("--precision", default="auto", choices=("auto", "fp32", "bf16"),
                        help="the tracker every row is evaluated with (auto: bf16 where the CPU has it natively)")
    parser.add_argument("--no-train", action="store_true", help="evaluate only rows whose models are trained")
    parser.add_argument("--figure-sequences", default="David,Basketball",
                        help="sequences for Fig. 4 (the attention weights); empty: no figure")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(handler=command_ablate)
