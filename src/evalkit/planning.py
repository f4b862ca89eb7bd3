"""Design inputs for a planned DiD, read off an existing panel (for ``evalkit power --data``).

- :func:`autocovariance`: the T × T covariance of one unit's outcomes across periods (balanced units), the input of
  the analytic variance of the Callaway–Sant'Anna estimator (:func:`evalkit.estimators.power.cs_variance`);
- :func:`ar1_fit`: the serial-correlation model ``y_it = a_i + l_t + e_it``, ``e_it`` a stationary AR(1) of SD σ and
  autocorrelation ρ, fitted to that covariance (the two numbers a planner passes to ``evalkit power --sigma --rho``);
- :func:`variance_components`: σ and the equicorrelation ρ of the old 2×2 formula (kept, labelled as such).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def autocovariance(df: pd.DataFrame, outcome: str, unit: str, time: str) -> pd.DataFrame:
    """Covariance of the outcome between every two periods, across units (units observed in every period only).

    ``Γ[s, t] = Cov(y_is, y_it)``, estimated with ddof = 1; rows and columns are the sorted periods. Unit effects are
    part of Γ and drop out of every difference-in-differences contrast (contrast weights sum to zero); year effects
    are removed by the centring on each period's mean.
    """
    w = df[[unit, time, outcome]].dropna().pivot_table(index=unit, columns=time, values=outcome, aggfunc="mean")
    w = w.dropna().astype(float)
    if len(w) < 3 or w.shape[1] < 2:
        raise ValueError("need at least three units observed in every period, and two periods, to estimate the "
                         "autocovariance of the outcome")
    g = np.cov(w.to_numpy().T, ddof=1)
    return pd.DataFrame(g, index=w.columns, columns=w.columns)


def variogram(gamma: pd.DataFrame | np.ndarray) -> pd.Series:
    """Mean variance of the change over k periods, ``Var(y_t+k − y_t)`` averaged over t, for k = 1 … T − 1."""
    g = np.asarray(gamma, dtype=float)
    t = len(g)
    d = np.diag(g)
    vals = [float(np.mean([d[s] + d[s + k] - 2 * g[s, s + k] for s in range(t - k)])) for k in range(1, t)]
    return pd.Series(vals, index=pd.RangeIndex(1, t, name="lag"), name="variogram")


def ar1_fit(gamma: pd.DataFrame | np.ndarray) -> dict:
    """σ and ρ of ``e_it`` in ``y_it = a_i + l_t + e_it``, ``e`` a stationary AR(1), fitted to the variogram.

    Under that model ``Var(y_t+k − y_t) = 2σ²(1 − ρ^k)`` whatever the unit effects ``a_i``: σ and ρ minimise the
    squared gaps to the empirical variogram, each lag weighted by its number of period pairs (T − k). Also returned:
    ``max_rel_gap``, the largest relative gap between fitted and empirical variogram (large when the outcome drifts —
    e.g. unit-specific trends — which the AR(1) cannot represent: use the estimated covariance itself then).
    """
    from scipy.optimize import minimize_scalar

    v = variogram(gamma)
    k = v.index.to_numpy(float)
    y = v.to_numpy()
    w = len(np.asarray(gamma)) - k
    if len(k) == 1:  # two periods: ρ is not identified, only Var(Δy) = 2σ²(1 − ρ); report ρ = 0
        return {"sigma": float(np.sqrt(y[0] / 2)), "rho": 0.0, "max_rel_gap": 0.0}

    def s2(rho: float) -> float:  # optimal σ² for a given ρ (weighted least squares, closed form)
        f = 2 * (1 - rho**k)
        return float(np.sum(w * f * y) / np.sum(w * f * f))

    def loss(rho: float) -> float:
        return float(np.sum(w * (y - s2(rho) * 2 * (1 - rho**k)) ** 2))

    rho = float(minimize_scalar(loss, bounds=(0.0, 0.999), method="bounded", options={"xatol": 1e-6}).x)
    sig2 = s2(rho)
    fit = 2 * sig2 * (1 - rho**k)
    return {"sigma": float(np.sqrt(sig2)), "rho": rho, "max_rel_gap": float(np.max(np.abs(fit - y) / y))}


def variance_components(df: pd.DataFrame, outcome: str, unit: str, time: str) -> dict:
    """σ (SD of one observation around the year means) and ρ (correlation of two years of the same unit).

    The inputs of the *equicorrelated* 2×2 formula (``power_mde(model="equicorrelated")``). ρ is the intraclass
    correlation of the year-demeaned outcome: Var(unit mean) corrected for the sampling noise of the mean over T
    years, divided by the total variance (one-way random-effects ANOVA estimator).
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
