"""Synthetic problems with a known posterior, for testing inference backends."""
