"""Compression: running a trained encoder or a statistic over maps to get summaries."""
