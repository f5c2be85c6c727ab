"""The models and rows of the paper's ablations (Tables 1 and 2, Sec. 4.3 "separate vs. joint"), as data.

A *model* is one trained branch (or a jointly trained pair): the settings module it trains with
(`sasiam/training/settings/`), the `--set` changes on top, or `shipped=True` when it is a branch of the
default weights (trained by that same settings module). A *row* is what is evaluated: one model alone, two
separately trained branches combined with lambda, or an ensemble of two models of one kind (maps averaged).

Deviations from the paper, all forced by what this project has (README, "Faithfulness"):
- the paper's A2 is the SiamFC authors' published model; none can be had offline, so A2 is this
  project's A-Net trained again with another seed (as the paper's S2 is);
- every combined row uses the shipped weights' lambda (0.1, picked on validation for the full model),
  as the paper uses its one lambda (0.3) for every row;
- budgets are this project's (crops_v2: 8,000 pairs an epoch, a few epochs, the epoch picked by
  validation AUC), not the paper's 30 epochs of ILSVRC-VID.
"""
from __future__ import annotations

from dataclasses import dataclass

SETTINGS = "crops_v2"          # the shipped weights' data and recipe (docs/training.md)
BASIC = ("multilevel=false", "attention=false")


@dataclass(frozen=True)
class Model:
    name: str
    branch: str                     # appearance | semantic | joint
    overrides: tuple[str, ...] = ()  # `sasiam train --set` assignments on top of SETTINGS
    shipped: bool = False            # a branch of sasiam/weights/default.safetensors, not trained here
    about: str = ""


MODELS: dict[str, Model] = {m.name: m for m in (
    Model("A1", "appearance", shipped=True, about="the shipped A-Net"),
    Model("S", "semantic", shipped=True, about="the shipped semantic branch: conv4 + conv5, attention"),
    Model("S1", "semantic", BASIC, about="basic semantic model: last S-Net level + fusion"),
    Model("S-ML", "semantic", ("multilevel=true", "attention=false"), about="multilevel, no attention"),
    Model("S-Att", "semantic", ("multilevel=false", "attention=true"), about="last level, attention"),
    Model("S2", "semantic", BASIC + ("seed=1",), about="S1 again, another seed"),
    Model("A2", "appearance", ("seed=1",), about="A1 again, another seed"),
    Model("J", "joint", BASIC, about="both branches through one loss on the combined map"),
)}


@dataclass(frozen=True)
class Row:
    key: str                  # result folder name
    table: str                # "1", "2" or "joint"
    label: str
    models: tuple[str, ...]   # one model; (appearance, semantic) combined; or two of a kind: an ensemble
    kind: str                 # appearance | semantic | both | ensemble
    paper: tuple[float, float]  # the paper's OTB-2013 (AUC, precision@20)

    @property
    def branches(self) -> str:
        if self.kind == "ensemble":
            return MODELS[self.models[0]].branch
        return self.kind


ROWS: tuple[Row, ...] = (
    Row("A1", "1", "A (appearance only)", ("A1",), "appearance", (0.599, 0.811)),
    Row("S1", "1", "S1 (semantic only, basic)", ("S1",), "semantic", (0.607, 0.821)),
    Row("A1+S1", "1", "A + S1", ("A1", "S1"), "both", (0.649, 0.862)),
    Row("A1+S-ML", "1", "A + S, multilevel", ("A1", "S-ML"), "both", (0.656, 0.865)),
    Row("A1+S-Att", "1", "A + S, attention", ("A1", "S-Att"), "both", (0.650, 0.861)),
    Row("A1+S", "1", "A + S, multilevel + attention (SA-Siam)", ("A1", "S"), "both", (0.676, 0.894)),
    Row("S2", "2", "S2 (basic semantic, another seed)", ("S2",), "semantic", (0.606, 0.822)),
    Row("A2", "2", "A2 (appearance, another seed)", ("A2",), "appearance", (0.602, 0.806)),
    Row("A1A2", "2", "A1A2 (ensemble)", ("A1", "A2"), "ensemble", (0.608, 0.813)),
    Row("S1S2", "2", "S1S2 (ensemble)", ("S1", "S2"), "ensemble", (0.602, 0.811)),
    Row("J", "joint", "joint training (no multilevel, no attention)", ("J",), "both", (0.630, 0.831)),
)
ROW_KEYS = tuple(row.key for row in ROWS)


@dataclass(frozen=True)
class Claim:
    text: str
    better: str                 # the row the paper says is better ...
    worse: tuple[str, ...]      # ... than each of these


CLAIMS: tuple[Claim, ...] = (
    Claim("Table 1: the branches complement each other (A + S1 beats A and S1)", "A1+S1", ("A1", "S1")),
    Claim("Table 1: multilevel features add accuracy", "A1+S-ML", ("A1+S1",)),
    Claim("Table 1: channel attention adds accuracy", "A1+S-Att", ("A1+S1",)),
    Claim("Table 1: both together add the most", "A1+S", ("A1+S1", "A1+S-ML", "A1+S-Att")),
    Claim("Table 2: heterogeneous branches beat an ensemble of one kind", "A1+S1", ("A1A2", "S1S2")),
    Claim("Sec. 4.3: separate training beats joint training", "A1+S1", ("J",)),
)


def rows_needing(models: set[str]) -> list[Row]:
    return [row for row in ROWS if set(row.models) <= models]


def models_of(rows: list[Row]) -> list[Model]:
    names = {name for row in rows for name in row.models}
    return [model for name, model in MODELS.items() if name in names]
