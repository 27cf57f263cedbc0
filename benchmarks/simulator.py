"""Maps per second of cosmossl's simulator and power-spectrum estimator against powerbox.

Same process, same 2D grids (64², 128², 256² by default), same spectrum (the built-in EH98
spectrum of the ``lognormal`` dataset at its fiducial Ω_m, σ_8, box 1000 Mpc), same thread
count for both sides. With ``--ndim 3``: 3D boxes (32³ and 64³ by default) of the dataset's
'box' geometry (the 3D linear spectrum on a 500 Mpc/h box), written to ``simulator-3d.json``.
powerbox makes one box per call (``PowerBox`` / ``LogNormalPowerBox`` ``.delta_x()``,
``get_power`` with our bin edges); cosmossl makes a float32 batch per call.
Rows:

- ``gaussian``: ``fields.white_noise`` + ``fields.gaussian_field`` vs ``PowerBox``.
- ``lognormal``: the exact recipe (P → ξ → ln(1+ξ) → P_G, theoretical σ_G², as powerbox does):
  ``fields.lognormal_gaussian_power`` + ``gaussian_field`` + ``lognormal_exact`` vs
  ``LogNormalPowerBox``.
- ``dataset``: the whole simulator, ``Lognormal(field="lognormal-exact", transform="none")
  .simulate`` (EH98 spectrum evaluated per batch) vs ``LogNormalPowerBox``.
- ``dataset-paper``: the default paper recipe (per-map sample variance), δ output, vs
  ``LogNormalPowerBox`` (a slightly different recipe, same cost structure).
- ``power``: ``fields.power_spectrum`` (bins built per call) and ``PowerSpectrumBins.estimate``
  (bins reused) vs ``get_power`` per map.

Each row is timed ``--repeats`` times, the two sides interleaved so that load on a shared
machine hits both; the JSON keeps every repeat, the table shows medians, and ratios are the
median of the per-repeat ratios. Like-with-like checks are recorded too: the mean spectra of
our and powerbox's lognormal maps agree within sampling noise, and our estimator and
``get_power`` agree on the same map.

    pip install -e '.[bench]'
    python benchmarks/simulator.py --threads 1
    python benchmarks/simulator.py --threads 1 --ndim 3
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

import cosmossl
from cosmossl._util.files import write_json
from cosmossl.physics import fields

FIDUCIAL = np.array([0.3, 0.8])


def import_powerbox():
    try:
        import powerbox
    except ImportError:
        raise SystemExit(
            "benchmarks/simulator.py compares against the powerbox package, which is not "
            "installed: pip install -e '.[bench]'"
        ) from None
    return powerbox


def seconds(work: Callable[[], object], device: str) -> float:
    start = time.perf_counter()
    work()
    if device == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(device: str, threads: int, powerbox_module, pb_threads: int) -> dict:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        import pyfftw  # noqa: F401

        pb_fft = f"pyfftw, {pb_threads} threads"
    except ImportError:
        pb_fft = "numpy (single-threaded: pyfftw is not installed)"
    return {
        "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "torch_threads": threads,
        "device": device,
        "gpu": torch.cuda.get_device_name() if device == "cuda" else None,
        "powerbox_fft": pb_fft,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "numpy": np.__version__,
        "powerbox": getattr(powerbox_module, "__version__", "?"),
        "cosmossl": cosmossl.__version__,
    }


def grid_cases(
    n: int, box: float, n_maps: int, pb_maps: int, device: str, pb, pb_threads: int, ndim: int
):
    """The timed pairs ``{row: (ours, powerbox)}`` for one grid size, and the like-with-like
    checks."""
    geometry = "plane" if ndim == 2 else "box"
    dataset = cosmossl.create("dataset", "lognormal", n_pixels=n, box_size=box,
                              field="lognormal-exact", transform="none", batch_size=n_maps,
                              device=device, geometry=geometry)  # fmt: skip
    paper = cosmossl.create("dataset", "lognormal", n_pixels=n, box_size=box, transform="none",
                            batch_size=n_maps, device=device, geometry=geometry)  # fmt: skip
    # The spectrum tabulated once, interpolated in log k: cheap for both sides, and powerbox
    # is not charged for our EH98 code.
    k_table = np.geomspace(1e-4, 20.0, 4000)
    p_table = dataset.target_power(FIDUCIAL[None], None, k_table)[0]

    def pk(k: np.ndarray) -> np.ndarray:
        return np.interp(np.log(np.maximum(k, 1e-30)), np.log(k_table), p_table)

    seeds = list(range(n_maps))
    k_grid = fields.wavenumbers(n, box, ndim=ndim).numpy()
    bins = fields.PowerSpectrumBins(n, box, ndim=ndim)
    edges = bins.edges.numpy()

    def ours_gaussian():
        noise = fields.white_noise(seeds, n, device=device, ndim=ndim)
        return fields.gaussian_field(noise, pk(k_grid), box, ndim=ndim)

    def ours_lognormal():
        power_g, variance = fields.lognormal_gaussian_power(pk(k_grid), box, ndim=ndim)
        noise = fields.white_noise(seeds, n, device=device, ndim=ndim)
        g = fields.gaussian_field(noise, power_g, box, ndim=ndim)
        return fields.lognormal_exact(g, variance, ndim=ndim)

    def pb_boxes(kind):
        def run():
            return [kind(shape=(n,) * ndim, pk=pk, size=(box,) * ndim, seed=s,
                         nthreads=pb_threads).delta_x() for s in range(pb_maps)]  # fmt: skip

        return run

    our_maps = ours_lognormal()
    pb_maps_list = pb_boxes(pb.LogNormalPowerBox)()
    measured = our_maps[:pb_maps].to(device)
    pb_inputs = [m.cpu().numpy().astype(np.float64) for m in measured]
    cases = {
        "gaussian": ((ours_gaussian, n_maps), (pb_boxes(pb.PowerBox), pb_maps)),
        "lognormal": ((ours_lognormal, n_maps), (pb_boxes(pb.LogNormalPowerBox), pb_maps)),
        "dataset": ((lambda: dataset.simulate(FIDUCIAL, seeds), n_maps), None),
        "dataset-paper": ((lambda: paper.simulate(FIDUCIAL, seeds), n_maps), None),
        "power": (
            (lambda: fields.power_spectrum(our_maps, box), n_maps),
            (
                lambda: [
                    pb.get_power(m, box, bins=edges, dimensionless=False, nthreads=pb_threads)
                    for m in pb_inputs
                ],
                pb_maps,
            ),
        ),
        "power-reused-bins": ((lambda: bins.estimate(our_maps), n_maps), None),
    }
    # Like with like: both simulators realise the same spectrum (mean over the maps, our
    # estimator on both), and both estimators give the same numbers on the same map.
    ours_mean = bins.estimate(our_maps.cpu()).mean(0).double()
    pb_mean = bins.estimate(torch.as_tensor(np.stack(pb_maps_list), dtype=torch.float32)).mean(0)
    low = bins.k < bins.k[-1] / 2  # bins well inside the grid, where both are not aliased
    spectrum_ratio = (ours_mean[low] / pb_mean.double()[low]).numpy()
    pb_power = np.asarray(pb.get_power(pb_inputs[0], box, bins=edges, dimensionless=False,
                                       nthreads=pb_threads).power)  # fmt: skip
    checks = {
        "mean_spectrum_ratio_ours_over_powerbox": float(np.mean(spectrum_ratio)),
        "mean_spectrum_ratio_spread": float(np.std(spectrum_ratio)),
        "estimator_max_rel_diff_vs_get_power": float(
            np.max(np.abs(pb_power / bins.estimate(measured[:1].cpu())[0].numpy() - 1))
        ),
    }
    return cases, checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--ndim",
        type=int,
        choices=(2, 3),
        default=2,
        help="2: maps of the 'plane' geometry; 3: boxes of the 'box' geometry",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        help="pixels per side (default 64 128 256; 32 64 with --ndim 3)",
    )
    parser.add_argument("--maps", type=int, help="maps per batch (ours; default 256, 3D: 64)")
    parser.add_argument("--pb-maps", type=int, default=24, help="boxes per timing (powerbox)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (both sides)")
    parser.add_argument(
        "--box", type=float, help="box side: Mpc for 2D (default 1000), Mpc/h for 3D (default 500)"
    )
    parser.add_argument("--device", default="cpu", help="cpu, cuda or auto (ours only)")
    parser.add_argument("--skip-paper", action="store_true", help="skip the 1000-map headline")
    parser.add_argument(
        "--out", help="default benchmarks/results/simulator.json (3D: simulator-3d.json)"
    )
    args = parser.parse_args()
    volumes = args.ndim == 3
    args.sizes = args.sizes or ([32, 64] if volumes else [64, 128, 256])
    args.maps = args.maps or (64 if volumes else 256)
    args.box = args.box or (500.0 if volumes else 1000.0)
    args.out = args.out or f"benchmarks/results/simulator{'-3d' if volumes else ''}.json"
    args.skip_paper = args.skip_paper or volumes  # the paper's benchmark is of 2D maps
    pb = import_powerbox()
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(args.threads)
    # powerbox: 0/1 means numpy's (single-threaded) FFT, >1 pyFFTW with that many threads.
    pb_threads = args.threads if args.threads > 1 else 1
    info = machine_info(device, args.threads, pb, pb_threads)
    info["load_average_start"] = list(os.getloadavg())

    result: dict = {"machine": info, "settings": vars(args)}
    if not args.skip_paper:
        ref = cosmossl.create("dataset", "lognormal", n_cosmologies=100, n_simulations=10,
                              device=device)  # fmt: skip
        ref.load(seed=0)  # warm-up
        paper_s = statistics.median(seconds(lambda: ref.load(seed=0), device) for _ in range(3))
        result["paper_1000_maps_seconds"] = paper_s
        print(f"paper benchmark (Lognormal.load, 1000 maps of 100², EH98 spectra included): "
              f"{paper_s:.3f} s, {1000 / paper_s:,.0f} maps/s")  # fmt: skip

    grids = []
    for n in args.sizes:
        cases, checks = grid_cases(n, args.box, args.maps, args.pb_maps, device, pb, pb_threads,
                                   args.ndim)  # fmt: skip
        for (work, _), other in cases.values():  # warm-up (caches, FFT plans)
            work()
            if other is not None:
                other[0]()
        reps: dict[str, dict[str, list[float]]] = {
            name: {"ours": [], "powerbox": []} for name in cases
        }
        for _ in range(args.repeats):
            pb_lognormal = None
            for name, ((work, count), other) in cases.items():
                reps[name]["ours"].append(count / seconds(work, device))
                if other is not None:
                    rate = other[1] / seconds(other[0], "cpu")
                    if name == "lognormal":
                        pb_lognormal = rate
                else:  # the dataset rows and reused bins share the measured powerbox row
                    same = "power" if name.startswith("power") else "lognormal"
                    rate = reps[same]["powerbox"][-1] if same == "power" else pb_lognormal
                reps[name]["powerbox"].append(rate)
        rows = {}
        for name, r in reps.items():
            ratios = [a / b for a, b in zip(r["ours"], r["powerbox"], strict=True)]
            rows[name] = {
                "ours_maps_per_s": statistics.median(r["ours"]),
                "powerbox_maps_per_s": statistics.median(r["powerbox"]),
                "ratio": statistics.median(ratios),
                "ratio_min": min(ratios),
                "ratio_max": max(ratios),
                "repeats": r,
            }
        grids.append({"n": n, "rows": rows, "checks": checks})
        print_grid(n, rows, checks, args.ndim)

    info["load_average_end"] = list(os.getloadavg())
    result["grids"] = grids
    print(f"{args.threads} torch thread(s), powerbox FFT: {info['powerbox_fft']}; "
          f"{info['cpus_usable']} CPUs usable, load average {info['load_average_start'][0]:.2f}"
          f" → {info['load_average_end'][0]:.2f}")  # fmt: skip
    write_json(Path(args.out), result)
    print(f"wrote {args.out}")


def print_grid(n: int, rows: dict, checks: dict, ndim: int = 2) -> None:
    size = "×".join([str(n)] * ndim)
    print(f"\n{size:<9}{'row':<18} {'ours maps/s':>12} {'powerbox maps/s':>16} "
          f"{'ratio (min–max)':>20}")  # fmt: skip
    for name, r in rows.items():
        spread = f"{r['ratio']:.1f}× ({r['ratio_min']:.1f}–{r['ratio_max']:.1f})"
        print(f"{'':9}{name:<18} {r['ours_maps_per_s']:>12,.0f} "
              f"{r['powerbox_maps_per_s']:>16,.0f} {spread:>20}")  # fmt: skip
    ratio, spread = (
        checks["mean_spectrum_ratio_ours_over_powerbox"],
        checks["mean_spectrum_ratio_spread"],
    )
    print(f"{'':9}checks: mean P ours/powerbox {ratio:.3f} ± {spread:.3f} (bin scatter), "
          f"estimator vs get_power max rel diff "
          f"{checks['estimator_max_rel_diff_vs_get_power']:.1e}")  # fmt: skip


if __name__ == "__main__":
    main()
