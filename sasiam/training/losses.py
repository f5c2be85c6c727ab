"""SiamFC's labels and balanced logistic loss on the score map."""
from __future__ import annotations

import torch
import torch.nn.functional as F


def logistic_labels(score_size: int, positive_radius: float, total_stride: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Labels (1 within `positive_radius` px of the centre, else 0) and weights that give
    positives and negatives half of the loss each (0.5 / #pos, 0.5 / #neg)."""
    offsets = torch.arange(score_size, dtype=torch.float32) - (score_size - 1) / 2
    distance = torch.sqrt(offsets[:, None] ** 2 + offsets[None, :] ** 2) * total_stride
    labels = (distance <= positive_radius).float()
    positives = labels.sum()
    weights = torch.where(labels > 0, 0.5 / positives, 0.5 / (labels.numel() - positives))
    return labels, weights


def balanced_logistic_loss(scores: torch.Tensor, labels: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean over the batch of the weighted sum of per-cell logistic losses. scores: N x 1 x s x s."""
    per_cell = F.binary_cross_entropy_with_logits(
        scores.float(), labels.expand_as(scores), weight=weights.expand_as(scores), reduction="none"
    )
    return per_cell.sum(dim=(1, 2, 3)).mean()


def pair_loss(scores: torch.Tensor, positive: torch.Tensor, positive_radius: float, total_stride: int
              ) -> torch.Tensor:
    """The loss of a batch that may hold negative pairs (DaSiamRPN): a positive pair (`positive` 1) is
    scored against SiamFC's centred labels with balanced weights; a negative pair (exemplar and search
    from different videos, `positive` 0) has every cell labelled 0, each weighted 1 / cells."""
    labels, weights = logistic_labels(scores.shape[-1], positive_radius, total_stride)
    labels, weights = labels.to(scores.device), weights.to(scores.device)
    is_positive = positive.to(scores.device).float().view(-1, 1, 1, 1)
    per_pair_labels = labels * is_positive
    uniform = torch.full_like(weights, 1.0 / weights.numel())
    per_pair_weights = weights * is_positive + uniform * (1 - is_positive)
    per_cell = F.binary_cross_entropy_with_logits(scores.float(), per_pair_labels.expand_as(scores),
                                                  weight=per_pair_weights.expand_as(scores), reduction="none")
    return per_cell.sum(dim=(1, 2, 3)).mean()
