from cosmossl import hookimpl


@hookimpl
def register_components(registry):
    registry.add(
        "augmentation",
        "legacy-shift",
        "legacy_ssl.shift:RandomShift",
        summary="Symmetry: a random periodic shift.",
    )
    registry.add(
        "loss",
        "legacy-ntxent",
        "legacy_ssl.ntxent:NTXent",
        summary="SSL: NT-Xent over the global batch.",
    )
    registry.add(
        "encoder",
        "legacy-cnn",
        "legacy_ssl.cnn:SmallCNN",
        summary="Two convolutions and a linear layer.",
    )
