"""The run file: typed settings, loading and validation, the generated reference."""
