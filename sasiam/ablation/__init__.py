"""The paper's ablations (Tables 1 and 2, Fig. 4, separate vs. joint training) as one resumable job:
`rows.py` (what is trained and evaluated, the paper's numbers), `runner.py` (train what is missing,
assemble, evaluate), `report.py` (report.md). The command: `sasiam ablate` (commands/ablate.py)."""
