"""Reports of runs and comparisons, as Markdown and self-contained HTML with figures."""
