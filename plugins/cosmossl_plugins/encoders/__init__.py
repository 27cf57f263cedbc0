"""Built-in encoders components."""
