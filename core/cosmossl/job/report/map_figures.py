"""The reports' picture of the data: a few test maps, or the central slice of a few test
volumes (a 3D volume is shown by the plane through its middle, across its first axis)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cosmossl._util.files import save_figure
from cosmossl.components.meta import MAP_CONTENTS
from cosmossl.data.mapset import MapSet
from cosmossl.inference.plots import latex_label


def example_rows(mapset: MapSet, n: int) -> np.ndarray:
    """Rows of ``n`` test maps of distinct cosmologies (the first of each), or of any split
    when there are no test maps."""
    rows = mapset.indices("test")
    if rows.size == 0:
        rows = np.arange(len(mapset))
    _, first = np.unique(mapset.cosmology_id[rows], return_index=True)
    return rows[np.sort(first)][:n]


def plot_maps(mapset: MapSet, path: Path, n: int = 3) -> str | None:
    """Draw ``n`` test maps (their first channel) side by side into ``path``; for volumes the
    central slice ``[D // 2]`` of each. Returns the figure's caption (``None``: no maps)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    meta = mapset.meta
    if meta.spatial_dims not in (2, 3) or len(mapset) == 0:
        return None
    rows = example_rows(mapset, n)
    images = mapset.read(rows)[:, 0]
    if meta.spatial_dims == 3:
        images = images[:, images.shape[1] // 2]
    low, high = np.percentile(images, [0.5, 99.5])
    extent = None
    if meta.box_lengths is not None:
        lengths = meta.box_lengths[-2:]
        extent = (0.0, lengths[1], 0.0, lengths[0])
    fig, axes = plt.subplots(1, len(rows), figsize=(3.2 * len(rows), 3.4), squeeze=False,
                             constrained_layout=True)  # fmt: skip
    for ax, row, image in zip(axes[0], rows, images):
        shown = ax.imshow(image, origin="lower", cmap="magma", vmin=low, vmax=high, extent=extent)
        labels = [latex_label(name, mapset.param_labels) for name in mapset.param_names]
        where = ", ".join(
            f"${label}$ = {value:.3g}" for label, value in zip(labels, mapset.params[row])
        )
        ax.set_title(f"map {row}: {where}", fontsize=8)
        if extent is not None:
            ax.set_xlabel("Mpc/h")
    fig.colorbar(shown, ax=axes[0].tolist(), shrink=0.8,
                 label=MAP_CONTENTS.get(meta.content or "", "pixel value"))  # fmt: skip
    save_figure(fig, path)
    size = "×".join(str(s) for s in meta.spatial_shape)
    if meta.spatial_dims == 3:
        what = (f"The central slice (voxel plane {meta.spatial_shape[0] // 2} of the first "
                f"axis) of {len(rows)} test volumes of {size} voxels")  # fmt: skip
    else:
        what = f"{len(rows)} test maps of {size} pixels"
    return f"{what}, one per cosmology (first channel; common colour scale)."
