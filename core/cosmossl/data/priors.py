"""Where each parameter's prior comes from, and the checks a file dataset makes of it.

A posterior is fitted against a prior; for simulations the prior is the box the parameters were
drawn from. A simulator knows it; a file of maps does not, unless the user states it or the file
records it. The data's own min–max is a narrower box than the one the parameters were drawn
from (n draws miss about 1/(n + 1) of the box at each end; fewer distinct values, more): a
posterior fitted with it is wrong near the edges, so it is used only when nothing else is known,
and loudly.

Every prior has a source (:data:`PRIOR_SOURCES`), kept with the rows (``GroupedRows
.prior_sources``), written into map and summaries files, and shown in run reports.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Annotated

import numpy as np
from pydantic import AfterValidator

from cosmossl.errors import DataError, PriorWarning

#: The sources of a prior, and how reports say them.
PRIOR_SOURCES: dict[str, str] = {
    "stated": "stated (the dataset's table, or the simulator's own prior)",
    "file": "recorded in the map file",
    "data": "the data's min–max (no prior stated)",
}
#: Parameter values within this fraction of the box's scale of an edge count as inside (values
#: stored as float32 may round just past a bound written in decimal).
_EDGE_TOLERANCE = 1e-6


def _check_box(box: tuple[float, float]) -> tuple[float, float]:
    low, high = box
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"a prior needs finite bounds, got [{low}, {high}]")
    if not low < high:
        raise ValueError(f"a prior's low bound must be below its high bound, got [{low}, {high}]")
    return box


#: A box prior ``[low, high]`` as a parameter of a dataset's ``Params`` (finite, low < high),
#: e.g. ``priors: dict[str, PriorBox]``.
PriorBox = Annotated[tuple[float, float], AfterValidator(_check_box)]


def resolve_priors(
    params: np.ndarray,
    names: Sequence[str],
    stated: Mapping[str, Sequence[float]] | None,
    *,
    where: str,
    recorded: Mapping[str, Sequence[float]] | None = None,
) -> tuple[dict[str, tuple[float, float]], dict[str, str]]:
    """The prior box of each parameter and its source: ``({name: (low, high)}, {name: source})``.

    ``params`` ``[N, P]`` are the parameter rows as the user's file holds them (row ``i`` is
    the user's row ``i``, counted from 0); ``where`` names that file in messages
    (``"'params.txt'"``).
    Each parameter takes, in order: its ``stated`` prior, the prior ``recorded`` in the file, or
    the data's min–max — the last with one :class:`~cosmossl.errors.PriorWarning` naming every
    such parameter and the range used. A parameter with one value in every row gets no prior
    (there is no box to take): inference then stops and asks for one.

    Raises :class:`~cosmossl.DataError` for a stated prior of an unknown parameter, and for a
    row outside a stated or recorded prior (naming the row, the parameter and its value).
    """
    names = tuple(names)
    stated = {str(k): (float(v[0]), float(v[1])) for k, v in (stated or {}).items()}
    recorded = {str(k): (float(v[0]), float(v[1])) for k, v in (recorded or {}).items()}
    unknown = sorted(set(stated) - set(names))
    if unknown:
        raise DataError(
            f"priors given for unknown parameter(s) {', '.join(unknown)}; the parameters of "
            f"{where} are {', '.join(names)}"
        )
    params = np.asarray(params, dtype=np.float64).reshape(len(params), len(names))
    priors: dict[str, tuple[float, float]] = {}
    sources: dict[str, str] = {}
    from_data: list[str] = []
    for column, name in enumerate(names):
        values = params[:, column]
        for source, boxes in (("stated", stated), ("file", recorded)):
            if name in boxes:
                _check_rows(values, name, boxes[name], source, where)
                priors[name], sources[name] = boxes[name], source
                break
        else:
            finite = values[np.isfinite(values)]  # non-finite rows are reported by the rows
            if finite.size and finite.min() < finite.max():
                priors[name] = (float(finite.min()), float(finite.max()))
                sources[name] = "data"
            from_data.append(name)
    if from_data:
        warnings.warn(PriorWarning(_min_max_message(from_data, priors, where)), stacklevel=3)
    return priors, sources


def _check_rows(
    values: np.ndarray, name: str, box: tuple[float, float], source: str, where: str
) -> None:
    low, high = box
    slack = _EDGE_TOLERANCE * max(abs(low), abs(high), high - low)
    outside = np.flatnonzero((values < low - slack) | (values > high + slack))
    if outside.size == 0:
        return
    row = int(outside[0])
    which = "stated prior" if source == "stated" else "prior recorded in the file"
    more = ""
    if outside.size > 1:
        listed = ", ".join(str(int(r)) for r in outside[:10])
        listed += ", ..." if outside.size > 10 else ""
        more = f"; {outside.size} rows in all lie outside it ({listed})"
    raise DataError(
        f"{where} row {row} (counting from 0): {name} = {values[row]:.6g} lies outside the "
        f"{which} [{low:g}, {high:g}]{more}. Fix the rows, or state the prior the parameters "
        f"were drawn from: priors = {{ {name} = [low, high] }} in the [dataset] table"
    )


def _min_max_message(
    names: list[str], priors: Mapping[str, tuple[float, float]], where: str
) -> str:
    used = [f"{n} ∈ [{priors[n][0]:.6g}, {priors[n][1]:.6g}]" for n in names if n in priors]
    constant = [n for n in names if n not in priors]
    parts = []
    if used:
        parts.append(
            f"the prior of {', '.join(used)} is the data's min–max: no prior was stated for "
            f"{'it' if len(used) == 1 else 'them'}. It is narrower than the box the "
            "parameters were drawn from, with the extreme rows on its edges: posteriors fitted "
            "with it are distorted there"
        )
    if constant:
        parts.append(
            f"{', '.join(constant)} takes one value in every row, so no prior can be taken from "
            "the data (inference needs one)"
        )
    example = ", ".join(f"{n} = [low, high]" for n in names)
    return (
        f"{where}: {'; '.join(parts)}. State the prior in the [dataset] table: "
        f"priors = {{ {example} }}"
    )
