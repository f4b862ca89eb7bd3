"""The results table (``results/estimates.csv``).

Every chapter turns its estimates into rows with :func:`make_row` (or an estimator's ``to_rows``), and records them
with :func:`record`; ``evalkit run`` gathers them with :func:`collect`; the summary pages read them back
(:mod:`evalkit.summary`). Columns, units and estimator labels: :data:`evalkit.contracts.RESULTS_SCHEMA`,
:data:`~evalkit.contracts.RESULT_UNITS`, :data:`~evalkit.contracts.ESTIMATORS`; their French descriptions are in the
evaluator's guide (:mod:`evalkit.guide`). Layout: ``docs/architecture.md``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable, Mapping

import numpy as np
import pandas as pd

from . import paths
from .disclosure import MIN_CELL

RESULT_COLUMNS = [
    "study",
    "outcome",
    "subgroup",
    "estimator",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "unit",
    "n_units",
    "n_obs",
    "headline",
    "data",
]


def make_row(
    *,
    study: str,
    outcome: str,
    estimator: str,
    estimate: float,
    std_error: float | None = None,
    ci_low: float | None = None,
    ci_high: float | None = None,
    unit: str,
    n_units: int | None = None,
    n_obs: int | None = None,
    subgroup: str = "all",
    headline: bool = False,
    data: str | None = None,
    level: float = 0.95,
) -> dict:
    """One row of the results table. Missing CI bounds are derived from the SE (normal approximation)."""
    from scipy.stats import norm

    if std_error is not None and np.isfinite(std_error) and (ci_low is None or ci_high is None):
        z = norm.ppf(0.5 + level / 2)
        ci_low, ci_high = estimate - z * std_error, estimate + z * std_error
    return {
        "study": study,
        "outcome": outcome,
        "subgroup": subgroup,
        "estimator": estimator,
        "estimate": float(estimate),
        "std_error": _f(std_error),
        "ci_low": _f(ci_low),
        "ci_high": _f(ci_high),
        "unit": unit,
        "n_units": _i(n_units),
        "n_obs": _i(n_obs),
        "headline": bool(headline),
        "data": data or paths.data_kind(),
    }


def _f(x) -> float:
    return float("nan") if x is None else float(x)


def _i(x):
    return pd.NA if x is None or (isinstance(x, float) and math.isnan(x)) else int(x)


def to_frame(rows: Iterable[Mapping] | pd.DataFrame) -> pd.DataFrame:
    """Rows → results DataFrame with the contract's columns, order and dtypes."""
    df = rows.copy() if isinstance(rows, pd.DataFrame) else pd.DataFrame(list(rows))
    missing = [c for c in RESULT_COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"result rows lack columns {missing}")
    df = df[RESULT_COLUMNS].copy()
    for c in ("estimate", "std_error", "ci_low", "ci_high"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    for c in ("n_units", "n_obs"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype("Int64")
    df["headline"] = df["headline"].astype(bool)
    return df


def check(df: pd.DataFrame) -> pd.DataFrame:
    """Validate a results table against the contract (pandera schema + headline rule); returns it."""
    from .contracts import validate_results

    return validate_results(to_frame(df))


def record(rows: Iterable[Mapping] | pd.DataFrame, chapter: str, out_dir: Path | None = None,
           tables: Mapping[str, pd.DataFrame] | None = None) -> Path:
    """Write a chapter's rows to ``<results_dir>/<chapter>.csv`` (atomically), after validation.

    Small-cell rule: rows whose ``n_units`` is below 11 are suppressed (:func:`suppress_small`), and so are the rows
    that would give them back by subtraction: a chapter passes every row, small ones included (a row it could not
    estimate on too few units is passed with its count and an empty estimate), so that this can be done here; the
    suppressed rows stay in the file, emptied and tagged. ``tables``: other
    tables the chapter publishes and other pages reuse (e.g. ``{"published": published_vs_reproduced}``), written
    beside the rows as ``<chapter>.<name>.tsv``.
    """
    from .io import write_bytes_atomic, write_csv_atomic

    df = check(suppress_small(to_frame(rows)))  # suppressed first: a small row may come without an estimate
    out = Path(out_dir) if out_dir else paths.results_dir()
    target = out / f"{chapter}.csv"
    write_csv_atomic(df, target)
    for name, table in (tables or {}).items():
        write_csv_atomic(table, out / f"{chapter}.{name}.tsv", sep="\t")
    fp = data_fingerprint(chapter)
    if fp:
        write_bytes_atomic(fp.encode(), target.with_suffix(".fingerprint"))
    return target


def data_fingerprint(study: str) -> str | None:
    """Identifies the data a study's rows were computed from: evalkit version, data kind, seed, file SHA-256."""
    from . import __version__, registry
    from .io import find_file, sha256

    if study not in registry.names():
        return None
    try:
        path = find_file(study, paths.data_dir())
    except Exception:
        return None
    if path is None:
        return None
    return f"{__version__}|{paths.data_kind()}|{paths.seed()}|{sha256(path)}"


#: Subgroup keys whose rows do not partition the units of the ``all`` row (profiles over time, sensitivity grids…):
#: no subtraction links them. Every other key (option, cohort, rurality, intensity…) is taken as a partition.
NOT_PARTITIONS = frozenset({"event_time", "mbar", "date", "year", "comparison", "e", "horizon", "m"})


def _partition_key(subgroup: str) -> str | None:
    if subgroup == "all" or "=" not in subgroup:
        return None
    key = subgroup.split("=", 1)[0]
    if key in NOT_PARTITIONS or key.endswith("event_time") or key.startswith("event_time"):
        return None
    return key


def complementary_rows(df: pd.DataFrame, small: pd.Series | np.ndarray) -> np.ndarray:
    """Rows to suppress, besides the ``small`` ones, so that no suppressed ``n_units`` comes back by subtraction.

    Rows of one study, outcome, estimator and unit whose subgroups share a partition key (``option=third``,
    ``option=half``, ``option=full``…) add up to their ``all`` row. When exactly one of them is suppressed, the
    next-smallest is suppressed too; a subgroup value suppressed somewhere in a study is suppressed in every row of
    that study (the same GPs: otherwise another outcome's row would give it back); to a fixed point.
    """
    small = np.asarray(small, dtype=bool)
    hidden = small.copy()
    if not hidden.any():
        return np.zeros(len(df), dtype=bool)
    sub = df["subgroup"].astype(str).to_numpy()
    keys = np.array([_partition_key(x) for x in sub], dtype=object)
    part = np.array([k is not None for k in keys])
    study = df["study"].astype(str).to_numpy()
    n = pd.to_numeric(df["n_units"], errors="coerce").to_numpy(dtype=float)
    fam = pd.Series(list(zip(df["study"], df["outcome"], df["estimator"], df["unit"], keys)))
    # deterministic order of the subgroup values of a study: smallest n_units anywhere in the study first
    rank = (pd.DataFrame({"study": study, "sub": sub, "n": n})[part]
            .groupby(["study", "sub"])["n"].min().fillna(np.inf))
    while True:
        before = hidden.copy()
        hid_vals = set(zip(study[hidden & part], sub[hidden & part]))
        hidden |= part & np.array([v in hid_vals for v in zip(study, sub)], dtype=bool)
        for _, idx in fam[part].groupby(fam[part]).groups.items():
            idx = np.asarray(idx)
            if len(set(sub[idx])) < 2:
                continue
            h = hidden[idx]
            if h.sum() == 1:
                shown = idx[~h]
                pick = min(shown, key=lambda i: (rank.get((study[i], sub[i]), np.inf), sub[i]))
                hidden[pick] = True
        if (hidden == before).all():
            return hidden & ~small


def suppress_small(df: pd.DataFrame) -> pd.DataFrame:
    """Blank the rows that rest on fewer than 11 units, and those that would give them back by subtraction.

    Rows stay (so a reader sees the estimate exists) but their estimate, standard error, CI and counts are emptied;
    the estimator of a row on fewer than 11 units is suffixed ``[suppressed<11]`` (:data:`SUPPRESSED_TAG`), that of
    a row emptied only to protect another (complementary suppression, :func:`complementary_rows`) is suffixed
    ``[suppressed:complement]`` (:data:`COMPLEMENT_TAG`); a warning says how many rows were suppressed.
    """
    import warnings

    small = (df["n_units"].notna() & (df["n_units"] < MIN_CELL)).to_numpy(dtype=bool)
    if not small.any():
        return df
    comp = complementary_rows(df, small)
    df = df.copy()
    for mask, tag in ((small, SUPPRESSED_TAG), (comp, COMPLEMENT_TAG)):
        if mask.any():
            df.loc[mask, ["estimate", "std_error", "ci_low", "ci_high"]] = np.nan
            df.loc[mask, ["n_units", "n_obs"]] = pd.NA
            df.loc[mask, "estimator"] = df.loc[mask, "estimator"] + tag
    msg = (f"{int(small.sum())} result rows rest on fewer than {MIN_CELL} units and were suppressed (statistical "
           "disclosure rule)")
    if comp.any():
        msg += f"; {int(comp.sum())} more rows were suppressed so that they cannot be recovered by subtraction"
    warnings.warn(msg, UserWarning, stacklevel=3)
    return df


SUPPRESSED_TAG = "[suppressed<11]"
COMPLEMENT_TAG = "[suppressed:complement]"


def collect(results_dir: Path) -> pd.DataFrame:
    """Concatenate every chapter's recorded rows into one validated results table."""
    files = sorted(Path(results_dir).glob("*.csv"))
    if not files:
        return to_frame(pd.DataFrame(columns=RESULT_COLUMNS))
    df = pd.concat([pd.read_csv(f, dtype={"subgroup": str}) for f in files], ignore_index=True)
    return check(df)


def headline(df: pd.DataFrame, study: str, outcome: str, unit: str) -> pd.Series:
    """The headline row of a results table for (study, outcome, unit)."""
    sel = df[(df.study == study) & (df.outcome == outcome) & (df.unit == unit) & df.headline]
    if len(sel) != 1:
        raise KeyError(f"no unique headline row for {study}/{outcome}/{unit} (found {len(sel)})")
    return sel.iloc[0]
