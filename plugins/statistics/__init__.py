"""Built-in statistics components."""
