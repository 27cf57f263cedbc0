"""Built-in augmentations components."""
