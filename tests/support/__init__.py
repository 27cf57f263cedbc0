"""Helpers shared by the tests: paths, tiny data and components, fake plugin distributions."""
