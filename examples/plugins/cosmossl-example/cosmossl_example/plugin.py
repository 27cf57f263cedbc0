"""The plugin module named by the entry point: it only registers components.

Targets are "module:attr" strings, so nothing heavy is imported until a component is used.
"""

from cosmossl import hookimpl


@hookimpl
def register_components(registry):
    registry.add(
        "augmentation",
        "example-flip",
        "cosmossl_example.flip:RandomFlip",
        summary="Symmetry: random horizontal flip (example plugin).",
    )
    registry.add(
        "augmentation",
        "example-psf",
        "cosmossl_example.psf:PSF",
        summary="Systematic: Gaussian PSF of random width plus pixel noise (example plugin).",
    )
    registry.add(
        "loss",
        "example-align-uniform",
        "cosmossl_example.align_uniform:AlignUniform",
        summary="SSL: alignment + uniformity on the hypersphere (Wang & Isola 2020; example).",
    )
