"""A cosmossl plugin written for cosmossl 0.1.0."""
