"""Seeded staggered-adoption panels with known effects, and the truths the estimators should recover.

Model (one row per unit and year)::

    y_it = a_i + l_t + x_trend · x_i · (t − t_0) + tau_it + e_it,
    tau_it = 1{t ≥ g_i} · (tau + shift_g + growth · (t − g_i)),
    a_i = N(0, sigma_unit²) + level_gap · 1{unit ever treated} + x_level · x_i.

``g_i`` is the unit's first treated year (cohort; NaN = never treated). Options:

- **selection on levels**: treated units start ``level_gap`` higher, and/or a baseline covariate ``x`` raises both the
  level (``x_level``) and the probability of treatment (units are ranked by ``x`` plus noise of SD
  ``selection_noise``; the first ones form the cohorts). Trends stay parallel: a DiD is unbiased, a comparison of
  levels is not;
- **conditional parallel trends**: ``x`` also shifts the trend (``x_trend``); only a DiD conditioning on ``x`` is
  unbiased;
- **heterogeneous, growing effects**: ``growth`` per year of exposure and ``shift`` by cohort — the case where the
  two-way fixed-effects (TWFE) regression is biased (Goodman-Bacon 2021; de Chaisemartin & D'Haultfœuille 2020);
- ``areas``: a categorical covariate ``area`` (urban / periurban / rural) that rises with ``x`` (for balance tables).

Used by the estimator tests (``tests/sim_panels.py`` re-exports this module), the coverage benchmark and the
« Méthodes » chapter (:mod:`evalkit.studies.methodes`). The defaults reproduce the draws the tests were written on:
new options draw their random numbers only when switched on.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

AREAS = ("urban", "periurban", "rural")


def staggered_panel(
    n_units: int = 600,
    years: range = range(2010, 2020),
    cohorts: Mapping[int, float] | None = None,
    tau: float = 2.0,
    growth: float = 0.0,
    shift: Mapping[int, float] | None = None,
    level_gap: float = 0.0,
    x_trend: float = 0.0,
    sigma_unit: float = 2.0,
    sigma: float = 1.0,
    seed: int = 0,
    random_cohorts: bool = False,
    x_level: float = 0.0,
    selection_noise: float = 2.0,
    areas: bool = False,
) -> pd.DataFrame:
    """Balanced panel: ``unit, year, cohort (NaN = never), ever, D, tau, x, y`` (+ ``area`` if ``areas``).

    Cohort sizes are fixed shares of ``n_units``, or, with ``random_cohorts``, each unit's cohort is drawn with those
    probabilities (the sampling scheme behind Callaway–Sant'Anna SEs, which account for estimated cohort shares).
    With ``x_trend`` or ``x_level`` non-zero (and fixed shares), units with a high ``x`` are more likely to be treated.
    ``tau`` holds each observation's true effect (0 when untreated).
    """
    rng = np.random.default_rng(seed)
    cohorts = dict(cohorts or {2012: 0.25, 2014: 0.25, 2016: 0.25})
    shift = dict(shift or {})
    x = rng.normal(size=n_units)
    # units with a high x are more likely to be treated (only matters when x shifts the trend or the level)
    selected_on_x = bool(x_trend) or bool(x_level)
    order = (np.argsort(-(x + rng.normal(scale=selection_noise, size=n_units))) if selected_on_x
             else rng.permutation(n_units))
    g = np.full(n_units, np.nan)
    if random_cohorts:
        labels = np.array([*cohorts, np.nan], dtype=float)
        probs = np.array([*cohorts.values(), 1 - sum(cohorts.values())])
        g = rng.choice(labels, size=n_units, p=probs)
    else:
        start = 0
        for c, share in cohorts.items():
            k = int(round(share * n_units))
            g[order[start:start + k]] = c
            start += k
    ever = ~np.isnan(g)
    a = rng.normal(0, sigma_unit, n_units) + level_gap * ever + x_level * x
    yrs = np.asarray(list(years), dtype=float)
    lam = 0.5 * (yrs - yrs[0]) + rng.normal(0, 0.3, len(yrs))
    G, T = np.meshgrid(g, yrs, indexing="ij")
    D = (~np.isnan(G)) & (T >= G)
    sh = np.vectorize(lambda c: shift.get(int(c), 0.0) if not np.isnan(c) else 0.0)(G)
    eff = np.where(D, tau + sh + growth * (T - np.nan_to_num(G)), 0.0)
    y = a[:, None] + lam[None, :] + x_trend * x[:, None] * (T - yrs[0]) + eff + rng.normal(0, sigma, G.shape)
    n_t = len(yrs)
    out = pd.DataFrame(
        {
            "unit": np.repeat(np.arange(n_units), n_t),
            "year": np.tile(yrs.astype(int), n_units),
            "cohort": np.repeat(g, n_t),
            "ever": np.repeat(ever.astype(int), n_t),
            "D": D.ravel().astype(int),
            "tau": eff.ravel(),
            "x": np.repeat(x, n_t),
            "y": y.ravel(),
        }
    )
    if areas:
        # drawn last, so that the other columns do not depend on this option: rural areas for high x
        u = x + rng.normal(0, 1.0, n_units)
        cuts = np.quantile(u, [0.5, 0.8])
        area = np.array(AREAS, dtype=object)[np.searchsorted(cuts, u)]
        out["area"] = np.repeat(area, n_t)
    return out


def truth_simple(df: pd.DataFrame) -> float:
    """ATT averaged over treated post-treatment observations (= R's cohort-size weighted simple aggregate)."""
    return float(df.loc[df.D == 1, "tau"].mean())


def truth_by_event_time(df: pd.DataFrame) -> pd.Series:
    """True ATT at each event time e >= 0 (cohort-size weighted across cohorts observed at e)."""
    d = df[df.D == 1]
    return d.groupby(d.year - d.cohort)["tau"].mean()


def truth_dynamic(df: pd.DataFrame) -> float:
    """Mean of the event-time ATTs over e >= 0."""
    return float(truth_by_event_time(df).mean())


def truth_group(df: pd.DataFrame) -> float:
    """Cohort-size weighted mean of each cohort's average post-treatment ATT."""
    d = df[df.D == 1]
    by = d.groupby("cohort")["tau"].mean()
    size = df.drop_duplicates("unit").groupby("cohort").size()
    return float((by * size).sum() / size.sum())


def truth_by_year(df: pd.DataFrame) -> pd.Series:
    """True ATT of the units treated in each year."""
    d = df[df.D == 1]
    return d.groupby("year")["tau"].mean()


def truth_calendar(df: pd.DataFrame) -> float:
    """Mean over years of the ATT of the units treated that year."""
    return float(truth_by_year(df).mean())


def twfe_weights(df: pd.DataFrame) -> pd.DataFrame:
    """Weights TWFE puts on each treated (cohort, year) cell's effect (de Chaisemartin & D'Haultfœuille 2020).

    On a balanced panel the TWFE coefficient converges to Σ w_gt · ATT(g,t) over treated cells, with
    w_gt ∝ n_gt · D̃_gt, D̃ = D net of unit and year means. The weights sum to one and depend on the adoption dates
    only; some are negative (early cohorts in late years). Columns: ``cohort, year, event_time, n_obs, weight, tau``
    (``tau`` = the cell's mean true effect).
    """
    D = df["D"].astype(float)
    Dt = D - D.groupby(df.unit).transform("mean") - D.groupby(df.year).transform("mean") + D.mean()
    d = df.assign(_dt=Dt)[D == 1]
    cell = d.groupby(["cohort", "year"]).agg(n_obs=("_dt", "size"), _dt=("_dt", "sum"), tau=("tau", "mean"))
    cell["weight"] = cell["_dt"] / float((Dt * D).sum())
    cell = cell.reset_index()
    cell["event_time"] = (cell["year"] - cell["cohort"]).astype(int)
    cell["cohort"] = cell["cohort"].astype(int)
    return cell[["cohort", "year", "event_time", "n_obs", "weight", "tau"]]


def twfe_implied(df: pd.DataFrame) -> float:
    """What TWFE converges to on this design: Σ D̃·tau / Σ D̃·D, D̃ = D net of unit and year means (balanced panel).

    The weights D̃ are fixed by the adoption dates alone (de Chaisemartin & D'Haultfœuille 2020); some are negative
    for early cohorts in late years, which is how growing effects bias TWFE downwards.
    """
    D = df["D"].astype(float)
    Dt = D - D.groupby(df.unit).transform("mean") - D.groupby(df.year).transform("mean") + D.mean()
    return float((Dt * df["tau"]).sum() / (Dt * D).sum())


__all__ = [
    "AREAS",
    "staggered_panel",
    "truth_by_event_time",
    "truth_by_year",
    "truth_calendar",
    "truth_dynamic",
    "truth_group",
    "truth_simple",
    "twfe_implied",
    "twfe_weights",
]
