"""The main job: the run directory and its stage cache, the run itself, comparisons, reports."""
