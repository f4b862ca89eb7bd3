"""Adjusted p-values for a family of tests: Bonferroni, Holm, and Romano–Wolf by multiplier bootstrap.

Romano & Wolf (2005, *Econometrica*; 2016, *Statistics & Probability Letters*) step-down: the studentised statistics
are ordered from the largest; the adjusted p-value of the j-th is the bootstrap probability that the largest
studentised statistic among those not yet rejected exceeds it, made monotone. The bootstrap draws here are
multiplier draws on the estimates' joint influence functions (Rademacher weights, one per sampling cluster, as R
``did::mboot``): no refit, and the dependence between estimates fitted on the same units is kept. All three control
the family-wise error rate; Romano–Wolf is the least conservative when the estimates are correlated.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd


def bonferroni(p: Sequence[float]) -> np.ndarray:
    """min(1, m · p) for each of the m p-values (NaN stays NaN and does not count in m)."""
    p = np.asarray(p, dtype=float)
    m = int(np.isfinite(p).sum())
    return np.minimum(1.0, p * m)


def holm(p: Sequence[float]) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values: for the i-th smallest, max_{j ≤ i} min(1, (m − j + 1) p_(j)).
    NaN stays NaN and does not count in m."""
    p = np.asarray(p, dtype=float)
    out = np.full(len(p), np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    m = len(ok)
    if m == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    adj = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(adj)
    return out


def romano_wolf(estimates: Sequence[float], psi: np.ndarray | pd.DataFrame, *, draws: int = 4999,
                seed: int | None = 0, null: Sequence[float] | float = 0.0) -> np.ndarray:
    """Romano–Wolf step-down adjusted p-values (two-sided) of H_k: θ_k = ``null``.

    ``psi``: n_clusters × k influence functions of the k estimates, aligned on the same clusters (0 where a cluster is
    absent from a fit; :func:`evalkit.estimators.joint.stack`), scaled so that Var(θ_k) = Σ_c ψ_ck². Statistics
    t_k = |θ_k − null_k| / se_k; bootstrap statistics |Σ_c ξ_c ψ_ck| / se_k with Rademacher ξ_c (the null imposed by
    centring). p-values (1 + #{b: max ≥ t}) / (1 + draws). An estimate with a zero or non-finite SE gets NaN.
    """
    if seed is None:
        raise ValueError("romano_wolf: a seed is required (reproducible pages)")
    theta = np.asarray(estimates, dtype=float)
    a = np.asarray(psi, dtype=float)
    if a.ndim != 2 or a.shape[1] != len(theta):
        raise ValueError("romano_wolf: psi must be n_clusters × len(estimates)")
    k = len(theta)
    se = np.sqrt(np.sum(a**2, axis=0))
    ok = np.isfinite(theta) & np.isfinite(se) & (se > 0)
    out = np.full(k, np.nan)
    if not ok.any():
        return out
    idx = np.flatnonzero(ok)
    t = np.abs(theta[idx] - np.broadcast_to(np.asarray(null, dtype=float), theta.shape)[idx]) / se[idx]
    z = a[:, idx] / se[idx]
    order = np.argsort(-t, kind="stable")  # largest statistic first
    rng = np.random.default_rng(seed)
    exceed = np.zeros(len(idx))
    chunk = max(1, min(draws, 2_000_000 // max(len(z), 1)))
    done = 0
    while done < draws:
        b = min(chunk, draws - done)
        xi = rng.integers(0, 2, size=(b, len(z))).astype(float) * 2.0 - 1.0  # Rademacher
        boot = np.abs(xi @ z)[:, order]  # b × k', columns in decreasing order of the observed statistic
        tail_max = np.maximum.accumulate(boot[:, ::-1], axis=1)[:, ::-1]  # max over the j-th and the later ones
        exceed += (tail_max >= t[order][None, :]).sum(axis=0)
        done += b
    p = (1.0 + exceed) / (1.0 + draws)
    p = np.maximum.accumulate(p)  # step-down: never below the previous (larger statistic) one
    res = np.empty(len(idx))
    res[order] = np.minimum(p, 1.0)
    out[idx] = res
    return out


__all__ = ["bonferroni", "holm", "romano_wolf"]
