"""Statistical disclosure control: no published count of GPs or patients below 11 (SNDS rule).

Every table a chapter shows goes through :func:`suppress`; the results table refuses rows on fewer than 11 units
(:func:`evalkit.results.record`).
"""

from __future__ import annotations

from typing import Iterable

import numpy as np
import pandas as pd

MIN_CELL = 11
MARK = "< 11"  # what a suppressed cell shows


def is_small(n) -> bool:
    """True when a count must not be published (0 < n < 11 is small; 0 is not disclosive but is kept small too)."""
    return n is not None and not pd.isna(n) and n < MIN_CELL


def suppress(
    table: pd.DataFrame,
    count_columns: Iterable[str],
    dependent_columns: Iterable[str] = (),
    mark: str = MARK,
) -> pd.DataFrame:
    """Return a copy of ``table`` with counts below 11 replaced by ``mark``.

    ``count_columns`` hold counts of GPs or patients. ``dependent_columns`` hold statistics computed on those counts
    (means, rates): in a row where any count is small they are blanked too (``mark``), since a mean over 3 GPs is as
    disclosive as the count. The returned columns are of object dtype where something was suppressed.
    """
    out = table.copy()
    count_columns = list(count_columns)
    dependent_columns = list(dependent_columns)
    missing = [c for c in count_columns + dependent_columns if c not in out.columns]
    if missing:
        raise KeyError(f"suppress: columns not in table: {missing}")
    small_row = np.zeros(len(out), dtype=bool)
    for c in count_columns:
        vals = pd.to_numeric(out[c], errors="coerce")
        small = (vals < MIN_CELL).fillna(False).to_numpy()
        small_row |= small
        if small.any():
            out[c] = out[c].astype(object)
            out.loc[small, c] = mark
    if small_row.any():
        for c in dependent_columns:
            out[c] = out[c].astype(object)
            out.loc[small_row, c] = mark
    out.attrs["suppressed_cells"] = int(small_row.sum())
    return out


def n_suppressed(table: pd.DataFrame) -> int:
    """How many rows :func:`suppress` marked (0 if the table was not suppressed)."""
    return int(table.attrs.get("suppressed_cells", 0))


def assert_no_small_counts(table: pd.DataFrame, count_columns: Iterable[str]) -> None:
    """Raise if a published table still shows a count below 11."""
    for c in count_columns:
        vals = pd.to_numeric(table[c], errors="coerce")
        bad = vals < MIN_CELL
        if bad.any():
            raise AssertionError(f"column {c!r} shows {int(bad.sum())} counts below {MIN_CELL}")
