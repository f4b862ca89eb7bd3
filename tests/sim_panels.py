"""Seeded staggered-adoption panels with known effects, and the truths the estimators should recover.

y_it = a_i + l_t + tau_it + e_it, tau_it = 1{t >= g_i} (tau + shift_g + growth * (t - g_i)).
Options: selection on levels (treated units start ``level_gap`` higher), a baseline covariate ``x`` that shifts both
the probability of treatment and the trend (``x_trend``: conditional parallel trends only).
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd


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
) -> pd.DataFrame:
    """Balanced panel: ``unit, year, cohort (NaN = never), ever, D, tau, x, y``.

    Cohort sizes are fixed shares of ``n_units``, or, with ``random_cohorts``, each unit's cohort is drawn with those
    probabilities (the sampling scheme behind Callaway–Sant'Anna SEs, which account for estimated cohort shares).
    """
    rng = np.random.default_rng(seed)
    cohorts = dict(cohorts or {2012: 0.25, 2014: 0.25, 2016: 0.25})
    shift = dict(shift or {})
    x = rng.normal(size=n_units)
    # units with a high x are more likely to be treated (only matters when x_trend != 0)
    order = np.argsort(-(x + rng.normal(scale=2.0, size=n_units))) if x_trend else rng.permutation(n_units)
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
    a = rng.normal(0, sigma_unit, n_units) + level_gap * ever
    yrs = np.asarray(list(years), dtype=float)
    lam = 0.5 * (yrs - yrs[0]) + rng.normal(0, 0.3, len(yrs))
    G, T = np.meshgrid(g, yrs, indexing="ij")
    D = (~np.isnan(G)) & (T >= G)
    sh = np.vectorize(lambda c: shift.get(int(c), 0.0) if not np.isnan(c) else 0.0)(G)
    eff = np.where(D, tau + sh + growth * (T - np.nan_to_num(G)), 0.0)
    y = a[:, None] + lam[None, :] + x_trend * x[:, None] * (T - yrs[0]) + eff + rng.normal(0, sigma, G.shape)
    n_t = len(yrs)
    return pd.DataFrame(
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


def truth_calendar(df: pd.DataFrame) -> float:
    """Mean over years of the ATT of the units treated that year."""
    d = df[df.D == 1]
    return float(d.groupby("year")["tau"].mean().mean())


def twfe_implied(df: pd.DataFrame) -> float:
    """What TWFE converges to on this design: Σ D̃·tau / Σ D̃·D, D̃ = D net of unit and year means (balanced panel).

    The weights D̃ are fixed by the adoption dates alone (de Chaisemartin & D'Haultfœuille 2020); some are negative
    for early cohorts in late years, which is how growing effects bias TWFE downwards.
    """
    D = df["D"].astype(float)
    Dt = D - D.groupby(df.unit).transform("mean") - D.groupby(df.year).transform("mean") + D.mean()
    return float((Dt * df["tau"]).sum() / (Dt * D).sum())
