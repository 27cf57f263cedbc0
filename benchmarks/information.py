"""How much of the Fisher information learned summaries keep, against the training budget.

For each geometry — the quickstart (32², `examples/quickstart.toml`), the reference paper's
lognormal benchmark (100² maps of a 1000 Mpc box, `examples/paper-lognormal.toml`) and 3D volumes
(32³ boxes, `examples/lognormal-3d.toml`, geometry `volume`) — and each
map transform (`log1p`: the network sees log(1 + δ), as in the paper; `none`: the lognormal δ
itself, where the binned power spectrum is no longer nearly sufficient), this script:

- fits the power spectrum's posterior and measures its Fisher fraction (the baseline);
- trains VICReg and the supervised baseline (or any loss of `--losses`: the information-maximising
  `vmim` and `imnn`, the moment networks `mse` and `moments`, and hybrids `statistic+loss` such
  as `power-spectrum+imnn`: the power spectrum followed by learned numbers) on fresh
  realisations (`[train] fresh`; `imnn` on simulations at the fiducial point), with the run
  file's budget, and at several points of that one run (a learning curve) measures the
  figure-of-merit fraction of the encoder's summaries against the analytic limit (with its 68%
  jackknife interval), the test NLL of a neural posterior fitted on them, and its calibration.

Every number comes from the product's own stages (`cosmossl.train`, `compress`, `infer`, the
information check of `cosmossl run`). Records are appended to
`benchmarks/results/information.json` as they are measured (a rerun replaces records with the
same geometry, transform, summary and budget) and summarised in `information.md` (with the
training CPU time at which each summary first reaches 95% of the limit) and `information.png`.
Each record says the maps' spatial dimensions (`ndim`); those of a trained summary also the peak
memory of one training step (`peak_step_memory_mb`).

    OMP_NUM_THREADS=1 python benchmarks/information.py                     # everything (hours)
    OMP_NUM_THREADS=1 python benchmarks/information.py --geometry quickstart
    OMP_NUM_THREADS=1 python benchmarks/information.py --geometry volume --transform log1p
    OMP_NUM_THREADS=1 python benchmarks/information.py --quick             # smoke test, ~1 min
    OMP_NUM_THREADS=1 python benchmarks/information.py --geometry quickstart --transform log1p \
        --losses vmim imnn mse power-spectrum+imnn --skip-statistic --fisher 2000 1000
    python benchmarks/information.py --report      # rewrite the .md and .png from the .json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import resource
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

import cosmossl
from cosmossl._util.files import save_figure, write_json, write_text
from cosmossl.config import RunConfig, load_run_config, parse_run_config
from cosmossl.data import write_summaries
from cosmossl.job.fisher import check_information
from cosmossl.job.infer import infer
from cosmossl.job.plan import hybrid_encoder, hybrid_parts
from cosmossl.summaries import compress, compress_statistic
from cosmossl.training import TrainingFolder

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
GEOMETRIES = {
    "quickstart": REPO / "examples" / "quickstart.toml",
    "paper": REPO / "examples" / "paper-lognormal.toml",
    "volume": REPO / "examples" / "lognormal-3d.toml",
}
TRANSFORMS = ("log1p", "none")
STATISTIC = "power-spectrum"
KEY = ("geometry", "summary", "maps_seen")
#: The share of the limit's figure of merit whose training time the report states.
REACH = 0.95

log = logging.getLogger("benchmarks.information")


def variant(base: RunConfig, geometry: str, transform: str, args: argparse.Namespace) -> RunConfig:
    """The run file of one geometry and transform, with the benchmark's overrides."""
    table = base.to_table()
    table["name"] = f"information-{geometry}-{transform}"
    table["device"] = args.device
    table["dataset"] = {**table["dataset"], "transform": transform}
    if args.quick:
        table["dataset"].update(n_cosmologies=64, n_simulations=2)
        if table["dataset"].get("geometry") == "box":
            table["dataset"]["n_pixels"] = 16
        table["train"] = {**table.get("train", {}), "epochs": 2, "batch_size": 16}
        table["fisher"] = {"n_fiducial": 60, "n_derivative": 20}
        table["inference"] = {**table.get("inference", {}), "n_samples": 50, "plots": False}
        table["backend"] = {"type": "lampe", "max_epochs": 3}
    if args.fisher:
        table["fisher"] = {**table.get("fisher", {}), "n_fiducial": args.fisher[0],
                           "n_derivative": args.fisher[1]}  # fmt: skip
    loss_params = table.get("compare", {}).get("loss_params", {})
    table["compare"] = {"loss_params": loss_params, "hybrid_dim": args.hybrid_dim}
    return parse_run_config(table, source=f"{base.source} [{geometry}, transform {transform}]")


def with_loss(config: RunConfig, loss: str) -> RunConfig:
    """The run file training ``loss``: a loss name, or a hybrid ``statistic+loss`` (the
    statistic followed by ``[compare] hybrid_dim`` learned numbers, as `cosmossl compare`)."""
    table = {k: v for k, v in config.to_table().items() if k not in ("statistic", "compare")}
    hybrid = hybrid_parts(config, loss)
    name = loss if hybrid is None else hybrid[1]
    options = config.settings.compare.loss_params
    table["loss"] = {"type": name, **options.get(loss, options.get(name, {}))}
    if hybrid is not None:
        table["encoder"] = hybrid_encoder(config, loss, hybrid[0]).to_table()
    return parse_run_config(table, source=f"{config.source} [loss {loss}]")


def maps_per_step(config: RunConfig, n_params: int) -> int:
    """Maps a training step simulates: the views, and the simulations at the fiducial point of a
    loss that trains on them (``imnn``)."""
    spec = config.require("loss")
    needs = cosmossl.registry().load("loss", spec.type).training_data(spec.params)
    train, views = config.settings.train, config.settings.pairing.views
    count = train.batch_size * views if needs.views else 0
    return count + (needs.fiducial.maps_per_step(n_params) if needs.fiducial else 0)


def inference_record(config: RunConfig, summaries: Any, folder: Path) -> dict[str, Any]:
    """Fit the run's backend on ``summaries``; the test NLL and calibration."""
    path = write_summaries(folder / "summaries.h5", summaries)
    metrics = infer(config, summaries=path, out=folder / "inference", progress=False).metrics
    return {
        "test_nll": metrics["nll"],
        "coverage_error": metrics["coverage"]["mean_abs_error"],
        "tarp_atc": metrics["tarp"]["atc"],
        "tarp_ks_pvalue": metrics["tarp"]["ks_pvalue"],
        "r2": {name: p["r2"] for name, p in metrics["params"].items()},
    }


def fisher_record(entry: dict[str, Any], info: dict[str, Any]) -> dict[str, Any]:
    return {
        "fom_fraction": entry["fom_fraction"],
        "fom_interval": entry["fom_fraction_interval"],
        "sigma_ratio": entry["sigma_ratio"],
        "fisher_sims": [info["n_fiducial"], info["n_derivative"]],
    }


def measure_statistic(config, dataset, mapset, folder: Path, geometry: str) -> dict[str, Any]:
    statistic = cosmossl.create("statistic", STATISTIC, meta=mapset.meta)
    summaries = compress_statistic(mapset, statistic, name=STATISTIC, progress=False)
    info = check_information(config, dataset, statistics={STATISTIC: statistic})
    return {
        "geometry": geometry,
        "ndim": mapset.meta.spatial_dims,
        "summary": STATISTIC,
        "maps_seen": 0,
        "train_seconds": 0.0,
        **fisher_record(info["summaries"][STATISTIC], info),
        **inference_record(config, summaries, folder),
    }


def measure_loss(
    config,
    dataset,
    mapset,
    folder: Path,
    geometry: str,
    budgets: list[float],
    summary: str,
    step: dict,
):
    """Train once; evaluate the last checkpoint at each fraction of the run's steps (``step``:
    what :func:`simulation_fraction` measured of one training step)."""
    # A fresh start: a training left in the folder by an earlier measurement is not resumed.
    shutil.rmtree(folder / "train", ignore_errors=True)
    train = config.settings.train
    per_step = maps_per_step(config, len(mapset.param_names))
    steps_per_epoch = train.steps_per_epoch or (
        len(np.unique(mapset.cosmology_id[mapset.indices("train")])) // train.batch_size
    )
    total = train.epochs * steps_per_epoch
    cpu = wall = 0.0
    for fraction in budgets:
        stop = max(1, round(fraction * total))
        start_cpu, start_wall = time.process_time(), time.perf_counter()
        result = cosmossl.train(config, folder, mapset=mapset, resume=True,
                                stop_after_steps=stop, progress=False)  # fmt: skip
        cpu += time.process_time() - start_cpu
        wall += time.perf_counter() - start_wall
        checkpoint = TrainingFolder(folder / "train").last
        info = check_information(config, dataset, checkpoint=checkpoint)
        summaries = compress(mapset, checkpoint, device=config.settings.device, progress=False)
        record = {
            "geometry": geometry,
            "ndim": mapset.meta.spatial_dims,
            "summary": summary,
            "maps_seen": result.steps * per_step,
            "steps": result.steps,
            "train_seconds": cpu,
            "train_wall_seconds": wall,
            "peak_step_memory_mb": step["peak_step_memory_mb"],
            **fisher_record(info["summaries"]["encoder"], info),
            **inference_record(config, summaries, folder / f"eval-{result.steps}"),
        }
        log.warning(
            "%s %s: %d maps seen, %.0f CPU s, FoM fraction %.3f [%.3f, %.3f], test NLL %.3f",
            geometry, summary, record["maps_seen"], cpu, record["fom_fraction"],
            *record["fom_interval"], record["test_nll"],
        )  # fmt: skip
        yield record


def peak_memory_mb(work: Callable[[], None], device: torch.device) -> float:
    """The memory ``work`` needs above what the process held before it, in MB: the peak of
    CUDA's allocator on a GPU; on CPU the rise of the peak resident memory (VmHWM, reset first
    through /proc/self/clear_refs on Linux; elsewhere the rise of ru_maxrss, which misses a peak
    lower than an earlier one)."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        before = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        work()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - before) / 2**20
    status = Path("/proc/self/status")
    try:
        Path("/proc/self/clear_refs").write_text("5")
        before = _status_kb(status, "VmRSS")
        work()
        return (_status_kb(status, "VmHWM") - before) / 1024
    except OSError:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        work()
        return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024


def _status_kb(path: Path, field: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise OSError(f"{path} has no {field}")


def simulation_fraction(config: RunConfig, dataset: Any, mapset: Any) -> dict[str, float]:
    """Seconds to simulate one training batch against one training step on it (same process),
    and the peak memory of one step (forward, backward and update on the simulated views)."""
    from cosmossl.training.fresh import FreshMaps

    train, views = config.settings.train, config.settings.pairing.views
    device = cosmossl.resolve_device(config.settings.device)
    rows = mapset.indices("train")[: train.batch_size, None]
    fresh = FreshMaps(dataset, mapset, config.settings.pairing.level, views, 0, device)
    torch.manual_seed(0)
    encoder = cosmossl.create(
        "encoder",
        config.require("encoder").type,
        config.require("encoder").params,
        input_shape=mapset.meta.shape,
    )
    loss = cosmossl.create("loss", "vicreg", summary_dim=encoder.summary_dim, param_dim=2)
    optimizer = torch.optim.AdamW([*encoder.parameters(), *loss.parameters()])
    sim, step, memory = [], [], []
    for repeat in range(4):
        start = time.perf_counter()
        _, maps = fresh(0, repeat, rows)
        sim.append(time.perf_counter() - start)

        def train_step(maps: torch.Tensor = maps) -> None:
            out = loss(encoder, maps.reshape(len(rows), views, *maps.shape[1:]))
            optimizer.zero_grad()
            out.loss.backward()
            optimizer.step()

        start = time.perf_counter()
        memory.append(peak_memory_mb(train_step, device))
        step.append(time.perf_counter() - start)
    simulate, seconds = float(np.median(sim)), float(np.median(step))
    return {"simulate_seconds": simulate, "step_seconds": seconds,
            "fraction_of_step": simulate / (simulate + seconds),
            "peak_step_memory_mb": float(max(memory[1:]))}  # fmt: skip


def load_records(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        return []
    return json.loads(path.read_text(encoding="utf-8")).get("records", [])


def load_meta(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8")).get("machine", {})


def save(path: Path, records: list[dict[str, Any]], meta: dict[str, Any]) -> None:
    write_json(path, {"machine": meta, "records": records})


def upsert(records: list[dict[str, Any]], record: dict[str, Any]) -> list[dict[str, Any]]:
    key = tuple(record[k] for k in KEY)
    return [r for r in records if tuple(r[k] for k in KEY) != key] + [record]


def record_measurement(path: Path, record: dict[str, Any], meta: dict[str, Any]) -> None:
    """Add ``record`` to the results file, re-read first: several runs (one per core) may share
    it."""
    save(path, upsert(load_records(path), record), meta)


def reach_table(records: list[dict[str, Any]], target: float = REACH) -> str:
    """When each trained summary first keeps ``target`` of the limit's figure of merit."""
    lines = [
        f"| geometry | summary | first FoM ≥ {target} at steps | CPU s | FoM fraction "
        "| peak MB per step |",
        "|---|---|---:|---:|---:|---:|",
    ]
    curves = sorted({(r["geometry"], r["summary"]) for r in records if r["maps_seen"]})
    for geometry, summary in curves:
        curve = sorted((r for r in records if (r["geometry"], r["summary"]) == (geometry, summary)),
                       key=lambda r: r["maps_seen"])  # fmt: skip
        hit = next((r for r in curve if r["fom_fraction"] >= target), None)
        memory = curve[-1].get("peak_step_memory_mb")
        memory = f"{memory:.0f}" if memory is not None else "–"
        if hit is None:
            best = max(curve, key=lambda r: r["fom_fraction"])
            lines.append(f"| {geometry} | {summary} | not reached ({best['steps']} steps) "
                         f"| {best['train_seconds']:.0f} | {best['fom_fraction']:.3f} "
                         f"| {memory} |")  # fmt: skip
        else:
            lines.append(f"| {geometry} | {summary} | {hit['steps']} | {hit['train_seconds']:.0f} "
                         f"| {hit['fom_fraction']:.3f} | {memory} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def table(records: list[dict[str, Any]]) -> str:
    lines = [
        "| geometry | summary | steps | maps seen | CPU s | FoM fraction | 68% interval "
        "| test NLL | coverage error |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in sorted(records, key=lambda r: (r["geometry"], r["summary"], r["maps_seen"])):
        low, high = r["fom_interval"]
        lines.append(
            f"| {r['geometry']} | {r['summary']} | {r.get('steps', 0)} | {r['maps_seen']:,} "
            f"| {r['train_seconds']:.0f} "
            f"| {r['fom_fraction']:.3f} | [{low:.3f}, {high:.3f}] | {r['test_nll']:.3f} "
            f"| {r['coverage_error']:.3f} |"
        )
    return "\n".join(lines) + "\n"


def plot(records: list[dict[str, Any]], path: Path) -> Path | None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    order = [f"{g}{suffix}" for g in GEOMETRIES for suffix in ("", "-delta")]
    present = {r["geometry"] for r in records}
    geometries = [g for g in order if g in present] + sorted(present - set(order))
    if not geometries:
        return None
    fig, axes = plt.subplots(1, len(geometries), figsize=(4.6 * len(geometries), 3.6),
                             squeeze=False, sharey=True, constrained_layout=True)  # fmt: skip
    summaries = sorted({r["summary"] for r in records if r["summary"] != STATISTIC})
    colour = {summary: f"C{i}" for i, summary in enumerate(summaries)}
    for ax, geometry in zip(axes[0], geometries):
        rows = [r for r in records if r["geometry"] == geometry]
        for summary in sorted({r["summary"] for r in rows if r["maps_seen"]}):
            curve = [r for r in rows if r["summary"] == summary]
            curve.sort(key=lambda r: r["maps_seen"])
            x = [r["maps_seen"] for r in curve]
            y = [r["fom_fraction"] for r in curve]
            low = [r["fom_interval"][0] for r in curve]
            high = [r["fom_interval"][1] for r in curve]
            ax.plot(x, y, "o-", color=colour[summary], label=summary)
            ax.fill_between(x, low, high, color=colour[summary], alpha=0.2)
        for r in rows:
            if r["summary"] == STATISTIC:
                ax.axhline(r["fom_fraction"], color="0.4", ls=":", label="power spectrum")
        ax.axhline(1.0, color="k", lw=0.8, ls="--", label="analytic limit")
        ax.set_xscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("training maps seen")
        ax.set_ylabel("Fisher FoM fraction")
        transform = "δ" if geometry.endswith("-delta") else "log(1 + δ)"
        ax.set_title(f"{geometry.removesuffix('-delta')}: maps of {transform}", fontsize=10)
        ax.legend(fontsize=8, loc="lower right")
    return save_figure(fig, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--geometry", choices=[*GEOMETRIES, "all"], default="all")
    parser.add_argument("--transform", choices=[*TRANSFORMS, "all"], default="all")
    parser.add_argument("--losses", nargs="+", default=["vicreg", "supervised"])
    parser.add_argument(
        "--budgets",
        nargs="+",
        type=float,
        default=[0.125, 0.25, 0.5, 1.0],
        help="fractions of the run's training steps at which to evaluate",
    )
    parser.add_argument(
        "--skip-statistic",
        action="store_true",
        help="do not measure the power spectrum (another run does)",
    )
    parser.add_argument(
        "--fisher",
        nargs=2,
        type=int,
        metavar=("N_FIDUCIAL", "N_DERIVATIVE"),
        help="simulations of the information check (default: the run file's [fisher])",
    )
    parser.add_argument(
        "--hybrid-dim", type=int, default=8, help="learned numbers of a hybrid 'statistic+loss'"
    )
    parser.add_argument("--device", default="auto")
    parser.add_argument("--runs", type=Path, default=REPO / "runs" / "information")
    parser.add_argument("--out", type=Path, default=RESULTS / "information.json")
    parser.add_argument("--quick", action="store_true", help="smoke test (numbers meaningless)")
    parser.add_argument(
        "--report", action="store_true", help="only rewrite the .md table and .png plot"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(message)s")
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))

    meta = {
        "machine": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "cosmossl": cosmossl.__version__,
        "device": str(cosmossl.resolve_device(args.device)),
        "date": time.strftime("%Y-%m-%d"),
        "command": "OMP_NUM_THREADS=1 python benchmarks/information.py",
    }
    if args.quick:  # never touch the real results
        args.out = args.runs / "quick" / "information.json"
    if args.report:
        report(args.out)
        return
    geometries = list(GEOMETRIES) if args.geometry == "all" else [args.geometry]
    transforms = list(TRANSFORMS) if args.transform == "all" else [args.transform]
    timings: dict[str, Any] = {}
    for geometry in geometries:
        base = load_run_config(GEOMETRIES[geometry])
        for transform in transforms:
            name = geometry if transform == "log1p" else f"{geometry}-delta"
            config = variant(base, geometry, transform, args)
            root = args.runs / ("quick" if args.quick else "") / name
            dataset = cosmossl.create("dataset", "lognormal", config.require("dataset").params)
            mapset = dataset.load(seed=config.settings.seed)
            timings[name] = simulation_fraction(config, dataset, mapset)
            log.warning("%s: simulating a batch is %.1f%% of a training step", name,
                        100 * timings[name]["fraction_of_step"])  # fmt: skip
            meta["simulation"] = {**load_meta(args.out).get("simulation", {}), **timings}
            if not args.skip_statistic:
                record = measure_statistic(config, dataset, mapset, root / STATISTIC, name)
                record_measurement(args.out, record, meta)
            for loss in args.losses:
                loss_config = with_loss(config, loss)
                curve = measure_loss(loss_config, dataset, mapset, root / loss, name,
                                     args.budgets, loss, timings[name])  # fmt: skip
                for record in curve:
                    record_measurement(args.out, record, meta)
    report(args.out)


def report(path: Path) -> None:
    """Print the table of every record in ``path`` and write it next to it as .md and .png."""
    records = load_records(path)
    text = table(records) + "\n" + reach_table(records)
    print(text)
    write_text(path.with_suffix(".md"), text)
    plot(records, path.with_suffix(".png"))


if __name__ == "__main__":
    main()
