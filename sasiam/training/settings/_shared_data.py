"""The data every crops_* experiment trains on: the shared sequences' training split plus the 52
curated-crop videos of ../shared/training/crops255, validated on the split's six validation sequences.

Paths are relative to the repository's parent (../shared beside the checkout), resolved here so the
commands work from any folder."""
from sasiam.data.shared import shared_sequences_root

SHARED = shared_sequences_root().parent
DATA = [f"otb:{SHARED / 'sequences'}", f"crops:{SHARED / 'training' / 'crops255'}"]
SPLIT = None                      # the shipped split: sasiam/data/splits/shared_sequences.json
VAL_ROOT = str(SHARED / "sequences")
