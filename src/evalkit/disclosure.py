"""Statistical disclosure control: no published count of GPs or patients below 11 (SNDS rule).

Every table a chapter shows goes through :func:`suppress` (or :func:`suppress_margins` when it has totals or
margins: complementary suppression, so that no hidden count comes back by subtraction); the results table empties and
tags rows on fewer than 11 units and the rows that would give them back (:func:`evalkit.results.record`); counts in
prose go through :func:`count_fr` (« moins de 11 »).
"""

from __future__ import annotations

from typing import Iterable, Mapping

import numpy as np
import pandas as pd

MIN_CELL = 11
MARK = "< 11"  # what a suppressed cell shows


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
    count_columns, dependent_columns = _columns(table, "suppress", count_columns, dependent_columns)
    return _mark(table, {c: (pd.to_numeric(table[c], errors="coerce") < MIN_CELL).fillna(False).to_numpy()
                         for c in count_columns}, dependent_columns, mark)


def _columns(table: pd.DataFrame, who: str, *columns: Iterable[str]) -> list[list[str]]:
    """The column lists, as lists; ``KeyError`` naming those not in ``table``."""
    columns = [list(c) for c in columns]
    missing = [c for cols in columns for c in cols if c not in table.columns]
    if missing:
        raise KeyError(f"{who}: columns not in table: {missing}")
    return columns


def _mark(table: pd.DataFrame, hidden: Mapping[str, np.ndarray], dependent_columns: list[str],
          mark: str) -> pd.DataFrame:
    """A copy of ``table`` with the ``hidden`` cells of each count column (boolean row masks) replaced by ``mark``,
    and ``dependent_columns`` too in every row where a count is hidden; ``attrs["suppressed_cells"]``: those rows."""
    out = table.copy()
    hidden_row = np.zeros(len(table), dtype=bool)
    for c, rows in hidden.items():
        hidden_row |= rows
        if rows.any():
            out[c] = out[c].astype(object)
            out.loc[rows, c] = mark
    if hidden_row.any():
        for c in dependent_columns:
            out[c] = out[c].astype(object)
            out.loc[hidden_row, c] = mark
    out.attrs["suppressed_cells"] = int(hidden_row.sum())
    return out


# --- counts in prose ------------------------------------------------------------------------------------------------

SMALL_FR = f"moins de {MIN_CELL}"


def count_fr(n) -> str:
    """A count for French prose: « moins de 11 » when 0 < n < 11, else the number in French format (« 1 234 »).

    Every count a page prints in a sentence (GPs set aside, patients of a cohort…) goes through this function, so
    that prose never publishes what tables suppress. ``None``/NaN gives « n.d. ».
    """
    if n is None or (isinstance(n, float) and not np.isfinite(n)) or pd.isna(n):
        return "n.d."
    if float(n) != int(n):
        raise ValueError(f"count_fr: {n!r} is not a whole number")
    n = int(n)
    if 0 < n < MIN_CELL:
        return SMALL_FR
    from .fr import fmt_int

    return fmt_int(n)


# --- complementary (secondary) suppression ----------------------------------------------------------------------------

Cell = tuple  # (row label, column name)
Equation = tuple  # (total cell, [part cells]): total = sum(parts)


def _determined(unknown: list, equations: list[tuple[Cell, list[Cell]]], target: Cell) -> bool:
    """True when ``target`` (one of the unknown cells) is fixed by the linear ``equations`` and the known cells."""
    if not equations:
        return False
    idx = {c: i for i, c in enumerate(unknown)}
    a = np.zeros((len(equations), len(unknown)))
    for k, (total, parts) in enumerate(equations):
        if total in idx:
            a[k, idx[total]] -= 1.0
        for p in parts:
            if p in idx:
                a[k, idx[p]] += 1.0
    a = a[np.abs(a).sum(axis=1) > 0]
    if len(a) == 0:
        return False
    e = np.zeros((1, len(unknown)))
    e[0, idx[target]] = 1.0
    return np.linalg.matrix_rank(np.vstack([a, e])) == np.linalg.matrix_rank(a)


def recoverable(hidden: Iterable[Cell], equations: Iterable[Equation]) -> list[Cell]:
    """The hidden cells that the published ones determine exactly through ``equations`` (total = sum of parts).

    This is the attack complementary suppression defends against: any combination of additions and subtractions of
    shown cells and margins (a row total minus the other cells, a grand total minus other totals…) is a linear
    combination of the equations; a hidden cell is recoverable iff its indicator vector lies in their row space.
    """
    hidden = list(dict.fromkeys(hidden))
    equations = [(t, list(p)) for t, p in equations]
    relevant = [eq for eq in equations if eq[0] in hidden or any(p in hidden for p in eq[1])]
    return [c for c in hidden if _determined(hidden, relevant, c)]


def complementary_mask(values: Mapping[Cell, float], primary: Iterable[Cell],
                       equations: Iterable[Equation]) -> set:
    """Cells to hide: the ``primary`` ones plus the fewest extra cells so that no hidden cell is recoverable.

    Greedy, to a fixed point: while some hidden cell is determined by the equations, hide the smallest shown cell
    (ties: first in ``values`` order) of an equation that contains it. A cell that is itself a total is chosen only
    if no part of the equation is left to hide. Terminates since each step hides one more cell.
    """
    equations = [(t, list(p)) for t, p in equations]
    order = {c: i for i, c in enumerate(values)}
    hidden = set(primary)

    def key(c):
        v = values.get(c)
        v = np.inf if v is None or pd.isna(v) else float(v)
        return (v, order.get(c, len(order)))

    while True:
        rec = recoverable(sorted(hidden, key=key), equations)
        if not rec:
            return hidden
        candidates: list = []
        for target in rec:  # shown cells of a sum that holds a recoverable cell (parts before totals)
            for total, parts in equations:
                if target == total or target in parts:
                    shown_parts = [c for c in parts if c not in hidden]
                    candidates += shown_parts or ([total] if total not in hidden else [])
            if candidates:
                break
        if not candidates:  # determined through sums whose other cells are all hidden: widen to any linked sum
            for total, parts in equations:
                cells = [total, *parts]
                if any(c in hidden for c in cells):
                    candidates += [c for c in cells if c not in hidden]
        if not candidates:  # pragma: no cover - every cell hidden means nothing is recoverable
            raise RuntimeError(f"complementary suppression cannot protect cells {rec!r}")
        hidden.add(min(candidates, key=key))


def _find_rows(table: pd.DataFrame, spec) -> list:
    """Index labels of rows given as labels, or as ``{column: value}`` (every row matching)."""
    if spec is None:
        return []
    if isinstance(spec, Mapping):
        sel = np.ones(len(table), dtype=bool)
        for col, val in spec.items():
            sel &= (table[col] == val).to_numpy()
        return list(table.index[sel])
    if isinstance(spec, (list, tuple, set)) and not isinstance(spec, str):
        return list(spec)
    return [spec]


def suppress_margins(
    table: pd.DataFrame,
    count_columns: Iterable[str],
    *,
    total=None,
    groups: Iterable[tuple] | None = None,
    total_column: str | None = None,
    dependent_columns: Iterable[str] = (),
    mark: str = MARK,
) -> pd.DataFrame:
    """:func:`suppress` for a table with totals: small counts, and what would give them back by subtraction.

    - ``total``: the row that is the sum of all the other rows, as an index label or ``{column: value}`` (e.g.
      ``{"Option": "Ensemble"}``);
    - ``groups``: more row totals, as ``(total row, [member rows])`` pairs (sub-totals of a nested table; rows as index
      labels or ``{column: value}``);
    - ``total_column``: a count column that is the sum of the other ``count_columns`` (row margin of a 2-D table).

    A count below 11 is hidden (``mark``); then, to a fixed point, the next-smallest count of every row/column sum
    that would let a reader recompute a hidden count is hidden too (:func:`complementary_mask`). Each count column
    is its own set of equations (its rows add up); ``dependent_columns`` (means, rates) are hidden in every row where a
    count is hidden. ``attrs``: ``suppressed_cells`` (rows with something hidden, as :func:`suppress`),
    ``primary_cells`` and ``complementary_cells`` (counts hidden for being small / for protecting another).
    """
    count_columns, dependent_columns, _ = _columns(table, "suppress_margins", count_columns, dependent_columns,
                                                   [total_column] if total_column else [])
    if not table.index.is_unique:
        raise ValueError("suppress_margins: the table's index must be unique")
    if total_column and total_column not in count_columns:
        count_columns.append(total_column)
    row_groups: list[tuple[object, list]] = []
    if total is not None:
        tot = _find_rows(table, total)
        if len(tot) != 1:
            raise ValueError(f"suppress_margins: total {total!r} matches {len(tot)} rows, expected 1")
        row_groups.append((tot[0], [r for r in table.index if r != tot[0]]))
    for t, members in groups or []:
        tot = _find_rows(table, t)
        if len(tot) != 1:
            raise ValueError(f"suppress_margins: group total {t!r} matches {len(tot)} rows, expected 1")
        mem = [r for m in (members if isinstance(members, (list, tuple)) else [members])
               for r in _find_rows(table, m)]
        row_groups.append((tot[0], mem))
    values = {(r, c): pd.to_numeric(pd.Series([table.at[r, c]]), errors="coerce").iloc[0]
              for r in table.index for c in count_columns}
    primary = {cell for cell, v in values.items() if pd.notna(v) and v < MIN_CELL}
    equations: list[Equation] = [((t, c), [(m, c) for m in members])
                                 for c in count_columns for t, members in row_groups]
    if total_column:
        parts = [c for c in count_columns if c != total_column]
        equations += [((r, total_column), [(r, c) for c in parts]) for r in table.index]
    hidden = complementary_mask(values, primary, equations)
    out = _mark(table, {c: np.array([(r, c) in hidden for r in table.index], dtype=bool) for c in count_columns},
                dependent_columns, mark)
    out.attrs["primary_cells"] = len(primary)
    out.attrs["complementary_cells"] = len(hidden) - len(primary)
    return out
