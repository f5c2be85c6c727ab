"""Session 6's experiment (issue 14): both branches trained on the shared sequences' training split plus
the 52 curated-crop videos of ../shared/training/crops255, validated on the split's six validation
sequences. Its A-Net run is in docs/training.md ("Session 6"); it is not the shipped A-Net (its validation
AUC stayed at 0.47 over five epochs), and the semantic branch of this recipe has not been run yet.

    sasiam train appearance --settings crops_v1 --run-dir runs/appearance --cache-dir runs/cache
    sasiam train semantic   --settings crops_v1 --run-dir runs/semantic   --cache-dir runs/cache

The data: sasiam/training/settings/_shared_data.py."""
from sasiam.training.config import TrainConfig
from sasiam.training.settings._shared_data import DATA, SPLIT, VAL_ROOT  # noqa: F401 (read by `sasiam train`)

# A-Net from scratch. What differs from the paper's schedule and why:
# - far fewer pairs (a 2-core CPU): epochs of 6,000 pairs, the epoch chosen by validation AUC;
# - SGD momentum 0.9 (SiamFC's value) so that few steps still move the weights;
# - a quarter of the pairs are still-image pairs (SiamRPN-style): with few videos they help (session 4:
#   test AUC 0.470 with them, 0.387 without); fewer than before (0.5) now that there are 59 videos;
# - bf16 autocast + channels-last: 12.2 pairs/s against 5.9 in fp32 on an AVX-512 BF16 CPU.
APPEARANCE = TrainConfig(
    branch="appearance", epochs=5, pairs_per_epoch=6000, lr_drop_epoch=4, momentum=0.9, workers=0,
    still_fraction=0.25, bf16=True, val_precision="bf16",
)

# Attention + fusion on cached frozen EfficientNet-Lite0 features (cheap per pair; validation dominates).
# bf16: the S-Net features are cached under bf16 autocast, as the bf16 tracker computes them.
SEMANTIC = TrainConfig(
    branch="semantic", epochs=4, pairs_per_epoch=8000, lr_drop_epoch=3, momentum=0.9, workers=0,
    bf16=True, val_precision="bf16",
)
