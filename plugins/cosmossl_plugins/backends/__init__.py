"""Built-in backends components."""
