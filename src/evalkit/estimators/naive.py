"""The naive cross-section: treated minus untreated mean in one year — what a press release reports.

Its estimand is *not* an ATT: it mixes the effect with every pre-existing difference between the groups (selection on
levels). Chapters show it next to the DiD estimates; the gap is the lesson.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .base import Estimate

ESTIMATOR = "naive_cross_section"


def naive_cross_section(df: pd.DataFrame, outcome: str, year: int, treated: str, time: str = "year") -> Estimate:
    """Difference of means, treated vs untreated units, in one year; Welch SE and 95 % CI.

    Parameters
    ----------
    df : DataFrame
        Long panel (or a cross-section).
    outcome : str
        Outcome column.
    year : int
        The year compared (rows with ``df[time] == year``).
    treated : str
        0/1 (or boolean) column: 1 for the units counted as treated in that year.
    time : str
        Time column (default ``"year"``).

    Returns
    -------
    Estimate
        ``estimator="naive_cross_section"``; CI from the Welch–Satterthwaite t distribution.
    """
    d = df.loc[df[time] == year, [outcome, treated]].dropna()
    if d.empty:
        raise ValueError(f"naive_cross_section: no non-missing rows for {time} == {year}")
    t = d[treated].astype(bool)
    y1, y0 = d.loc[t, outcome].to_numpy(float), d.loc[~t, outcome].to_numpy(float)
    if len(y1) < 2 or len(y0) < 2:
        raise ValueError(f"naive_cross_section: need ≥ 2 treated and ≥ 2 untreated units in {year}")
    res = stats.ttest_ind(y1, y0, equal_var=False)
    se = float(np.sqrt(y1.var(ddof=1) / len(y1) + y0.var(ddof=1) / len(y0)))
    ci = res.confidence_interval(0.95)
    return Estimate(
        ESTIMATOR,
        float(y1.mean() - y0.mean()),
        se,
        float(ci.low),
        float(ci.high),
        float(res.pvalue),
        n_units=len(d),
        n_obs=len(d),
    )
