"""Dataset layouts, one module each, read in one place: which folders are sequences, where
their frames are, and the raw annotations, per-frame flags and attributes they hold.

* `otb`     -- OTB (``NAME/img/`` + ``groundtruth_rect.txt``, two-target and frame-range
  sequences), also any folder of OTB-layout sequences (../shared/sequences);
* `vot`     -- VOT (``list.txt``, ``SEQ/groundtruth.txt``, frames in ``color/``, ``*.tag``);
* `got10k`  -- GOT-10k (``SPLIT/list.txt``, ``SEQ/groundtruth.txt``, ``absence.label``, ``cover.label``);
* `lasot`   -- LaSOT (``CLASS/CLASS-N/img/``, ``full_occlusion.txt``, ``out_of_view.txt``);
* `uav123`  -- UAV123 (``data_seq/UAV123/FOLDER/`` + ``anno/UAV123/NAME.txt``, frame ranges);
* `tc128`   -- Temple Color 128 (``NAME/img/``, ``NAME_gt.txt``, ``NAME_frames.txt``);
* `vid`     -- ILSVRC2015-VID (``Annotations/VID/`` XML + ``Data/VID/`` JPEGs);
* `crops`   -- SiamFC-style curated crops (``VIDEO/crops.tsv`` + ``NNNNNN.jpg``);
* `annotations` -- the text formats they share and the polygon-to-box rules (which one is
  used where, and why);
* `folders` -- frame listing, name lists and `RawSequence`, the record a layout reads.

The readers here never decide what a frame is *for*. Two views do: training
(`sasiam.data.datasets`: a `Track` per object, a visible flag per frame, count mismatches
cut with a warning) and evaluation (`sasiam.data.benchmarks` and
`sasiam.evaluation.vot_benchmark`: a `Sequence` per target, NaN ground truth where a frame is
not scored, count mismatches an error). Where the two views of a layout read it by different
rules, the layout module names each rule (a constant or a parameter) and says who uses it.

Nothing is imported here, so that `sasiam.data.sequences` can use these modules without a cycle.
"""
