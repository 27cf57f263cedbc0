"""Toolkit for loss and encoder plugins: heads, collapse monitors, distributed gathers."""
