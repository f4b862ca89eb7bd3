"""Joint inference across Callaway–Sant'Anna fits drawn on the same sampling units: ratios (the fuzzy / Wald DiD),
differences and equality tests, from the fits' influence functions.

Every function works on **influence functions summed by sampling cluster** (:func:`simple_influence`): a
``pd.Series`` indexed by the cluster id (the unit id when a fit is not clustered), scaled so that the variance of the
estimate is Σ_c ψ_c². Two fits on the same units (or on units nested in the same clusters: patients' cells within
GPs, the GPs themselves) then have covariance Σ_c ψ_c ψ'_c, a cluster absent from one fit counting 0
(:func:`stack`). This is the delta method with the estimators' joint asymptotic linearity; no refit, no bootstrap.

- :func:`simple_influence` — the simple ATT of a :class:`~evalkit.estimators.CSResult` and its influence function,
  through the engine's public :meth:`~evalkit.estimators.CSResult.influence`;
- :func:`wald_did` — the fuzzy DiD of de Chaisemartin & D'Haultfœuille (2018, *Review of Economic Studies*): the
  ITT divided by the first stage (the DiD of the treatment take-up), with its delta-method SE;
- :func:`ratio`, :func:`difference` — the same algebra on any pair of estimates;
- :func:`equality_test` — Wald test that k estimates are equal (χ² with k − 1 degrees of freedom).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .base import Estimate
from .staggered import CSResult


def simple_influence(cs: CSResult) -> tuple[float, pd.Series]:
    """The simple ATT of ``cs`` (post-treatment ATT(g,t), cohort-size weights, as ``cs.simple``) and its influence
    function including the estimated weights, summed by cluster: index = cluster id (``cs.settings['cluster']``
    values) or unit id when the fit is not clustered. ``(ψ ** 2).sum()`` is the variance of ``cs.simple``."""
    gt = cs.influence()
    anticipation = int(cs.settings.get("anticipation") or 0)
    keep = np.flatnonzero(gt.t >= gt.g - anticipation)
    if len(keep) == 0:
        raise ValueError("simple_influence: no post-treatment ATT(g,t)")
    value, psi = gt.weighted(keep)
    ids = gt.unit_ids if gt.cluster_ids is None else gt.cluster_ids
    s = pd.Series(psi, index=pd.Index(ids)).groupby(level=0, sort=True).sum()
    return float(value), s


def stack(psis: Mapping[str, pd.Series] | Sequence[pd.Series]) -> pd.DataFrame:
    """Influence functions aligned on their cluster ids (columns = the keys, 0 where a cluster is absent)."""
    if not isinstance(psis, Mapping):
        psis = dict(enumerate(psis))
    return pd.concat(dict(psis), axis=1, sort=True).fillna(0.0)


def covariance(psi: pd.DataFrame) -> np.ndarray:
    """k × k covariance Σ_c ψ_c ψ_c' of the columns of a :func:`stack`."""
    a = psi.to_numpy(float)
    return a.T @ a


def ratio(num: float, psi_num: pd.Series, den: float, psi_den: pd.Series, scale: float = 1.0
          ) -> tuple[float, pd.Series]:
    """θ = scale · num / den and its influence function scale · (ψ_num − (num / den) ψ_den) / den (delta method)."""
    if not np.isfinite(den) or den == 0:
        raise ValueError("ratio: the denominator is zero or not finite")
    s = stack([psi_num, psi_den])
    return float(scale * num / den), scale * (s[0] - (num / den) * s[1]) / den


def difference(a: float, psi_a: pd.Series, b: float, psi_b: pd.Series) -> tuple[float, pd.Series]:
    """a − b and its influence function ψ_a − ψ_b (aligned on cluster ids)."""
    s = stack([psi_a, psi_b])
    return float(a - b), s[0] - s[1]


def estimate(value: float, psi: pd.Series, estimator: str, **kw) -> Estimate:
    """An :class:`Estimate` (normal CI and p-value) whose SE is √Σ_c ψ_c²."""
    return Estimate.from_se(estimator, value, float(np.sqrt(np.sum(np.square(psi.to_numpy(float))))), **kw)


@dataclass(frozen=True)
class WaldDiD:
    """Fuzzy (Wald) DiD: ``estimate`` = ITT ÷ first stage × ``scale`` (an :class:`Estimate`), the two ingredients and
    the influence function of the ratio (index = cluster ids) for joint tests with other estimates."""

    estimate: Estimate
    itt: float
    first_stage: float
    influence: pd.Series = field(repr=False)


def wald_did(itt: CSResult | tuple[float, pd.Series], first_stage: CSResult | tuple[float, pd.Series], *,
             scale: float = 1.0, estimator: str = "wald_did") -> WaldDiD:
    """The Wald DiD of de Chaisemartin & D'Haultfœuille (2018): the DiD of the outcome (ITT) divided by the DiD of the
    treatment take-up (first stage), both Callaway–Sant'Anna simple ATTs on the **same sample** (same units, weights,
    comparison group), SE by the delta method on their joint influence functions.

    Under parallel trends for the outcome and the take-up, and if the reform changes the outcome only through the
    take-up (no effect on units or patients not taken up), it is the average effect on those taken up because of the
    reform. ``scale``: e.g. 100 when the take-up is in percent and the effect is wanted per unit taken up.
    ``itt`` / ``first_stage``: fitted results, or ``(value, ψ)`` pairs from :func:`simple_influence`.
    """
    a, psi_a = simple_influence(itt) if isinstance(itt, CSResult) else itt
    b, psi_b = simple_influence(first_stage) if isinstance(first_stage, CSResult) else first_stage
    n_units = itt.n_units if isinstance(itt, CSResult) else None
    value, psi = ratio(a, psi_a, b, psi_b, scale)
    return WaldDiD(estimate(value, psi, estimator, n_units=n_units), a, b, psi)


def equality_test(values: Sequence[float], psi: pd.DataFrame) -> tuple[float, int, float]:
    """Wald test that the k ``values`` are equal: (W, k − 1, p-value against χ²(k − 1)).

    ``psi``: their influence functions, one column per value in the same order (:func:`stack`). W = (Dθ)'(DVD')⁻¹(Dθ)
    with D the k − 1 successive differences and V = :func:`covariance`. NaN when V is singular or k < 2.
    """
    v = np.asarray(values, dtype=float)
    k = len(v)
    if k < 2 or psi.shape[1] != k:
        return float("nan"), max(k - 1, 0), float("nan")
    d = np.diff(np.eye(k), axis=0)
    vd = d @ covariance(psi) @ d.T
    if not np.all(np.isfinite(vd)) or np.linalg.cond(vd) > 1 / np.finfo(float).eps:
        return float("nan"), k - 1, float("nan")
    diff = d @ v
    w = float(diff @ np.linalg.solve(vd, diff))
    return w, k - 1, float(stats.chi2.sf(w, k - 1))


__all__ = ["WaldDiD", "covariance", "difference", "equality_test", "estimate", "ratio", "simple_influence", "stack",
           "wald_did"]
