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
from .base import Aggregate, Estimate, normal_ci, normal_p


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
    ps, is_t, pairs, w = _match_on_logit(d, treated, covariates, caliper, ratio, np.random.default_rng(seed), replace)
    notes = []
    if len(pairs) < is_t.sum():
        notes.append(f"{int(is_t.sum()) - len(pairs)} treated units without a control within the caliper were dropped")
    weights = pd.Series(0.0, index=df_baseline.index, name="weight")
    weights.loc[d.index] = w
    matched = pd.DataFrame(
        {"unit": _ids(d, unit).to_numpy(), "treated": is_t.astype(int), "weight": w, "pscore": ps}
    )[w > 0].reset_index(drop=True)
    return MatchResult("propensity_score", weights, matched, int(is_t.sum()), len(pairs), int((~is_t).sum()),
                       int(np.sum(w[~is_t] > 0)), notes)


def _match_on_logit(d: pd.DataFrame, treated: str, covariates: Sequence[str], caliper: float | None, ratio: int,
                    rng: np.random.Generator, replace: bool) -> tuple[np.ndarray, np.ndarray, list, np.ndarray]:
    """Propensity score of each row of ``d``, treated flags, the pairs of :func:`_nearest` on the logit of the score
    within ``caliper`` SDs of it, and the weights (1 for matched treated, each one's controls sharing a weight of 1)."""
    ps = propensity_score(d, treated, covariates).clip(1e-12, 1 - 1e-12).to_numpy()
    lg = np.log(ps / (1 - ps))
    is_t = d[treated].astype(bool).to_numpy()
    width = np.inf if caliper is None else caliper * lg.std(ddof=1)
    pairs = _nearest(lg, is_t, width, ratio, rng, replace)
    w = np.zeros(len(d))
    for i, best in pairs:
        w[i] = 1.0
        w[best] += 1.0 / len(best)
    return ps, is_t, pairs, w


def _nearest(lg: np.ndarray, is_t: np.ndarray, width: float, ratio: int, rng: np.random.Generator,
             replace: bool, available: np.ndarray | None = None) -> list[tuple[int, np.ndarray]]:
    """Greedy nearest-neighbour matching on a score: ``(treated position, positions of its controls)`` per matched
    treated unit, treated units taken in random order. Without replacement a control serves once: it is removed
    from the pool (whatever the caliper — with no caliper, distances are all finite and a used control must not be
    counted as available). ``available``: controls (by position) that may be used at all."""
    t_idx, c_idx = np.flatnonzero(is_t), np.flatnonzero(~is_t)
    free = np.ones(len(c_idx), bool) if available is None else np.asarray(available, bool)[c_idx].copy()
    out = []
    for i in rng.permutation(t_idx):
        dist = np.abs(lg[c_idx] - lg[i])
        ok = free & (dist <= width)
        k = min(ratio, int(ok.sum()))
        if k == 0:
            continue
        cand = np.flatnonzero(ok)
        best = cand[np.argsort(dist[cand], kind="stable")[:k]]
        out.append((int(i), c_idx[best]))
        if not replace:
            free[best] = False
    return out


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


# --- matching within entry cohorts, then difference-in-differences on the matched sets ---------------------------


@dataclass
class CohortMatch:
    """Matched sets built within each entry cohort at its own baseline (:func:`match_by_cohort`).

    Attributes
    ----------
    sets : DataFrame
        One row per matched control: ``set`` (id of the matched set = one treated unit), ``cohort``, ``base`` (the
        cohort's baseline period g − 1 − anticipation), ``treated`` (unit id), ``control`` (unit id), ``control_cohort``
        (NaN = never treated), ``pscore_treated``, ``pscore_control``.
    baseline : DataFrame
        The stacked baseline frames the scores were fitted on: one row per cohort × (treated unit or eligible control),
        ``cohort``, ``unit`` (id), ``treated`` (0/1), the covariates at the cohort's baseline, ``weight`` (1 for
        matched treated units, the matching weight for controls, 0 otherwise) — for :func:`balance_table`.
    match : MatchResult
        Counts as for a single matching (distinct units): treated units, matched treated, eligible and used controls.
    clusters : Series
        Cluster of each set (index = set id): sets that share a unit (a not-yet-treated control later treated, whose
        own set then shares it) are merged, so clusters are disjoint in units.
    """

    sets: pd.DataFrame
    baseline: pd.DataFrame
    match: MatchResult
    clusters: pd.Series
    covariates: list[str]
    unit: str
    time: str
    cohort: str
    anticipation: int
    notes: list[str] = field(default_factory=list)


def match_by_cohort(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str],
    caliper: float | None = 0.2,
    ratio: int = 1,
    seed: int = 0,
    anticipation: int = 0,
    keep: Sequence[str] = (),
) -> CohortMatch:
    """Propensity-score matching within each entry cohort g, at its own baseline b = g − 1 − anticipation.

    For each cohort (in increasing order), the candidates are the units not yet treated after g — never treated, or
    first treated after g — and not already used as a control by an earlier cohort (matching without replacement
    over the whole design, so that matched sets overlap only through a control that is later treated). The score
    P(cohort g | X) is a logit on the covariates' values **in year b** (time-varying covariates such as the
    outcome's level are read at each cohort's own baseline); each treated unit gets its ``ratio`` nearest controls
    on the logit within ``caliper`` standard deviations (treated units taken in a seeded random order).

    Parameters
    ----------
    panel : DataFrame
        Long panel (one row per unit and period), the cohort column constant within unit (NaN/0 = never treated).
    covariates : list of str
        Numeric or categorical columns, read in each cohort's baseline year.
    keep : list of str
        Other columns carried into :attr:`CohortMatch.baseline` at the same baseline (e.g. a balance check on a
        variable not used for matching).
    """
    d = panel.copy()
    c = pd.to_numeric(d[cohort], errors="coerce")
    d[cohort] = c.where(c > 0)
    unit_cohort = d.groupby(unit)[cohort].first()
    periods = np.sort(d[time].unique())
    rng = np.random.default_rng(seed)
    used: set = set()
    recs, stacks, notes = [], [], []
    n_treated = n_matched = 0
    eligible_all: set = set()
    for g in sorted(unit_cohort.dropna().unique()):
        b = g - 1 - anticipation
        if b not in set(periods):
            notes.append(f"cohort {int(g)}: no baseline period {int(b)} in the data, not matched")
            continue
        base = d[d[time] == b].drop_duplicates(unit).set_index(unit)
        ids = base.index.to_series()
        gc = unit_cohort.reindex(base.index)
        is_t = (gc == g).to_numpy()
        pool = (gc.isna() | (gc > g)).to_numpy() & ~ids.isin(used).to_numpy()
        extra = [k for k in keep if k not in covariates]
        frame = base.loc[is_t | pool, [*covariates, *extra]].copy()
        frame["_treated"] = is_t[is_t | pool].astype(int)
        frame = frame.dropna(subset=[*covariates, "_treated"])
        n_treated += int(is_t.sum())
        if frame["_treated"].sum() == 0 or (frame["_treated"] == 0).sum() == 0:
            notes.append(f"cohort {int(g)}: no treated unit or no eligible control, not matched")
            continue
        eligible_all |= set(frame.index[frame["_treated"] == 0])
        ps, tr, pairs, w = _match_on_logit(frame, "_treated", covariates, caliper, ratio, rng, replace=False)
        fid = frame.index.to_numpy()
        for i, best in pairs:
            sid = f"{int(g)}:{fid[i]}"
            for j in best:
                recs.append((sid, g, b, fid[i], fid[j], unit_cohort.get(fid[j], np.nan), ps[i], ps[j]))
                used.add(fid[j])
        n_matched += len(pairs)
        if len(pairs) < tr.sum():
            notes.append(f"cohort {int(g)}: {int(tr.sum()) - len(pairs)} treated units without a control within "
                         "the caliper dropped")
        stacks.append(frame.drop(columns="_treated").assign(cohort=g, unit=fid, treated=tr.astype(int), weight=w)
                      .reset_index(drop=True))
    sets = pd.DataFrame(recs, columns=["set", "cohort", "base", "treated", "control", "control_cohort",
                                       "pscore_treated", "pscore_control"])
    baseline = (pd.concat(stacks, ignore_index=True) if stacks else
                pd.DataFrame(columns=["cohort", "unit", "treated", "weight", *covariates]))
    # clusters: union of sets that share a unit (a set = its treated unit and its controls)
    parent: dict = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    members = pd.concat([sets[["set", "treated"]].rename(columns={"treated": "u"}).drop_duplicates(),
                         sets[["set", "control"]].rename(columns={"control": "u"})])
    for sid, u in members.itertuples(index=False):
        parent[find(("s", sid))] = find(("u", u))
    clusters = pd.Series({sid: find(("s", sid)) for sid in sets["set"].unique()}, dtype=object)
    clusters = pd.Series(pd.factorize(clusters)[0], index=clusters.index, name="cluster")
    n_ctrl_used = int(sets["control"].nunique())
    summary = MatchResult(
        "propensity_score_by_cohort",
        baseline["weight"] if len(baseline) else pd.Series(dtype=float),
        pd.DataFrame({"unit": [*sets["treated"].unique(), *sets["control"].unique()],
                      "treated": [1] * sets["treated"].nunique() + [0] * n_ctrl_used}),
        n_treated, n_matched, len(eligible_all), n_ctrl_used, notes,
    )
    return CohortMatch(sets, baseline, summary, clusters, list(covariates), unit, time, cohort, anticipation, notes)


@dataclass
class MatchedDiDResult:
    """Difference-in-differences on matched sets (:func:`matched_did`).

    ``att_gt``: ``cohort, time, event_time, estimate, std_error, ci_low, ci_high, n_units`` (matched treated units
    with a valid control); ``simple``: the post-treatment ATT(g,t) averaged with the cohorts' matched sizes, as the
    Callaway–Sant'Anna simple ATT; ``dynamic``: ``table`` by ``event_time`` (universal base: e = −1 − anticipation is
    0 by construction and left out) and ``overall`` = mean over e ≥ 0; ``pre_mean``: the matched treated cohorts'
    mean outcome at their baseline, weighted like ``simple`` (denominator of percent effects); ``n_clusters``: the
    clusters of matched sets behind the SEs.
    """

    att_gt: pd.DataFrame
    simple: Estimate
    dynamic: Aggregate
    pre_mean: float
    n_clusters: int
    match: CohortMatch
    notes: list[str] = field(default_factory=list)

    @property
    def percent_factor(self) -> float:
        return 100.0 / self.pre_mean

    def relative(self) -> Estimate:
        """The simple ATT in percent of :attr:`pre_mean` (held fixed)."""
        return self.simple.scaled(self.percent_factor)


def matched_did(panel: pd.DataFrame, outcome: str, m: CohortMatch, estimator: str = "matched_did"
                ) -> MatchedDiDResult:
    """ATT(g,t) on the matched sets of :func:`match_by_cohort`, aggregated as Callaway–Sant'Anna, with SEs that
    account for the matching.

    For matched set s (treated unit i of cohort g, controls C_s) and period t:
    D_st = (Y_it − Y_ib) − mean_{j ∈ C_s(t)} (Y_jt − Y_jb), b = g − 1 − anticipation, where C_s(t) keeps the
    controls still untreated at t (first treated after t + anticipation, or never); a set with no such control drops
    out of period t. ATT(g,t) = mean of D_st over cohort g's sets; the simple ATT averages the cells t ≥ g with
    weights ∝ the cohort's number of matched sets (R ``aggte`` with P(G = g) among matched treated).

    Standard errors (Abadie & Spiess 2022): conditional on the matched sample, the estimate is a sum of per-set
    terms; their variance is the cluster-robust one with a cluster per matched set (G/(G − 1) correction), sets
    sharing a unit merged into one cluster (:attr:`CohortMatch.clusters`). The cohort weights are treated as fixed:
    the estimand is the ATT of the matched treated units. Normal 95 % intervals.
    """
    y = panel.pivot_table(index=m.unit, columns=m.time, values=outcome, aggfunc="first")
    periods = np.asarray(y.columns)
    Y = y.to_numpy(float)
    row = pd.Series(np.arange(len(y)), index=y.index)
    sets = m.sets
    if sets.empty:
        raise ValueError("matched_did: no matched set")
    delta = m.anticipation
    first = sets.drop_duplicates("set")
    sid = pd.Series(np.arange(len(first)), index=first["set"].to_numpy())
    n_s = len(first)
    s_of = sid.loc[sets["set"]].to_numpy()
    cohorts = np.sort(first["cohort"].unique())
    g_of = np.searchsorted(cohorts, first["cohort"].to_numpy())  # cohort position of each set
    bpos = np.searchsorted(periods, first["base"].to_numpy())
    ti = row.loc[first["treated"]].to_numpy()
    di = Y[ti] - Y[ti, bpos][:, None]  # S × T
    cj = row.loc[sets["control"]].to_numpy()
    dc = Y[cj] - Y[cj, bpos[s_of]][:, None]
    cc = sets["control_cohort"].to_numpy(float)
    valid = (np.isnan(cc)[:, None] | (cc[:, None] - delta > periods[None, :])) & np.isfinite(dc)
    tot, cnt = np.zeros_like(di), np.zeros_like(di)
    np.add.at(tot, s_of, np.where(valid, dc, 0.0))
    np.add.at(cnt, s_of, valid.astype(float))
    with np.errstate(invalid="ignore", divide="ignore"):
        D = di - tot / cnt
    ok = (cnt > 0) & np.isfinite(D)
    ok[np.arange(n_s), bpos] = False  # the base period: 0 by construction
    D = np.where(ok, D, 0.0)
    n_gt = np.zeros((len(cohorts), len(periods)))
    sum_gt = np.zeros_like(n_gt)
    np.add.at(n_gt, g_of, ok.astype(float))
    np.add.at(sum_gt, g_of, D)
    with np.errstate(invalid="ignore", divide="ignore"):
        att = sum_gt / n_gt
    cl = m.clusters.reindex(first["set"]).to_numpy().astype(np.int64)
    n_cl = int(cl.max()) + 1
    n_sets = pd.Series(np.bincount(g_of, minlength=len(cohorts)), index=cohorts).astype(float)

    def combine(W: np.ndarray) -> tuple[float, float]:
        """Σ_{g,t} W[g,t] ATT(g,t) and its cluster-robust SE (clusters of matched sets, G/(G − 1))."""
        W = np.where(n_gt > 0, W, 0.0)
        value = float(np.sum(W[W != 0] * att[W != 0]))
        with np.errstate(invalid="ignore", divide="ignore"):
            coef = np.where(n_gt > 0, W / n_gt, 0.0)
        a = np.sum(np.where(ok, coef[g_of] * (D - np.nan_to_num(att)[g_of]), 0.0), axis=1)
        sums = np.bincount(cl, weights=a, minlength=n_cl)
        return value, float(np.sqrt(n_cl / max(n_cl - 1, 1) * np.sum(sums**2)))

    recs = []
    for gi, g in enumerate(cohorts):
        for k, t in enumerate(periods):
            if n_gt[gi, k] == 0:
                continue
            W = np.zeros_like(att)
            W[gi, k] = 1.0
            v, se = combine(W)
            lo, hi = normal_ci(v, se)
            recs.append((int(g), int(t), int(t - g), v, se, lo, hi, int(n_gt[gi, k])))
    att_gt = pd.DataFrame(recs, columns=["cohort", "time", "event_time", "estimate", "std_error", "ci_low",
                                         "ci_high", "n_units"])
    post_cell = (periods[None, :] >= cohorts[:, None]) & (n_gt > 0)
    if not post_cell.any():
        raise ValueError("matched_did: no post-treatment cell")
    Wp = np.where(post_cell, n_sets.to_numpy()[:, None], 0.0)
    value, se = combine(Wp / Wp.sum())
    n_units = int(sets["treated"].nunique() + sets["control"].nunique())
    n_obs = n_units * len(periods)
    simple = Estimate.from_se(estimator, value, se, n_units=n_units, n_obs=n_obs)
    ev = periods[None, :] - cohorts[:, None]
    dyn, Wdyn = [], np.zeros_like(att)
    n_post_e = len({int(e) for e in ev[post_cell]})
    for e in np.unique(ev[n_gt > 0]):
        cell = (ev == e) & (n_gt > 0)
        W = np.where(cell, n_sets.to_numpy()[:, None], 0.0)
        W = W / W.sum()
        v, s_e = combine(W)
        lo, hi = normal_ci(v, s_e)
        dyn.append((int(e), v, s_e, lo, hi, normal_p(v, s_e), int(n_sets[cell.any(axis=1)].sum())))
        if e >= 0:
            Wdyn += W / n_post_e
    dyn_t = pd.DataFrame(dyn, columns=["event_time", "estimate", "std_error", "ci_low", "ci_high", "p_value",
                                       "n_units"])
    v, s_e = combine(Wdyn)
    dynamic = Aggregate("event_time", Estimate.from_se(estimator, v, s_e, n_units=n_units, n_obs=n_obs), dyn_t)
    # denominator of percent effects: baseline means of the matched treated, cohorts weighted like ``simple``
    base_y = Y[ti, bpos]
    means = np.bincount(g_of, weights=base_y, minlength=len(cohorts)) / n_sets.to_numpy()
    cw = Wp.sum(axis=1)
    pre_mean = float(np.sum(cw * means) / cw.sum())
    return MatchedDiDResult(att_gt, simple, dynamic, pre_mean, n_cl, m, list(m.notes))

