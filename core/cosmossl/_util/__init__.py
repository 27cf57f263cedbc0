"""Private helpers of the engine: atomic files, did-you-mean, lazy imports, devices, seeds.

Nothing here is public API: plugins must not import it (the architecture test enforces this).
"""
