"""Matching before DiD, as in the Irdes studies: propensity score (nearest neighbour on the logit, with a caliper) or
coarsened exact matching (CEM), and the balance table (standardised mean differences before/after).

Input: one row per unit at baseline. Output: the matched units with weights (treated 1; controls weighted so that
they stand for the treated), to pass to a weighted DiD or to restrict the panel to matched units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from ..disclosure import suppress


@dataclass
class MatchResult:
    """Matched sample.

    Attributes
    ----------
    method : str
        ``"propensity_score"`` or ``"cem"``.
    weights : Series
        One weight per row of the input (same index): 1 for matched treated, the matching weight for controls, 0 for
        unmatched units. Pass it to :func:`balance_table`.
    matched : DataFrame
        Matched units only: ``unit`` (id), ``treated``, ``weight`` and ``pscore`` or ``stratum``.
    n_treated, n_treated_matched, n_control, n_control_matched : int
    notes : list of str
    """

    method: str
    weights: pd.Series
    matched: pd.DataFrame
    n_treated: int
    n_treated_matched: int
    n_control: int
    n_control_matched: int
    notes: list[str] = field(default_factory=list)

    @property
    def unit_ids(self) -> np.ndarray:
        """Ids of the matched units (treated and controls)."""
        return self.matched["unit"].to_numpy()

    def table(self) -> pd.DataFrame:
        """Units per arm before and after matching (counts below 11 suppressed)."""
        t = pd.DataFrame(
            {"arm": ["treated", "control"], "before": [self.n_treated, self.n_control],
             "after": [self.n_treated_matched, self.n_control_matched]}
        )
        return suppress(t, ["before", "after"])

    summary = table


def _ids(df: pd.DataFrame, unit: str | None) -> pd.Series:
    return df[unit] if unit else pd.Series(df.index, index=df.index)


def _design(df: pd.DataFrame, covariates: Sequence[str]) -> pd.DataFrame:
    """Numeric design matrix: categorical covariates one-hot encoded (first level dropped)."""
    return pd.get_dummies(df[list(covariates)], drop_first=True, dtype=float)


def propensity_score(df: pd.DataFrame, treated: str, covariates: Sequence[str]) -> pd.Series:
    """Logistic propensity score P(treated = 1 | covariates), unpenalised, via scikit-learn."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = _design(df, covariates)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=np.inf, max_iter=5000))
    model.fit(x.to_numpy(), df[treated].astype(int).to_numpy())
    return pd.Series(model.predict_proba(x.to_numpy())[:, 1], index=df.index, name="pscore")


def match_ps(
    df_baseline: pd.DataFrame,
    treated: str,
    covariates: Sequence[str],
    caliper: float | None = 0.2,
    ratio: int = 1,
    seed: int = 0,
    unit: str | None = None,
    replace: bool = False,
) -> MatchResult:
    """Nearest-neighbour matching on the logit of a logistic propensity score.

    Parameters
    ----------
    df_baseline : DataFrame
        One row per unit (baseline characteristics); rows with missing covariates are not matched.
    treated : str
        0/1 column.
    covariates : list of str
        Numeric or categorical columns (categorical ones are one-hot encoded).
    caliper : float or None
        Maximum distance, in standard deviations of the logit of the score (Austin 2011: 0.2). None = no caliper.
    ratio : int
        Controls per treated unit (k:1).
    seed : int
        Order in which treated units are matched (greedy matching without replacement depends on it).
    unit : str, optional
        Unit id column (default: the index).
    replace : bool
        Match with replacement (a control may serve several treated units).

    Returns
    -------
    MatchResult
        Control weights: each treated unit's matched controls share a weight of 1 (1/k each), summed over the
        treated units a control serves.
    """
    d = df_baseline.dropna(subset=[treated, *covariates])
    ps = propensity_score(d, treated, covariates).clip(1e-12, 1 - 1e-12)
    lg = np.log(ps / (1 - ps)).to_numpy()
    is_t = d[treated].astype(bool).to_numpy()
    width = np.inf if caliper is None else caliper * lg.std(ddof=1)
    t_idx, c_idx = np.flatnonzero(is_t), np.flatnonzero(~is_t)
    rng = np.random.default_rng(seed)
    w = np.zeros(len(d))
    available = np.ones(len(c_idx), bool)
    n_t_matched = 0
    for i in rng.permutation(t_idx):
        dist = np.abs(lg[c_idx] - lg[i])
        dist[~available] = np.inf
        k = min(ratio, int(np.sum(dist <= width)))
        if k == 0:
            continue
        best = np.argpartition(dist, k - 1)[:k] if k < len(dist) else np.arange(len(dist))
        best = best[dist[best] <= width][:k]
        w[i] = 1.0
        w[c_idx[best]] += 1.0 / len(best)
        n_t_matched += 1
        if not replace:
            available[best] = False
    notes = []
    if n_t_matched < len(t_idx):
        notes.append(f"{len(t_idx) - n_t_matched} treated units without a control within the caliper were dropped")
    weights = pd.Series(0.0, index=df_baseline.index, name="weight")
    weights.loc[d.index] = w
    matched = pd.DataFrame(
        {"unit": _ids(d, unit).to_numpy(), "treated": is_t.astype(int), "weight": w, "pscore": ps.to_numpy()}
    )[w > 0].reset_index(drop=True)
    return MatchResult(
        "propensity_score", weights, matched, int(is_t.sum()), n_t_matched, int((~is_t).sum()),
        int(np.sum(w[c_idx] > 0)), notes,
    )


def coarsen_column(s: pd.Series, how: int | Sequence[float] | str) -> pd.Series:
    """Coarsen one covariate: ``"categorical"`` keeps values, an int gives equal-width bins, a list gives cutpoints."""
    if isinstance(how, str):
        if how != "categorical":
            raise ValueError(f"coarsening {how!r}: use 'categorical', a number of bins or a list of cutpoints")
        return s.astype(str).where(s.notna())
    return pd.cut(s, bins=how, include_lowest=True).astype(str).where(s.notna())


def match_cem(
    df_baseline: pd.DataFrame,
    treated: str,
    coarsen: Mapping[str, int | Sequence[float] | str],
    unit: str | None = None,
) -> MatchResult:
    """Coarsened exact matching (Iacus, King & Porro 2012) with CEM weights.

    Units are grouped into strata by their coarsened covariates; strata without both a treated unit and a control are
    dropped. Weights: 1 for treated units, ``(n_T^s / n_C^s) · (N_C / N_T)`` for controls of stratum s (N = matched
    totals), so that weighted controls reproduce the treated distribution over strata.

    Parameters
    ----------
    df_baseline : DataFrame
        One row per unit.
    treated : str
        0/1 column.
    coarsen : dict
        ``{column: "categorical" | number of equal-width bins | list of cutpoints}``.
    unit : str, optional
        Unit id column (default: the index).
    """
    cols = list(coarsen)
    d = df_baseline.dropna(subset=[treated, *cols])
    strata = pd.concat({c: coarsen_column(d[c], coarsen[c]) for c in cols}, axis=1).astype(str).agg("|".join, axis=1)
    is_t = d[treated].astype(bool)
    n_t = is_t.groupby(strata).sum()
    n_c = (~is_t).groupby(strata).sum()
    ok = n_t.index[(n_t > 0) & (n_c > 0)]
    keep = strata.isin(ok)
    nt_m, nc_m = int((is_t & keep).sum()), int((~is_t & keep).sum())
    w_c = (n_t / n_c.replace(0, np.nan)) * (nc_m / max(nt_m, 1))
    w = np.where(~keep, 0.0, np.where(is_t, 1.0, strata.map(w_c).to_numpy(float)))
    notes = [f"{len(ok)} of {strata.nunique()} strata hold both treated and control units"]
    if nt_m < is_t.sum():
        notes.append(f"{int(is_t.sum()) - nt_m} treated units in strata without a control were dropped")
    weights = pd.Series(0.0, index=df_baseline.index, name="weight")
    weights.loc[d.index] = w
    matched = pd.DataFrame(
        {"unit": _ids(d, unit).to_numpy(), "treated": is_t.astype(int).to_numpy(), "weight": w,
         "stratum": strata.to_numpy()}
    )[w > 0].reset_index(drop=True)
    return MatchResult("cem", weights, matched, int(is_t.sum()), nt_m, int((~is_t).sum()), nc_m, notes)


def _rows(df: pd.DataFrame, covariates: Sequence[str]) -> list[tuple[str, pd.Series]]:
    """(label, numeric column) per numeric covariate and per level of each categorical covariate."""
    out = []
    for c in covariates:
        s = df[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            out.append((c, s.astype(float)))
        else:
            for level in sorted(s.dropna().unique(), key=str):
                out.append((f"{c}={level}", (s == level).astype(float).where(s.notna())))
    return out


def _wmean(x: pd.Series, w: pd.Series) -> float:
    ok = x.notna() & (w > 0)
    return float(np.average(x[ok], weights=w[ok])) if ok.any() else float("nan")


def balance_table(
    df_baseline: pd.DataFrame,
    treated: str,
    covariates: Sequence[str],
    weights: pd.Series | np.ndarray | None = None,
) -> pd.DataFrame:
    """Standardised mean differences before (and after) matching, counts per arm suppressed below 11.

    One row per numeric covariate and per level of a categorical covariate. SMD = (mean_T − mean_C) /
    √((var_T + var_C) / 2), the denominator always from the unmatched sample so that before/after differ only by the
    means. Counts (``n_*``) are units with a non-missing value (numeric) or in the level (categorical); after
    matching, units with a positive weight. Rows with a count below 11 show « < 11 » in the counts, means and SMDs.
    """
    t = df_baseline[treated].astype(bool)
    w = None if weights is None else pd.Series(np.asarray(weights, float), index=df_baseline.index)
    recs = []
    for label, x in _rows(df_baseline, covariates):
        xt, xc = x[t], x[~t]
        sd = np.sqrt((xt.var(ddof=1) + xc.var(ddof=1)) / 2)
        rec = {
            "variable": label,
            "n_treated": int(xt.notna().sum() if "=" not in label else xt.sum()),
            "n_control": int(xc.notna().sum() if "=" not in label else xc.sum()),
            "mean_treated": float(xt.mean()),
            "mean_control": float(xc.mean()),
        }
        rec["smd_before"] = (rec["mean_treated"] - rec["mean_control"]) / sd if sd > 0 else 0.0
        if w is not None:
            on = w > 0
            sel_t, sel_c = (on & t & x.notna()), (on & ~t & x.notna())
            if "=" in label:
                sel_t, sel_c = sel_t & (x == 1), sel_c & (x == 1)
            rec["n_treated_matched"], rec["n_control_matched"] = int(sel_t.sum()), int(sel_c.sum())
            rec["mean_treated_matched"] = _wmean(xt, w[t])
            rec["mean_control_matched"] = _wmean(xc, w[~t])
            rec["smd_after"] = (
                (rec["mean_treated_matched"] - rec["mean_control_matched"]) / sd if sd > 0 else 0.0
            )
        recs.append(rec)
    table = pd.DataFrame(recs)
    counts = [c for c in table.columns if c.startswith("n_")]
    dependent = [c for c in table.columns if c.startswith(("mean_", "smd_"))]
    return suppress(table, counts, dependent)
