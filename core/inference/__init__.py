"""Simulation-based inference on summaries: backends, posteriors, diagnostics."""
