"""Both backends show cosmossl's progress bar while they fit (epochs, best validation loss,
elapsed time) and print nothing else: none of sbi's own lines."""

from __future__ import annotations

import importlib
import io
import sys

import pytest
from support.inference import PROBLEM, data

import cosmossl
from cosmossl.inference import FitProgress, fit

# Tiny fits on purpose: sbi warns that they stop at max_epochs.
pytestmark = pytest.mark.filterwarnings("ignore:Maximum number of epochs")

BACKENDS = {
    "sbi": {"max_epochs": 30, "patience": 3, "hidden_features": 8, "num_transforms": 1},
    "lampe": {"max_epochs": 30, "patience": 3, "hidden": [8], "transforms": 1},
}


class Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr is when a person watches."""

    def isatty(self) -> bool:
        return True


def fit_small(name, progress):
    backend = cosmossl.create("backend", name, **BACKENDS[name])
    train, val = data(n_train=300, n_val=100)
    return fit(backend, train, val, PROBLEM.box(), seed=0, progress=progress)


@pytest.mark.parametrize("name", BACKENDS)
def test_a_fit_on_a_terminal_shows_our_bar_and_no_backend_prints(name, monkeypatch, capfd):
    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    fit_small(name, progress=True)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    shown = terminal.getvalue()
    most = {"sbi": 31, "lampe": 30}[name]  # sbi's loop runs up to max_epochs + 1 epochs
    assert shown.lstrip("\r").startswith(name) and f": epoch 0/{most} [00:00]" in shown
    for line in ("Epochs trained", "converged", "ROUND", "Training neural network"):
        assert line not in shown


@pytest.mark.parametrize("name", BACKENDS)
def test_a_quiet_fit_prints_nothing(name, capfd):
    fit_small(name, progress=False)
    assert capfd.readouterr() == ("", "")


@pytest.mark.parametrize("name", BACKENDS)
def test_every_epoch_of_the_fit_reaches_the_bar(name, monkeypatch):
    bars = []

    class Recording(FitProgress):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append(self)

    module = importlib.import_module(f"cosmossl_plugins.backends.{name}")
    monkeypatch.setattr(module, "FitProgress", Recording)
    posterior = fit_small(name, progress=False)
    (bar,) = bars
    assert bar.epochs == posterior.info["epochs"] > 0
    assert bar.best == pytest.approx(posterior.info["best_val_loss"])


def test_the_bar_counts_epochs_and_keeps_the_best_validation_loss():
    terminal = Terminal()
    with FitProgress(10, desc="fit", file=terminal) as bar:
        for loss in (3.0, 2.0, 2.5, 1.5, 1.7):
            bar.epoch(loss)
        assert (bar.epochs, bar.best, bar.best_epoch) == (5, 1.5, 4)
    assert "fit: epoch 0/10 [00:00]" in terminal.getvalue()


def test_the_bar_is_off_when_disabled_or_not_on_a_terminal():
    for stream, enabled in ((Terminal(), False), (io.StringIO(), True)):
        with FitProgress(10, desc="fit", enabled=enabled, file=stream) as bar:
            bar.epoch(1.0)
        assert stream.getvalue() == "" and bar.epochs == 1
