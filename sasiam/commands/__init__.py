"""The `sasiam` subcommands, one module each (pysot's one entry per tool): `register(subcommands)` adds
the command's parser, whose `handler` runs it. Shared flags and argument types: `options.py`."""
from __future__ import annotations

from . import (ablate, assemble, attention_plot, bench, bench_targets, demo, eval_vot, export_onnx, track, train,
               tune_lambda, vot)
from . import eval as evaluate  # `eval` would hide the builtin here

# In the order `sasiam --help` lists them.
COMMANDS = (track, demo, train, evaluate, assemble, tune_lambda, eval_vot, vot, bench_targets, export_onnx, bench,
            attention_plot, ablate)
