"""The data layer: map sets (maps + parameters + group ids + split) and their file format."""
