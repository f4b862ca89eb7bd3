"""Staggered adoption: Callaway & Sant'Anna (2021), HonestDiD sensitivity and the Goodman-Bacon decomposition.

Thin wrappers around diff-diff 3.13.0 (``CallawaySantAnna``, ``HonestDiD``, ``BaconDecomposition``). diff-diff fits
the group-time ATTs and their simple, event-time and cohort aggregations. What it lacks, and this module adds from the
group-time influence functions exactly as R ``did::aggte`` does: the overall cohort (``group``) ATT, the calendar-time
aggregation, the overall dynamic ATT (mean of the event-time effects e ≥ 0) and the joint Wald pre-test of the
pre-treatment ATT(g,t). All four reproduce R ``did`` on mpdta (tests/test_estimators_reference.py).

Influence functions are scaled as in diff-diff: the variance of a linear combination is ``Σ_i ψ_i²`` (R's
``mean(ψ²)/n`` with ψ_R = n·ψ).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ..disclosure import MIN_CELL
from ..results import make_row
from .base import Aggregate, Estimate, clean_cohort

CS = "callaway_santanna"
FT = "_first_treat"  # cohort column handed to diff-diff (0 = never treated)


# --- panel preparation -----------------------------------------------------------------------------------------


def prepare_panel(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] | None = None,
    anticipation: int = 0,
    weights: str | None = None,
) -> tuple[pd.DataFrame, list[str], int]:
    """Balanced panel ready for diff-diff, the notes on what was changed, and the number of units dropped.

    Rules (those of R ``did`` with ``panel=TRUE``): rows with a missing outcome are dropped; units not observed in
    every period are dropped (balanced panel); units treated at or before the first period (+ anticipation) have no
    pre-period and are dropped; cohorts after the last period are recoded never-treated (untreated in the window);
    covariates are taken at each unit's first observed period (baseline), units missing them are dropped; so are
    unit weights (``weights``), and units of zero weight (e.g. unmatched) are dropped.
    Never-treated units are coded 0 in the ``_first_treat`` column.
    """
    covariates = list(covariates or [])
    baseline_cols = covariates + ([weights] if weights else [])
    d = df[[unit, time, outcome, cohort, *baseline_cols]].reset_index(drop=True)
    # Nullable extension dtypes (Int64/Float64/boolean, as returned by evalkit.io.load) → plain floats for diff-diff.
    for c in [time, outcome, cohort, *baseline_cols]:
        if isinstance(d[c].dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_numeric_dtype(d[c]):
            d[c] = d[c].astype("float64")
    if pd.api.types.is_float_dtype(d[time]) and (d[time] % 1 == 0).all():
        d[time] = d[time].astype("int64")
    notes: list[str] = []
    n0 = d[unit].nunique()
    d["_c"] = clean_cohort(d[cohort])
    if (d.groupby(unit)["_c"].nunique(dropna=False) > 1).any():
        raise ValueError(f"{cohort!r} (first treated year) varies within unit; it must be constant per {unit!r}")
    miss = d[outcome].isna()
    if miss.any():
        notes.append(f"{int(miss.sum())} rows with a missing {outcome} dropped")
        d = d[~miss]
    periods = np.sort(d[time].unique())
    t_min, t_max = periods[0], periods[-1]
    late = d["_c"] > t_max
    if late.any():
        notes.append(
            f"{d.loc[late, unit].nunique()} units first treated after {t_max} counted as never treated in the window"
        )
        d.loc[late, "_c"] = np.nan
    early = d["_c"] <= t_min + anticipation
    if early.any():
        notes.append(f"{d.loc[early, unit].nunique()} units treated from the first period (no pre-period) dropped")
        d = d[~early]
    n_per = d.groupby(unit)[time].nunique()
    incomplete = n_per.index[n_per < len(periods)]
    if len(incomplete):
        notes.append(
            f"unbalanced panel: {len(incomplete)} units not observed in all {len(periods)} periods dropped (balanced "
            "panel, as R did with panel=TRUE)"
        )
        d = d[~d[unit].isin(incomplete)]
    if baseline_cols:
        base = d.sort_values(time).groupby(unit)[baseline_cols].first()
        d = d.drop(columns=baseline_cols).merge(base, left_on=unit, right_index=True, how="left")
        bad = d[baseline_cols].isna().any(axis=1)
        if bad.any():
            notes.append(f"{d.loc[bad, unit].nunique()} units with a missing baseline covariate or weight dropped")
            d = d[~bad]
    if weights:
        if (d[weights] < 0).any():
            raise ValueError(f"negative unit weights in {weights!r}")
        zero = d[weights] == 0
        if zero.any():
            notes.append(f"{d.loc[zero, unit].nunique()} units of zero weight (unmatched) dropped")
            d = d[~zero]
    d[FT] = d["_c"].fillna(0)
    d = d.drop(columns="_c").sort_values([unit, time]).reset_index(drop=True)
    n_dropped = int(n0 - d[unit].nunique())
    if notes:
        warnings.warn("panel prepared for estimation: " + "; ".join(notes), UserWarning, stacklevel=3)
    return d, notes, n_dropped


# --- influence-function algebra (R did::aggte) ------------------------------------------------------------------


@dataclass
class _GT:
    """Group-time ATTs with their per-unit influence functions (columns of ``psi``)."""

    g: np.ndarray
    t: np.ndarray
    att: np.ndarray
    psi: np.ndarray  # n_units × n_cells
    unit_cohort: np.ndarray  # per unit, 0 = never treated
    pg: np.ndarray  # P(G = g) of each cell's cohort (weighted by the unit weights, if any)
    sw: np.ndarray  # unit weights, mean 1 (all 1 without weights)
    unit_ids: np.ndarray  # unit id of each row of psi (positions 0..n-1 unless given)

    @classmethod
    def from_diff_diff(cls, raw: Any, unit_ids: np.ndarray | None = None) -> "_GT":
        kit = getattr(raw, "_aggregation_kit", None)
        if kit is None or not getattr(kit, "influence", None):
            raise RuntimeError(
                "diff-diff result carries no per-cell influence functions (private _aggregation_kit, "
                "diff-diff 3.13.0); calendar/group aggregation and the pre-test need them"
            )
        cells = sorted(c for c, v in raw.group_time_effects.items() if np.isfinite(v["effect"]) and c in kit.influence)
        coh = np.asarray(kit.bookkeeping["unit_cohorts"], dtype=float)
        psi = np.zeros((len(coh), len(cells)))
        for j, c in enumerate(cells):
            inf = kit.influence[c]
            psi[inf["treated_idx"], j] += inf["treated_inf"]
            psi[inf["control_idx"], j] += inf["control_inf"]
        g = np.array([c[0] for c in cells], dtype=float)
        sw = kit.bookkeeping.get("survey_weights")
        sw = np.ones(len(coh)) if sw is None else np.asarray(sw, dtype=float)
        share = {x: float(np.sum(sw * (coh == x)) / sw.sum()) for x in np.unique(g)}
        return cls(
            g=g,
            t=np.array([c[1] for c in cells], dtype=float),
            att=np.array([raw.group_time_effects[c]["effect"] for c in cells]),
            psi=psi,
            unit_cohort=coh,
            pg=np.array([share[x] for x in g]),
            sw=sw,
            unit_ids=np.arange(len(coh)) if unit_ids is None else np.asarray(unit_ids),
        )

    def wif(self, keep: np.ndarray, pg: np.ndarray | None = None, groups: np.ndarray | None = None) -> np.ndarray:
        """Influence of estimating the weights pg_k / Σ pg (R ``did:::wif``, with unit weights), n_units × len(keep)."""
        pg = self.pg[keep] if pg is None else pg
        groups = self.g[keep] if groups is None else groups
        ind = self.sw[:, None] * (self.unit_cohort[:, None] == groups[None, :]) - pg[None, :]
        s = pg.sum()
        return (ind / s - np.outer(ind.sum(axis=1), pg / s**2)) / self.sw.sum()

    def weighted(self, keep: np.ndarray) -> tuple[float, np.ndarray]:
        """Cohort-size weighted mean of the kept cells and its influence function (weights estimated)."""
        w = self.pg[keep] / self.pg[keep].sum()
        return float(w @ self.att[keep]), self.psi[:, keep] @ w + self.wif(keep) @ self.att[keep]


GroupTimeInfluence = _GT


def _boot_se(psi: np.ndarray, draws: int, seed: int | None) -> float:
    """Multiplier-bootstrap SE (Rademacher weights, IQR / 1.349 as R ``did::mboot``)."""
    rng = np.random.default_rng(seed)
    out = []
    for b in range(0, draws, 200):
        xi = rng.choice([-1.0, 1.0], size=(min(200, draws - b), len(psi)))
        out.append(xi @ psi)
    boot = np.concatenate(out)
    q75, q25 = np.quantile(boot, [0.75, 0.25])
    return float((q75 - q25) / (stats.norm.ppf(0.75) - stats.norm.ppf(0.25)))


def _se(psi: np.ndarray, bootstrap: int, seed: int | None) -> float:
    return _boot_se(psi, bootstrap, seed) if bootstrap else float(np.sqrt(np.sum(psi**2)))


def wald_pretest(gt: _GT, anticipation: int = 0) -> tuple[float, int, float]:
    """Joint Wald test that every pre-treatment ATT(g,t) (t < g − anticipation) is zero: (W, df, p-value).

    ``W = a' V⁻¹ a`` with V the influence-function covariance of the pre-period cells — R ``did``'s pre-test.
    """
    pre = np.flatnonzero(gt.t < gt.g - anticipation)
    if len(pre) == 0:
        return float("nan"), 0, float("nan")
    v = gt.psi[:, pre].T @ gt.psi[:, pre]
    if np.linalg.cond(v) > 1 / np.finfo(float).eps:
        warnings.warn("callaway_santanna: singular pre-period covariance, no pre-test", UserWarning, stacklevel=2)
        return float("nan"), len(pre), float("nan")
    a = gt.att[pre]
    w = float(a @ np.linalg.solve(v, a))
    return w, len(pre), float(stats.chi2.sf(w, len(pre)))


# --- the result -------------------------------------------------------------------------------------------------


@dataclass
class CSResult:
    """Callaway–Sant'Anna estimates (all SEs analytic unless ``settings['bootstrap'] > 0``).

    Attributes
    ----------
    att_gt : DataFrame
        ``cohort, time, event_time, estimate, std_error, ci_low, ci_high, n_units`` (treated units of the cohort).
    simple : Estimate
        Overall ATT: post-treatment ATT(g,t) averaged with cohort-size weights (R ``aggte(type="simple")``).
    group : Aggregate
        ``table`` by ``cohort`` (mean of each cohort's post-treatment ATTs); ``overall`` = cohort-size weighted mean.
    dynamic : Aggregate
        ``table`` by ``event_time`` (pre-periods included); ``overall`` = mean over e ≥ 0.
    calendar : Aggregate
        ``table`` by ``year``; ``overall`` = mean over years.
    pretest_stat, pretest_df, pretest_p : float, int, float
        Joint Wald test of the pre-treatment ATT(g,t) = 0.
    n_units, n_obs, n_units_dropped : int
        Estimation sample and units dropped by :func:`prepare_panel` (``notes`` says why).
    pre_mean : float
        Mean outcome of the treated units in their last pre-treatment period (denominator of :meth:`relative`).
    raw : diff_diff.CallawaySantAnnaResults
        The diff-diff result.
    """

    att_gt: pd.DataFrame
    simple: Estimate
    group: Aggregate
    dynamic: Aggregate
    calendar: Aggregate
    pretest_stat: float
    pretest_df: int
    pretest_p: float
    n_units: int
    n_obs: int
    n_units_dropped: int
    notes: list[str]
    pre_mean: float
    settings: dict
    raw: Any = field(repr=False)
    _panel: pd.DataFrame | None = field(default=None, repr=False)

    def influence(self) -> "GroupTimeInfluence":
        """Group-time ATTs with their per-unit influence functions (``g, t, att, psi, pg, unit_ids``).

        ``Var(Σ_k w_k ATT_k) = Σ_i (ψ_i · w)²``; ``.weighted(keep)`` gives the cohort-size weighted mean of the kept
        cells and its influence function including the estimated weights (R ``did`` aggregation). Covariances between
        two fits on the same units: Σ_i ψ_i ψ'_i (align on ``unit_ids``).
        """
        # diff-diff orders units as ``groupby(unit)`` does (sorted ids) and keeps only their positions (its kit
        # replaces ids by codes 0..n-1), so the ids are recovered from the estimation panel
        ids = self._panel.groupby(self.settings["unit"]).size().index.to_numpy() if self._panel is not None else None
        gt = _GT.from_diff_diff(self.raw, unit_ids=ids)
        if len(gt.unit_ids) != len(gt.unit_cohort):
            raise RuntimeError("influence(): unit ids and influence rows do not align")
        return gt

    @property
    def n_treated(self) -> int:
        """Number of ever-treated units in the estimation sample."""
        return int(self.raw.n_treated_units)

    def aggregates(self) -> dict[str, Estimate]:
        """The four overall ATTs by name: simple, dynamic, group, calendar."""
        return {
            "simple": self.simple,
            "dynamic": self.dynamic.overall,
            "group": self.group.overall,
            "calendar": self.calendar.overall,
        }

    def summary(self) -> pd.DataFrame:
        """One row per overall aggregation, plus the pre-test p-value as a column."""
        out = pd.DataFrame(
            [{"aggregation": k, **{c: getattr(v, c) for c in ("estimate", "std_error", "ci_low", "ci_high", "p_value")}}
             for k, v in self.aggregates().items()]
        )
        out["n_units"], out["n_obs"], out["pretest_p"] = self.n_units, self.n_obs, self.pretest_p
        return out

    def table(self) -> pd.DataFrame:
        """Long tidy table of every aggregate: ``aggregation, key, value, estimate, std_error, ci_low, ci_high``."""
        parts = [self.summary().assign(key="overall", value=np.nan)]
        for name, agg in (("dynamic", self.dynamic), ("group", self.group), ("calendar", self.calendar)):
            parts.append(agg.table.rename(columns={agg.key: "value"}).assign(aggregation=name, key=agg.key))
        cols = ["aggregation", "key", "value", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_units"]
        return pd.concat(parts, ignore_index=True)[cols]

    @property
    def percent_factor(self) -> float:
        """100 / pre-period mean of the treated: multiplies an ATT into percent of the treated group's level."""
        return 100.0 / self.pre_mean

    def relative(self, which: str = "simple") -> Estimate | Aggregate:
        """An aggregate in percent of the treated group's pre-period mean (:attr:`pre_mean`).

        Delta method treating the pre-period mean as fixed: SE and CI are scaled by the same factor (the sampling
        error of the mean is ignored — it is small next to that of the ATT in a panel of this size).
        """
        f = self.percent_factor
        if which == "simple":
            return self.simple.scaled(f)
        agg: Aggregate = getattr(self, which)
        tab = agg.table.copy()
        tab[["estimate", "std_error", "ci_low", "ci_high"]] *= f
        return Aggregate(agg.key, agg.overall.scaled(f), tab)

    def to_rows(
        self,
        study: str,
        outcome: str,
        unit: str,
        headline: bool = False,
        data: str | None = None,
        scale: float = 1.0,
        subgroup: str = "all",
        subgroup_prefix: str = "",
        estimator: str = CS,
        percent: bool = False,
        overall: Iterable[str] = ("dynamic", "group", "calendar"),
        event_times: bool = True,
        cohorts: bool = True,
        years: bool = False,
        min_units: int = MIN_CELL,
    ) -> list[dict]:
        """Results rows: the simple ATT (``subgroup``, may be the headline), the other overall aggregates
        (estimator ``<estimator>_<name>``), event-time rows ``<prefix>event_time=e``, cohort rows
        ``<prefix>cohort=g`` and, if asked, calendar rows ``<prefix>year=t``.

        ``percent=True`` expresses everything in percent of :attr:`pre_mean` (pass ``unit="percent"``). Rows resting on
        fewer than ``min_units`` treated units are left out (disclosure rule).
        """
        f = scale * (self.percent_factor if percent else 1.0)
        kw = dict(data=data, scale=f)
        rows = self.simple.to_rows(study, outcome, unit, subgroup=subgroup, headline=headline, estimator=estimator, **kw)
        aggs = self.aggregates()
        for name in overall:
            rows += aggs[name].to_rows(study, outcome, unit, subgroup=subgroup, estimator=f"{estimator}_{name}", **kw)
        common = dict(estimator=estimator, subgroup_prefix=subgroup_prefix, n_obs=self.n_obs, min_units=min_units, **kw)
        if event_times:
            dyn = Aggregate("event_time", self.dynamic.overall, self.dynamic.table)
            rows += dyn.to_rows(study, outcome, unit, **common)
        if cohorts:
            rows += Aggregate("cohort", self.group.overall, self.group.table).to_rows(study, outcome, unit, **common)
        if years:
            rows += Aggregate("year", self.calendar.overall, self.calendar.table).to_rows(study, outcome, unit, **common)
        return rows


# --- the estimator -----------------------------------------------------------------------------------------------


def callaway_santanna(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] | None = None,
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    est_method: Literal["dr", "reg", "ipw"] = "dr",
    anticipation: int = 0,
    base_period: Literal["varying", "universal"] = "varying",
    bootstrap: int = 0,
    seed: int | None = 0,
    pscore_trim: float = 0.01,
    weights: str | None = None,
) -> CSResult:
    """Callaway & Sant'Anna (2021) group-time ATTs and their aggregations (diff-diff ``CallawaySantAnna``).

    Parameters
    ----------
    df : DataFrame
        Long panel, one row per unit and period (prepared by :func:`prepare_panel`: balanced, see its rules).
    outcome, unit, time : str
        Column names.
    cohort : str
        First treated period; NaN, 0 or inf = never treated.
    covariates : list of str, optional
        Time-invariant covariates (taken at baseline) for conditional parallel trends.
    control_group : {"never_treated", "not_yet_treated"}
    est_method : {"dr", "reg", "ipw"}
        Doubly robust (default), outcome regression or inverse probability weighting.
    anticipation : int
        Periods of anticipation.
    base_period : {"varying", "universal"}
        R's default ``varying``; :func:`honest_did` refits with ``universal``.
    bootstrap : int
        0 = analytic (influence-function) SEs; otherwise number of multiplier-bootstrap draws (seeded, and
        simultaneous bands are then computed for the event study).
    seed : int, optional
        Bootstrap seed (recorded in ``settings``).
    pscore_trim : float
        Propensity-score trimming bound (diff-diff default 0.01; R ``did`` trims nothing — use a tiny value such as
        1e-10 to match R with covariates; without covariates it has no effect).
    weights : str, optional
        Column of unit weights (time-invariant, e.g. ``MatchResult.weights`` merged on the unit id): weighted
        ATT(g,t) (diff-diff sampling weights) and weighted cohort shares in every aggregation (R ``weightsname``).

    Returns
    -------
    CSResult
    """
    from diff_diff import CallawaySantAnna

    if bootstrap and seed is None:
        raise ValueError("callaway_santanna: a bootstrap needs a seed (reproducible pages, DESIGN §7)")
    covariates = list(covariates or [])
    settings = dict(
        outcome=outcome, unit=unit, time=time, covariates=covariates, control_group=control_group,
        est_method=est_method, anticipation=anticipation, base_period=base_period, bootstrap=bootstrap, seed=seed,
        pscore_trim=pscore_trim, weights=weights,
    )
    panel, notes, n_dropped = prepare_panel(df, outcome, unit, time, cohort, covariates, anticipation, weights)
    est = CallawaySantAnna(
        control_group=control_group, anticipation=anticipation, estimation_method=est_method,
        n_bootstrap=bootstrap, seed=seed if bootstrap else None, base_period=base_period, cband=bool(bootstrap),
        pscore_trim=pscore_trim,
    )
    survey = None
    if weights:
        from diff_diff import SurveyDesign

        panel[weights] = panel[weights] / panel[weights].mean()  # diff-diff's normalisation, without its warning
        survey = SurveyDesign(weights=weights)
    raw = est.fit(panel, outcome=outcome, unit=unit, time=time, first_treat=FT, covariates=covariates or None,
                  survey_design=survey)
    gt = _GT.from_diff_diff(raw)
    sizes = panel.drop_duplicates(unit)[FT].value_counts()

    att_gt = _att_gt_table(raw, sizes)
    simple = _from_agg(raw.aggregate("simple").to_dataframe().iloc[0], n_units=panel[unit].nunique(), n_obs=len(panel))
    common = dict(bootstrap=bootstrap, seed=seed, n_units=panel[unit].nunique(), n_obs=len(panel))
    group = _group(raw, gt, sizes, anticipation, **common)
    dynamic = _dynamic(raw, gt, sizes, **common)
    calendar = _calendar(gt, sizes, anticipation, **common)
    w, q, p = wald_pretest(gt, anticipation)
    return CSResult(
        att_gt=att_gt, simple=simple, group=group, dynamic=dynamic, calendar=calendar,
        pretest_stat=w, pretest_df=q, pretest_p=p,
        n_units=int(panel[unit].nunique()), n_obs=len(panel), n_units_dropped=n_dropped, notes=notes,
        pre_mean=_pre_mean(panel, outcome, time, anticipation, weights), settings=settings, raw=raw, _panel=panel,
    )


def _from_agg(row: pd.Series, **kw: Any) -> Estimate:
    return Estimate(CS, float(row["att"]), float(row["se"]), float(row["conf_int_lower"]),
                    float(row["conf_int_upper"]), float(row["p_value"]), **kw)


def _att_gt_table(raw: Any, sizes: pd.Series) -> pd.DataFrame:
    rows = []
    for (g, t), v in sorted(raw.group_time_effects.items()):
        lo, hi = v["conf_int"]
        rows.append((int(g), int(t), int(t - g), v["effect"], v["se"], lo, hi, v.get("p_value", np.nan),
                     int(sizes.get(g, 0))))
    cols = ["cohort", "time", "event_time", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_units"]
    return pd.DataFrame(rows, columns=cols)


def _estimate(value: float, psi: np.ndarray, bootstrap: int, seed: int | None, **kw: Any) -> Estimate:
    return Estimate.from_se(CS, value, _se(psi, bootstrap, seed), **kw)


def _group(raw: Any, gt: _GT, sizes: pd.Series, anticipation: int, bootstrap: int, seed, **kw: Any) -> Aggregate:
    tab = raw.aggregate("group").to_dataframe()
    table = _tidy_agg(tab, "cohort")
    table["n_units"] = [int(sizes.get(g, 0)) for g in table["cohort"]]
    cohorts = np.asarray(table["cohort"], dtype=float)
    psi_g = np.column_stack(
        [gt.psi[:, (gt.g == g) & (gt.t >= g - anticipation)].mean(axis=1) for g in cohorts]
    )
    pg = np.array([np.sum(gt.sw * (gt.unit_cohort == g)) / gt.sw.sum() for g in cohorts])
    att_g = table["estimate"].to_numpy()
    value = float(pg @ att_g / pg.sum())
    psi = psi_g @ (pg / pg.sum()) + gt.wif(np.arange(len(cohorts)), pg=pg, groups=cohorts) @ att_g
    return Aggregate("cohort", _estimate(value, psi, bootstrap, seed, **kw), table)


def _dynamic(raw: Any, gt: _GT, sizes: pd.Series, bootstrap: int, seed, **kw: Any) -> Aggregate:
    es = raw.aggregate("event_study")
    tab = es.to_dataframe()
    tab = tab[~tab["is_reference"].astype(bool)] if "is_reference" in tab else tab
    table = _tidy_agg(tab.rename(columns={"event_time": "label"}), "event_time")
    table["event_time"] = table["event_time"].astype(int)
    table["n_units"] = [int(sum(sizes.get(g, 0) for g in np.unique(gt.g[gt.t - gt.g == e]))) for e in table.event_time]
    post = table["event_time"].to_numpy() >= 0
    value = float(table.loc[post, "estimate"].mean())
    if bootstrap:
        psis = [gt.weighted(np.flatnonzero(gt.t - gt.g == e))[1] for e in table.event_time[post]]
        se = _boot_se(np.mean(psis, axis=0), bootstrap, seed)
    else:  # SE √(w'Vw) from diff-diff's event-study covariance (reproduces R's dynamic overall SE)
        idx = list(np.asarray(es.vcov_index))
        w = np.zeros(len(idx))
        for e in table.event_time[post]:
            w[idx.index(e)] = 1.0 / post.sum()
        se = float(np.sqrt(w @ np.asarray(es.vcov) @ w))
    return Aggregate("event_time", Estimate.from_se(CS, value, se, **kw), table)


def _calendar(gt: _GT, sizes: pd.Series, anticipation: int, bootstrap: int, seed, **kw: Any) -> Aggregate:
    years = np.unique(gt.t[gt.t >= gt.g.min() - anticipation])
    rows, psis = [], []
    for t in years:
        keep = np.flatnonzero((gt.t == t) & (gt.g - anticipation <= t))
        if len(keep) == 0:
            continue
        value, psi = gt.weighted(keep)
        e = _estimate(value, psi, bootstrap, seed)
        n = int(sum(sizes.get(g, 0) for g in np.unique(gt.g[keep])))
        rows.append((int(t), e.estimate, e.std_error, e.ci_low, e.ci_high, e.p_value, n))
        psis.append(psi)
    table = pd.DataFrame(rows, columns=["year", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_units"])
    overall = _estimate(float(table["estimate"].mean()), np.mean(psis, axis=0), bootstrap, seed, **kw)
    return Aggregate("year", overall, table)


def _tidy_agg(tab: pd.DataFrame, key: str) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            key: tab["label"].to_numpy(),
            "estimate": tab["att"].to_numpy(float),
            "std_error": tab["se"].to_numpy(float),
            "ci_low": tab["conf_int_lower"].to_numpy(float),
            "ci_high": tab["conf_int_upper"].to_numpy(float),
            "p_value": tab["p_value"].to_numpy(float),
        }
    )
    if key == "cohort":
        out[key] = out[key].astype(float).astype(int)
    return out.reset_index(drop=True)


def _pre_mean(panel: pd.DataFrame, outcome: str, time: str, anticipation: int, weights: str | None = None) -> float:
    """(Weighted) mean outcome of treated units in their last pre-treatment period (cohort − 1 − anticipation)."""
    treated = panel[panel[FT] > 0]
    periods = np.sort(panel[time].unique())
    base = treated[FT].map(lambda g: periods[periods < g - anticipation].max() if (periods < g - anticipation).any()
                           else np.nan)
    sel = treated[treated[time] == base]
    if not len(sel):
        return float("nan")
    return float(np.average(sel[outcome], weights=sel[weights] if weights else None))


# --- HonestDiD ---------------------------------------------------------------------------------------------------


@dataclass
class HonestResult:
    """HonestDiD (Rambachan & Roth 2023) robust confidence intervals over a grid of M (M̄ for relative magnitudes).

    ``table``: ``M, lb, ub`` (identified set), ``ci_low, ci_high`` (robust 95 % CI), ``significant``.
    ``breakdown``: smallest M at which the robust CI includes 0 (0.0 if it does at M = 0; None if it never does on
    the grid — the conclusion survives every M tried).
    """

    method: str
    target: str
    estimate: float
    std_error: float
    grid: pd.DataFrame
    breakdown: float | None
    notes: list[str]
    raw: Any = field(repr=False, default=None)

    def table(self) -> pd.DataFrame:
        return self.grid.copy()

    summary = table

    def to_rows(self, study: str, outcome: str, unit: str, data: str | None = None, scale: float = 1.0,
                n_units: int | None = None, n_obs: int | None = None) -> list[dict]:
        """One row per M: estimate = the original estimate, CI = the robust CI (subgroup ``mbar=M`` or ``m=M``)."""
        key = "mbar" if self.method == "relative_magnitude" else "m"
        est = "honest_did_rm" if self.method == "relative_magnitude" else "honest_did_sd"
        return [
            make_row(study=study, outcome=outcome, estimator=est, estimate=self.estimate * scale,
                     std_error=self.std_error * abs(scale), ci_low=r.ci_low * scale, ci_high=r.ci_high * scale,
                     unit=unit, n_units=n_units, n_obs=n_obs, subgroup=f"{key}={r.M:g}", data=data)
            for r in self.grid.itertuples(index=False)
        ]


def honest_did(
    cs: CSResult,
    e: int | Literal["average"] = 0,
    method: Literal["relative_magnitude", "smoothness"] = "relative_magnitude",
    mbar: Sequence[float] | None = None,
    alpha: float = 0.05,
) -> HonestResult:
    """Sensitivity of the event-study ATT to violations of parallel trends (diff-diff ``HonestDiD``).

    Parameters
    ----------
    cs : CSResult
        A Callaway–Sant'Anna fit. HonestDiD needs a common (universal) base period: a ``varying``-base fit is refitted
        with ``base_period="universal"`` on the same panel (post-treatment effects are identical; noted).
    e : int or "average"
        Target: the event-time effect e (default the on-impact effect, R's default) or the average over e ≥ 0.
    method : {"relative_magnitude", "smoothness"}
        Δ^RM (post-period violations ≤ M̄ × the largest pre-period one) or Δ^SD (bounded second differences, M in
        outcome units). Smoothness with ``e="average"`` is slow (≈ 15 s on mpdta).
    mbar : sequence of float, optional
        Grid of M (default 0–2 by 0.25 for relative magnitudes, 0–0.05 for smoothness).

    Returns
    -------
    HonestResult
    """
    from diff_diff import HonestDiD

    notes: list[str] = []
    if cs.settings["base_period"] != "universal":
        if cs._panel is None:
            raise ValueError("honest_did needs a fit with base_period='universal'")
        s = {k: v for k, v in cs.settings.items() if k not in ("outcome", "unit", "time")}
        s["base_period"] = "universal"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cs = callaway_santanna(cs._panel, cs.settings["outcome"], cs.settings["unit"], cs.settings["time"], FT, **s)
        notes.append("refitted with base_period='universal' (a common reference period, as HonestDiD requires)")
    es = cs.raw.aggregate("event_study")
    times = np.asarray(es.event_time)
    ref = np.asarray(es.is_reference, dtype=bool) if es.is_reference is not None else np.zeros(len(times), bool)
    post = [int(x) for x, r in zip(times, ref) if x >= 0 and not r]
    if e == "average":
        l_vec, target = None, "average over e >= 0"
    else:
        if e not in post:
            raise ValueError(f"honest_did: e={e} not among the post-treatment event times {post}")
        l_vec = np.array([1.0 if x == e else 0.0 for x in post])
        target = f"event_time={e}"
    if mbar is None:
        mbar = np.arange(0, 2.01, 0.25) if method == "relative_magnitude" else [0, 0.005, 0.01, 0.02, 0.05]
    h = HonestDiD(method=method, alpha=alpha, l_vec=l_vec)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*universal.*")
        sens = h.sensitivity_analysis(es, M_grid=list(mbar))
    grid = sens.to_dataframe().rename(columns={"ci_lb": "ci_low", "ci_ub": "ci_high", "is_significant": "significant"})
    return HonestResult(method, target, float(sens.original_estimate), float(sens.original_se), grid,
                        None if sens.breakdown_M is None else float(sens.breakdown_M), notes, raw=sens)


# --- Goodman-Bacon ------------------------------------------------------------------------------------------------


@dataclass
class BaconResult:
    """Goodman-Bacon (2021) decomposition of the TWFE estimate into 2×2 comparisons.

    ``comparisons``: ``treated_group, control_group, type`` (``treated_vs_never``, ``earlier_vs_later``,
    ``later_vs_earlier`` — the forbidden one, already-treated units as controls), ``estimate, weight, n_treated,
    n_control``. ``by_type``: total weight and weighted mean estimate per type. Σ weight × estimate = ``twfe_estimate``.
    """

    twfe_estimate: float
    comparisons: pd.DataFrame
    by_type: pd.DataFrame
    n_units: int
    n_obs: int
    notes: list[str]
    raw: Any = field(repr=False, default=None)

    def table(self) -> pd.DataFrame:
        return self.comparisons.copy()

    def summary(self) -> pd.DataFrame:
        return self.by_type.copy()

    def to_rows(self, study: str, outcome: str, unit: str, data: str | None = None, scale: float = 1.0) -> list[dict]:
        """One row per comparison type (``subgroup="comparison=<type>"``, estimator ``bacon``, no SE): the type's
        weighted mean 2×2 estimate. The weights have no results-table column; show :meth:`summary`."""
        return [
            make_row(study=study, outcome=outcome, estimator="bacon", estimate=r.estimate * scale, unit=unit,
                     n_units=self.n_units, n_obs=self.n_obs, subgroup=f"comparison={r.type}", data=data)
            for r in self.by_type.itertuples(index=False)
        ]


def bacon_decomposition(df: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str) -> BaconResult:
    """Goodman-Bacon decomposition (diff-diff ``BaconDecomposition``, exact weights) on the balanced panel.

    The panel is prepared as for :func:`callaway_santanna` (balanced; see :func:`prepare_panel`).
    """
    from diff_diff import BaconDecomposition

    panel, notes, _ = prepare_panel(df, outcome, unit, time, cohort)
    raw = BaconDecomposition(weights="exact").fit(panel, outcome=outcome, unit=unit, time=time, first_treat=FT)
    comp = raw.to_dataframe().rename(columns={"comparison_type": "type"})
    comp["weighted"] = comp["estimate"] * comp["weight"]
    by = comp.groupby("type", sort=False).agg(weight=("weight", "sum"), weighted=("weighted", "sum"),
                                              n_comparisons=("weight", "size"))
    by["estimate"] = by["weighted"] / by["weight"]
    by = by.reset_index()[["type", "weight", "estimate", "n_comparisons"]]
    comp = comp.drop(columns="weighted")
    return BaconResult(float(raw.twfe_estimate), comp, by, int(panel[unit].nunique()), len(panel), notes, raw=raw)
