"""Design inputs for a planned DiD, read off an existing panel (for ``evalkit power --data``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def variance_components(df: pd.DataFrame, outcome: str, unit: str, time: str) -> dict:
    """σ (SD of one observation around the year means) and ρ (correlation of two years of the same unit).

    ρ is the intraclass correlation of the year-demeaned outcome: Var(unit mean) corrected for the sampling noise of
    the mean over T years, divided by the total variance (one-way random-effects ANOVA estimator).
    """
    d = df[[unit, time, outcome]].dropna()
    if d[unit].nunique() < 2 or d[time].nunique() < 2:
        raise ValueError("need at least two units and two periods to estimate σ and ρ")
    resid = d[outcome].astype(float) - d.groupby(time)[outcome].transform("mean").astype(float)
    g = resid.groupby(d[unit])
    n_i = g.size()
    t_bar = float(n_i.mean())
    within = float(((resid - g.transform("mean")) ** 2).sum() / max(len(resid) - len(n_i), 1))
    between = float(g.mean().var(ddof=1))
    var_u = max(between - within / t_bar, 0.0)
    total = var_u + within
    return {"sigma": float(np.sqrt(total)), "rho": float(var_u / total) if total > 0 else 0.0,
            "n_units": int(len(n_i)), "n_periods": int(d[time].nunique())}
