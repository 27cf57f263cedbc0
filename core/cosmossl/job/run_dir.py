"""The run directory: where each stage puts its files (the only place paths are spelled), which
stages finished with which inputs (the stage cache), and what makes the folder trustworthy.

The main job (``cosmossl run``) and the single-stage commands (``simulate``, ``train``,
``compress``, ``infer``, ``fisher``) share this layout, so their outputs can be used together.
Each stage declares its inputs (its config section, the run seed, the keys of the stages it
consumes, the data files it reads, the code of the components it runs) and its output files. A
stage is skipped when a previous run finished it with the same inputs and its outputs still
exist; otherwise it runs, and every stage downstream of it runs too, because their inputs
include its key.

A run directory is marked as cosmossl's (:data:`MARKER`, with a format version): a non-empty
folder without the marker is refused, never written into. The marker lists the paths that
cosmossl wrote there; only those are ever deleted or replaced. While a process works in a run
directory it holds an exclusive advisory lock (:data:`LOCK`, holding its PID); a second process
is refused with a message naming the first.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cosmossl._util.digest import digest, output_fingerprint, same_output
from cosmossl._util.files import (
    check_name_lengths,
    check_writable,
    remove_stale_temporaries,
    write_json,
)
from cosmossl._version import __version__
from cosmossl.errors import OutputError, RunDirectoryBusyError, writing
from cosmossl.training.folder import TrainingFolder

if TYPE_CHECKING:
    from cosmossl.config.run_file import RunConfig

log = logging.getLogger(__name__)

# ---- paths, relative to the run directory ------------------------------------------------------

MAPS = "data/maps.h5"
TRAIN = "train"
BEST_CHECKPOINT = f"{TRAIN}/{TrainingFolder.BEST}"
TRAINING_METRICS = f"{TRAIN}/{TrainingFolder.METRICS}"
TRAINING_CURVES = "training_curves.png"
MAPS_FIGURE = "maps.png"
ENCODER = "encoder"
FISHER = "fisher.json"
RESULTS = "results.json"
REPORT = "report"
COMPARE = "compare"
STATE_FILE = "stages.json"
MARKER = ".cosmossl-run"
LOCK = ".cosmossl-run.lock"
#: What :data:`MARKER` holds: this format name and a version this cosmossl reads up to.
MARKER_FORMAT, MARKER_VERSION = "cosmossl-run-directory", 1
METRICS = "metrics.json"
POSTERIOR = "posterior"
#: What a robustness stage keeps of the contaminated test maps: their summaries, by name.
CONTAMINATED_SUMMARIES = "contaminated_summaries.npz"
EXPORT = "export"


SUMMARIES = "summaries"


def summaries(label: str) -> str:
    """Summaries file of ``label`` (``"encoder"`` or a statistic's name)."""
    return f"{SUMMARIES}/{label}.h5"


#: Label suffix of a hardened summary (``[hardening]``): ``encoder`` → ``encoder-hardened``.
HARDENED = "-hardened"


def hardened(label: str) -> str:
    """Label of the hardened twin of the summaries ``label``."""
    return f"{label}{HARDENED}"


def base_label(label: str) -> str:
    """The summaries a label was made from: itself, or the one a hardened label hardens."""
    return label.removesuffix(HARDENED)


def hardening(label: str) -> str:
    """The fitted nuisance hardening of the summaries ``label`` (JSON)."""
    return f"hardening/{label}.json"


def inference(label: str) -> str:
    """Inference output folder for the summaries ``label``."""
    return f"inference/{label}"


def robustness(label: str) -> str:
    """Robustness output folder for the summaries ``label`` (``metrics.json``, ``posterior/``
    when the survey size needs its own fit)."""
    return f"robustness/{label}"


def contaminated_maps(index: int, name: str) -> str:
    """Test maps with contamination number ``index`` (named ``name``) put in."""
    slug = "".join(c if c.isalnum() or c in "._-" else "-" for c in name).strip("-")
    return f"data/contaminated/{index:02d}-{slug[:60]}.h5"


#: The files of an observation's posterior folder (``cosmossl posterior``).
OBSERVATION_SAMPLES = "samples.h5"
OBSERVATION_CHAINS = "chains"
OBSERVATION_SUMMARY = "posterior.json"
#: The samples of an observation's posterior refined in sequential rounds, and their folder.
OBSERVATION_REFINED = "samples-sequential.h5"
OBSERVATION_ROUNDS = "rounds"


def observation_rounds(summary: str) -> str:
    """The sequential rounds of one summary in an observation folder (a folder of stages)."""
    return f"{OBSERVATION_ROUNDS}/{summary}"


def observation(name: str) -> str:
    """The posterior folder of the observation ``name`` (``cosmossl posterior``)."""
    return f"{POSTERIOR}/{name}"


def observation_triangle(index: int | None) -> str:
    """The triangle plot of an observation folder: ``triangle.png`` when it holds one
    observation (a map or a survey), else one per map."""
    return "triangle.png" if index is None else f"triangle_{index}.png"


def posterior_figure(index: int) -> str:
    """The report's triangle plot of the posteriors of its ``index``-th test map."""
    return f"posteriors_{index}.png"


def round_simulations(index: int) -> str:
    """A sequential round's simulations (a summaries file), in the rounds folder."""
    return f"round-{index}/simulations.h5"


def round_truncation(index: int) -> str:
    """A sequential round's truncated prior: acceptance, effective volume, region."""
    return f"round-{index}/truncation.json"


def round_posterior(index: int) -> str:
    """The posterior fitted after a sequential round (round 0: the one the rounds start from)."""
    return f"round-{index}/posterior"


def run_directory(config: RunConfig, override: str | Path | None = None) -> Path:
    """``override`` if given, else the run file's ``run_dir`` with ``{name}`` filled in."""
    if override is not None:
        return Path(override)
    return Path(config.settings.run_dir.replace("{name}", config.settings.name))


# ---- the marker: which folders, and which paths in them, cosmossl wrote ----------------------


def _ignored(name: str) -> bool:
    """Entries that do not make a folder "not empty": our lock file."""
    return name == LOCK


def _read_marker(root: Path) -> dict[str, Any]:
    path = root / MARKER
    try:
        marker = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OutputError(
            f"'{path}' is damaged ({exc}): if '{root}' is a cosmossl run directory, remove that "
            "file to adopt it again (cosmossl will then only add to it), else choose another "
            "run directory"
        ) from None
    if not isinstance(marker, dict) or marker.get("format") != MARKER_FORMAT:
        raise OutputError(f"'{path}' is not a cosmossl run-directory marker: choose another run "
                          "directory")  # fmt: skip
    if int(marker.get("version", 0)) > MARKER_VERSION:
        raise OutputError(
            f"'{root}' was written by a newer cosmossl (run-directory format version "
            f"{marker['version']}; this cosmossl reads up to {MARKER_VERSION}): upgrade cosmossl"
        )
    marker.setdefault("owned", [])
    return marker


def _legacy_state(root: Path) -> bool:
    """Whether ``root`` is a run directory of a cosmossl that wrote no marker: it has a stage
    cache (``cosmossl run``) or a training checkpoint (``cosmossl train``)."""
    try:
        state = json.loads((root / STATE_FILE).read_text(encoding="utf-8"))
        return isinstance(state, dict) and all(
            isinstance(r, dict) and {"key", "outputs"} <= set(r) for r in state.values()
        )
    except (OSError, ValueError):
        pass
    folder = TrainingFolder(root / TRAIN)
    for checkpoint in (folder.last, folder.best):
        try:
            saved = json.loads((checkpoint / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(saved, dict) and saved.get("format") == "cosmossl-checkpoint":
            return True
    return False


def check_run_directory(path: str | Path, *, flag: str = "--run-dir") -> dict[str, Any] | None:
    """Check, writing nothing, that ``path`` may be used as a run directory: the marker of a
    run directory cosmossl made there, or ``None`` for a folder that is missing, empty, or
    made by a cosmossl that wrote no marker (:func:`claim_folder` adopts it).

    Refused (:class:`OutputError`, ``flag`` named in the advice): a file, a symbolic link to
    nothing, a non-empty folder without the marker, a name the file system cannot hold, a
    location that cannot be written. ``cosmossl validate`` and every command that writes a run
    directory call this, so they refuse the same folders with the same words.
    """
    root = Path(path)
    check_name_lengths(root)
    if root.is_symlink() and not root.exists():
        raise OutputError(
            f"run directory '{root}' is a symbolic link to '{os.readlink(root)}', which does not "
            f"exist: create that folder, remove the link, or choose another run directory ({flag})"
        )
    if root.exists() and not root.is_dir():
        raise OutputError(f"run directory '{root}' is a file, not a folder: choose another "
                          f"run directory ({flag})")  # fmt: skip
    if (root / MARKER).exists():
        return _read_marker(root)
    entries = _entries(root)
    if entries and not _legacy_state(root):
        shown = ", ".join(entries[:5]) + (", ..." if len(entries) > 5 else "")
        raise OutputError(
            f"'{root}' is not empty ({shown}) and is not a cosmossl run directory (it has no "
            f"{MARKER} marker): cosmossl never writes into a folder it did not make. Choose "
            f"another run directory ({flag}, or run_dir in the run file), or empty this one"
        )
    check_writable(root, folder=True, flag=flag)
    return None


def _entries(root: Path) -> list[str]:
    """What a folder holds (our lock file aside), by name."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if not _ignored(p.name))


def claim_folder(path: str | Path, *, flag: str = "--run-dir") -> dict[str, Any]:
    """The marker of the run directory ``path``, writing it when the folder is new or empty.

    A folder that :func:`check_run_directory` refuses is refused (:class:`OutputError`):
    cosmossl never writes into a folder it did not make. ``flag`` is the command's option that
    names the folder, for the messages. (A run directory of a cosmossl that wrote no marker — a
    readable ``stages.json`` or a training checkpoint — is adopted with everything it holds.)
    """
    root = Path(path)
    marker = check_run_directory(root, flag=flag)
    if marker is not None:
        return marker
    marker = {
        "format": MARKER_FORMAT,
        "version": MARKER_VERSION,
        "cosmossl": __version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "owned": _entries(root),  # empty, or everything an older cosmossl wrote here
    }
    with writing(root):
        root.mkdir(parents=True, exist_ok=True)
    write_json(root / MARKER, marker)
    return marker


# ---- outputs outside a run directory ----------------------------------------------------------


def check_output_file(path: str | Path, *, ours: Callable[[Path], bool], what: str,
                      flag: str) -> Path:  # fmt: skip
    """Check, before any work, that the file ``path`` (given with ``flag``) may be written: a
    writable location, and nothing there that cosmossl did not write (``ours(path)`` says
    whether an existing file is a ``what`` that cosmossl wrote)."""
    path = Path(path)
    check_writable(path, folder=False, flag=flag)
    if path.exists() and not ours(path):
        raise OutputError(
            f"'{path}' exists and is not a {what}: cosmossl never overwrites a file it did not "
            f"write. Choose another path with {flag}, or remove that file"
        )
    return path


def check_output_folder(path: str | Path, *, ours: Callable[[Path], bool], what: str,
                        flag: str) -> Path:  # fmt: skip
    """Like :func:`check_output_file` for a folder: it may be missing, empty, or hold a
    ``what`` that cosmossl wrote (``ours(path)``)."""
    path = Path(path)
    check_writable(path, folder=True, flag=flag)
    if path.is_dir() and any(path.iterdir()) and not ours(path):
        raise OutputError(
            f"'{path}' is not empty and does not hold a {what}: cosmossl never writes into a "
            f"folder it did not make. Choose another folder with {flag}, or empty it"
        )
    return path


# ---- the lock ------------------------------------------------------------------------------

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory locks, run directories unlocked
    fcntl = None  # type: ignore[assignment]

#: Run directories locked by this process: resolved path → (file descriptor, nesting depth).
_HELD: dict[Path, tuple[int, int]] = {}


def _acquire(root: Path, flag: str) -> bool:
    """Lock ``root`` for this process; ``True`` on the first (outermost) acquisition."""
    key = root.resolve()
    if key in _HELD:
        fd, depth = _HELD[key]
        _HELD[key] = (fd, depth + 1)
        return False
    if fcntl is None:
        _HELD[key] = (-1, 1)
        return True
    path = root / LOCK
    with writing(path):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise RunDirectoryBusyError(
            f"run directory '{root}' is in use by another cosmossl process (PID {holder}): wait "
            f"for it to finish, or choose another run directory ({flag})"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    _HELD[key] = (fd, 1)
    return True


def _release(root: Path) -> None:
    key = root.resolve()
    if key not in _HELD:
        return
    fd, depth = _HELD.pop(key)
    if depth > 1:
        _HELD[key] = (fd, depth - 1)
    elif fd >= 0:
        os.close(fd)  # closing the descriptor releases the lock


# ---- the stage cache ----------------------------------------------------------------------------


@dataclass
class StageRecord:
    """What the state file remembers of a finished stage: the key of its inputs, its outputs
    and what they held when it finished (``files``: :func:`output_fingerprint` of each; ``None``
    in a record of a cosmossl that kept none)."""

    key: str
    outputs: list[str]
    seconds: float
    finished: str
    files: dict[str, dict[str, dict[str, Any]]] | None = None

    @property
    def result(self) -> str:
        """The key the stages that read this stage's outputs include in theirs: its inputs and
        the content of what it wrote, so that they run again when that content changes."""
        if self.files is None:  # an older cosmossl's record: its inputs only
            return self.key
        content = {
            out: {name: f["sha256"] for name, f in files.items()}
            for out, files in self.files.items()
        }
        return digest({"inputs": self.key, "outputs": content})


class RunDirectory:
    """A run's output folder: marked as cosmossl's, locked while in use (``with`` block), with a
    record of which stages finished with which inputs and of the paths cosmossl wrote.

    Opening it (the constructor) checks the marker (see :func:`claim_folder`); entering it as a
    context manager takes the lock (:class:`~cosmossl.errors.RunDirectoryBusyError` if another
    process holds it) and removes temporaries left by killed writers.
    """

    def __init__(self, path: str | Path, *, flag: str = "--run-dir") -> None:
        self.root = Path(path)
        self.flag = flag  # the command's option naming the folder, for error messages
        self._marker = claim_folder(self.root, flag=flag)
        self._state_path = self.root / STATE_FILE
        self._state: dict[str, StageRecord] = self._read_state()

    def __enter__(self) -> RunDirectory:
        self.lock()
        return self

    def __exit__(self, *exc: object) -> None:
        self.unlock()

    def lock(self) -> None:
        """Take the run directory's lock (nested calls in one process are counted)."""
        if _acquire(self.root, self.flag):
            for path in remove_stale_temporaries(self.root):
                log.info("removed %s, left by an interrupted write", path)

    def unlock(self) -> None:
        _release(self.root)

    # ---- what cosmossl wrote here ----

    def owns(self, relative: str) -> bool:
        """Whether ``relative`` (or a folder above it) is recorded as written by cosmossl."""
        parts = Path(relative).parts
        owned = {Path(p).parts for p in self._marker["owned"]}
        return any(parts[:i] in owned for i in range(1, len(parts) + 1))

    def claim(self, *relative: str) -> None:
        """Record that cosmossl is about to write these paths; a path that exists but was not
        written by cosmossl is refused (:class:`OutputError`), never overwritten."""
        new = [p for p in relative if not self.owns(p)]
        foreign = [p for p in new if self.path(p).exists()]
        if foreign:
            raise OutputError(
                f"'{self.path(foreign[0])}' exists but was not written by cosmossl in this run "
                f"directory: move it away, or choose another run directory ({self.flag})"
            )
        if new:
            self._marker["owned"] = sorted({*self._marker["owned"], *new})
            write_json(self.root / MARKER, self._marker)

    def remove(self, relative: str) -> None:
        """Delete ``relative`` (a file or folder), which must have been written by cosmossl."""
        if not self.owns(relative):
            raise OutputError(f"refusing to delete '{self.path(relative)}': cosmossl did not "
                              "write it")  # fmt: skip
        target = self.path(relative)
        with writing(target):
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)

    def check_writable(self) -> None:
        """Check, before any work, that the run directory and every folder in it accept files."""
        check_writable(self.root, folder=True, flag=self.flag)
        for current, dirs, _ in os.walk(self.root):
            for name in dirs:
                folder = Path(current, name)
                if not os.access(folder, os.W_OK | os.X_OK):
                    raise OutputError(
                        f"cannot write into '{folder}': permission denied; make it writable, or "
                        f"choose another run directory ({self.flag})"
                    )

    # ---- the stage cache ----

    def _read_state(self) -> dict[str, StageRecord]:
        if not self._state_path.exists():
            return {}
        try:
            raw = json.loads(self._state_path.read_text(encoding="utf-8"))
            return {name: StageRecord(**record) for name, record in raw.items()}
        except (ValueError, TypeError, AttributeError):
            log.warning("ignoring unreadable %s: every stage will run", self._state_path)
            return {}

    def path(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def key(self, name: str) -> str | None:
        """The key of a finished stage, for the stages that read its outputs (its inputs and
        the content of its outputs, :attr:`StageRecord.result`); ``None`` if it never finished."""
        record = self._state.get(name)
        return record.result if record else None

    def is_current(self, name: str, key: str) -> bool:
        """Whether the stage finished with the inputs ``key`` and its outputs still hold what
        it wrote (another command may have replaced them)."""
        record = self._state.get(name)
        return (
            record is not None
            and record.key == key
            and record.files is not None
            and all(
                out in record.files and same_output(record.files[out], self.path(out))
                for out in record.outputs
            )
        )

    def run_stage(
        self,
        name: str,
        inputs: Mapping[str, Any],
        outputs: Sequence[str],
        action: Callable[[], None],
        *,
        force: bool = False,
        owned: Iterable[str] = (),
    ) -> tuple[str, bool]:
        """Run ``action`` unless the stage is current (:meth:`is_current`); returns the stage's
        key for the stages that read its outputs (:meth:`key`) and whether it ran.

        ``outputs`` are the files (or folders) the stage must leave; ``owned`` further paths it
        writes (e.g. the training folder). All of them are claimed (:meth:`claim`) before
        ``action`` runs.
        """
        key = digest(inputs)
        if not force and self.is_current(name, key):
            log.info("stage %s: up to date, skipped", name)
            return self._state[name].result, False
        self.claim(*outputs, *owned)
        self._state.pop(name, None)
        self._write_state()
        log.info("stage %s: running", name)
        start = time.perf_counter()
        action()
        missing = [out for out in outputs if not self.path(out).exists()]
        if missing:
            raise RuntimeError(f"stage {name} finished without writing {', '.join(missing)}")
        record = StageRecord(
            key,
            list(outputs),
            round(time.perf_counter() - start, 3),
            time.strftime("%Y-%m-%dT%H:%M:%S"),
            {out: output_fingerprint(self.path(out)) for out in outputs},
        )
        self._state[name] = record
        self._write_state()
        return record.result, True

    def seconds(self, name: str) -> float | None:
        record = self._state.get(name)
        return record.seconds if record else None

    def _write_state(self) -> None:
        write_json(self._state_path, {n: asdict(r) for n, r in self._state.items()})
