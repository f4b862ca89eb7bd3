"""Classic difference-in-differences: the 2×2 table, two-way fixed effects (TWFE) and the TWFE event study.

Regressions run on linearmodels (``PooledOLS`` for the 2×2, ``PanelOLS`` for the event study) with standard errors
clustered by unit; the static TWFE is fitted directly by the Frisch–Waugh–Lovell theorem (:func:`_twfe_within`: the
same numbers, tested against a dummy-variable fit by hand and fixest, without linearmodels' R² and rank passes, which
took ≈ 5 s a fit at national size), linearmodels only when ``fit_options`` are given or the design is rank
deficient. TWFE standard
errors, confidence intervals and p-values are fixest's (``feols(y ~ x | unit + year, cluster = ~unit)``, default
``ssc``): the CR1 covariance with the small-sample factor G/(G−1)·(n−1)/(n−K), where K counts the regressors **and
the fixed-effect levels not nested in the cluster variable** — the year effects, not the unit effects (fixest
``fixef.K = "nested"``) — and critical values / p-values from Student's t with G − 1 degrees of freedom (fixest
``t.df = "min"``). linearmodels' own default counts the absorbed unit effects (mpdta: 0.01482 instead of fixest's
0.01327); its ``count_effects=False`` counts the regressors only (ehec event study: SEs 1.1 % to 1.7 % too small).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from linearmodels.panel import PanelOLS, PooledOLS
from scipy import stats

from ..disclosure import MIN_CELL
from .base import Estimate, clean_cohort, normal_ci, normal_p, table_rows, treatment_dummy

#: ``PanelOLS.fit`` options of the TWFE fits. They give G/(G−1)·(n−1)/(n−k) with k = regressors only
#: (``debiased=True`` is linearmodels' default); :func:`_fixest_cov` then adds the year-effect levels to k.
FIXEST_LIKE = dict(cov_type="clustered", cluster_entity=True, auto_df=False, count_effects=False, group_debias=True)


def _fixest_cov(res: Any, n_periods: int) -> tuple[pd.DataFrame, int]:
    """fixest's clustered covariance (cluster = unit) from a ``PanelOLS`` fit with :data:`FIXEST_LIKE` options.

    linearmodels scales the cluster sandwich by G/(G−1)·(n−1)/(n−k), k = the estimated regressors; fixest uses
    K = k + the levels of the fixed effects not nested in the clusters (the ``n_periods`` year effects; the unit
    effects are nested in the unit clusters). Returns the covariance and the number of clusters G.
    """
    n, k = int(res.nobs), len(res.params)
    factor = (n - k) / (n - k - n_periods)
    return res.cov * factor, int(res.entity_info["total"])


def _t_inference(est: float, se: float, df: int) -> tuple[float, float, float]:
    """95 % CI and two-sided p-value from Student's t with ``df`` degrees of freedom (fixest ``t.df = "min"``)."""
    if se is None or not np.isfinite(se) or se <= 0 or df < 1:
        return float("nan"), float("nan"), float("nan")
    q = float(stats.t.ppf(0.975, df))
    return float(est - q * se), float(est + q * se), float(2 * stats.t.sf(abs(est / se), df))


def _inference(est: float, se: float, n_clusters: int | None) -> tuple[float, float, float]:
    """95 % CI and p-value: fixest's, t(G − 1); normal when ``n_clusters`` is None (``fit_options`` given)."""
    if n_clusters is None:
        return (*normal_ci(est, se), normal_p(est, se))
    return _t_inference(est, se, n_clusters - 1)


@dataclass(frozen=True)
class DiD2x2Result(Estimate):
    """2×2 DiD: :class:`Estimate` (regression form, SE clustered by unit) plus the table of means.

    ``means``: rows ``treated``, ``control``, ``difference``; columns ``pre``, ``post``, ``change``.
    ``counts``: units per cell (publish through :func:`evalkit.disclosure.suppress`).
    """

    means: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    counts: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    raw: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class TWFEResult(Estimate):
    """TWFE coefficient on D_it = 1{t ≥ cohort} with unit and year effects; ``raw`` is the linearmodels result when
    linearmodels fitted it (``fit_options``, or a design the direct fit declines), None otherwise."""

    raw: Any = field(default=None, repr=False, compare=False)


def _weighted(d: pd.DataFrame, weights: str | None) -> pd.DataFrame:
    """Add the regression weight column ``_w`` (1 without weights); drop zero-weight rows."""
    d = d.reset_index(drop=True)
    if not weights:
        return d.assign(_w=1.0)
    if (d[weights] < 0).any():
        raise ValueError(f"negative weights in {weights!r}")
    d = d[d[weights] > 0].reset_index(drop=True)
    return d.assign(_w=d[weights].astype(float))


def _one_row_each(df: pd.DataFrame, unit: str, time: str) -> pd.DataFrame:
    if df.duplicated([unit, time]).any():
        raise ValueError(f"duplicate ({unit}, {time}) rows: a panel has one row per unit and period")
    return df


def _panel(df: pd.DataFrame, unit: str, time: str) -> pd.DataFrame:
    return _one_row_each(df, unit, time).set_index([unit, time]).sort_index()


def _fe_fit(d: pd.DataFrame, outcome: str, unit: str, time: str, names: list[str], fit_options: dict | None,
            **model: Any) -> tuple[Any, pd.DataFrame, int | None]:
    """``PanelOLS`` with unit and period effects and the :data:`FIXEST_LIKE` options overridden by ``fit_options``:
    the fit, the covariance and the number of clusters — fixest's covariance (:func:`_fixest_cov`) by default,
    linearmodels' own and None with ``fit_options``."""
    p = _panel(d, unit, time)
    res = PanelOLS(p[outcome], p[names], entity_effects=True, time_effects=True, weights=p["_w"], **model).fit(
        **{**FIXEST_LIKE, **(fit_options or {})})
    return (res, res.cov, None) if fit_options else (res, *_fixest_cov(res, int(d[time].nunique())))


def did_2x2(
    df: pd.DataFrame, outcome: str, unit: str, time: str, treated: str, post: str, weights: str | None = None,
    cluster: str | None = None,
) -> DiD2x2Result:
    """Canonical 2×2 difference-in-differences.

    Parameters
    ----------
    df : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time : str
        Column names.
    treated : str
        0/1 column: unit belongs to the treated group (constant within unit).
    post : str
        0/1 column: period is after treatment.
    weights : str, optional
        Column of unit weights (e.g. matching weights); zero-weight rows are dropped.
    cluster : str, optional
        Column of a coarser sampling unit in which units are nested (e.g. the GP of a patient): SE clustered by it
        (CR1, G/(G−1) with G its levels) instead of by unit.

    Returns
    -------
    DiD2x2Result
        Coefficient of ``treated × post`` in ``y ~ 1 + treated + post + treated:post`` (pooled OLS, SE clustered
        by unit, or by ``cluster``); it equals the difference of the mean changes shown in ``means``.
    """
    extra = [cluster] if cluster and cluster != unit else []
    d = _weighted(df[[unit, time, outcome, treated, post, *([weights] if weights else []), *extra]].dropna(),
                  weights)
    d = d.assign(_T=d[treated].astype(float), _P=d[post].astype(float))
    d["_TP"] = d["_T"] * d["_P"]
    p = _panel(d, unit, time)
    exog = p[["_T", "_P", "_TP"]].assign(const=1.0)[["const", "_T", "_P", "_TP"]]
    if extra:
        by = {"clusters": pd.DataFrame({"cluster": pd.factorize(p[cluster])[0]}, index=p.index)}
    else:
        by = {"cluster_entity": True}
    res = PooledOLS(p[outcome], exog, weights=p["_w"]).fit(cov_type="clustered", group_debias=True, **by)
    est, se = float(res.params["_TP"]), float(res.std_errors["_TP"])
    cell = d.groupby(["_T", "_P"])
    wm = cell.apply(lambda c: np.average(c[outcome], weights=c["_w"]), include_groups=False)
    m = wm.unstack("_P").reindex(index=[1.0, 0.0], columns=[0.0, 1.0])
    means = pd.DataFrame(m.to_numpy(), index=["treated", "control"], columns=["pre", "post"])
    means["change"] = means["post"] - means["pre"]
    means.loc["difference"] = means.loc["treated"] - means.loc["control"]
    n = cell[unit].nunique().unstack("_P").reindex(index=[1.0, 0.0], columns=[0.0, 1.0])
    counts = pd.DataFrame(n.to_numpy(), index=["treated", "control"], columns=["pre", "post"])
    return DiD2x2Result.from_se("did_2x2", est, se, n_units=int(d[unit].nunique()), n_obs=len(d), means=means,
                                counts=counts, raw=res)


def twfe(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    controls: list[str] | None = None,
    fit_options: dict | None = None,
    weights: str | None = None,
) -> TWFEResult:
    """Two-way fixed effects: ``y_it = a_i + l_t + b·D_it (+ controls) + e_it``, D_it = 1{t ≥ cohort}.

    Parameters
    ----------
    df : DataFrame
        Long panel (unbalanced panels are accepted).
    outcome, unit, time : str
        Column names.
    cohort : str
        First treated period; NaN (or 0) = never treated.
    controls : list of str, optional
        Time-varying regressors.
    fit_options : dict, optional
        Overrides of :data:`FIXEST_LIKE` passed to ``PanelOLS.fit``. When given, the SE is linearmodels' own for
        those options, with a normal CI (no fixest correction); by default the SE, CI and p-value are fixest's
        (module docstring).
    weights : str, optional
        Column of unit weights (e.g. matching weights); zero-weight rows are dropped.

    Returns
    -------
    TWFEResult
        Fitted directly (two-way within transformation, :func:`_twfe_within`); ``raw`` is the linearmodels result
        when linearmodels fitted it (``fit_options``; rank-deficient design), its ``std_errors`` not fixest's. Under staggered adoption with effects varying over time or cohort, ``b`` is *not* an ATT: it is a weighted
        average of 2×2 comparisons, some with negative weights (see :func:`bacon_decomposition`).
    """
    controls = list(controls or [])
    d = df[[unit, time, outcome, cohort, *controls, *([weights] if weights else [])]].reset_index(drop=True)
    d["D"] = treatment_dummy(d, time, cohort)
    d = _weighted(d.dropna(subset=[outcome, *controls, *([weights] if weights else [])]), weights)
    # integer unit codes in the ids' sorted order: the same panel order as the ids (same numbers), without
    # linearmodels hashing string ids again at each of its groupings (≈ 2 s per fit on 780,000 rows)
    d[unit] = pd.factorize(d[unit], sort=True)[0]
    if not fit_options:
        fast = _twfe_within(_one_row_each(d, unit, time), outcome, unit, time, ["D", *controls])
        if fast is not None:
            return fast
    res, cov, n_clusters = _fe_fit(d, outcome, unit, time, ["D", *controls], fit_options)
    est, se = float(res.params["D"]), float(np.sqrt(cov.loc["D", "D"]))
    lo, hi, p_value = _inference(est, se, n_clusters)
    return TWFEResult("twfe", est, se, lo, hi, p_value, int(d[unit].nunique()), len(d), raw=res)


#: Alternating projections of :func:`_within`: stop when no value moves by more than this × the largest value.
WITHIN_TOL = 1e-13
WITHIN_MAX_ITER = 1000


def _within(m: np.ndarray, a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """Columns of ``m`` minus their weighted projection on the unit (codes ``a``) and period (codes ``b``) dummies:
    the two-way within transformation, by alternating projections (exact after one sweep on a balanced panel with
    unit-constant weights; iterated otherwise). None if it has not converged."""
    na, nb = int(a.max()) + 1, int(b.max()) + 1
    wa, wb = np.bincount(a, weights=w, minlength=na), np.bincount(b, weights=w, minlength=nb)
    x = m.copy()
    for it in range(WITHIN_MAX_ITER):
        old = x.copy()
        for j in range(x.shape[1]):
            c = x[:, j]
            c -= (np.bincount(a, weights=w * c, minlength=na) / wa)[a]
            c -= (np.bincount(b, weights=w * c, minlength=nb) / wb)[b]
        if np.max(np.abs(x - old), initial=0.0) <= WITHIN_TOL * max(1.0, np.max(np.abs(x), initial=0.0)):
            return x
    return None


def _twfe_within(d: pd.DataFrame, outcome: str, unit: str, time: str, regressors: list[str]) -> TWFEResult | None:
    """The TWFE fit of :func:`twfe` by the Frisch–Waugh–Lovell theorem: (weighted) least squares of the two-way
    demeaned outcome on the two-way demeaned regressors, fixest's CR1 covariance clustered by unit (module
    docstring: G/(G−1)·(n−1)/(n−K), K = regressors + period levels) and Student's t with G − 1 degrees of freedom.
    The same numbers as the linearmodels fit (tests: LSDV by hand and fixest on ehec and mpdta), ≈ 20× faster at
    national size (no R² or absorbed-column passes). None when the design is rank deficient or the projections do
    not converge: the caller then fits with linearmodels, which says why."""
    a = d[unit].to_numpy()
    b = pd.factorize(d[time], sort=True)[0]
    w = d["_w"].to_numpy(float)
    if len(d) == 0:
        return None
    z = _within(d[[outcome, *regressors]].to_numpy(float), a, b, w)
    if z is None:
        return None
    y, x = z[:, 0], z[:, 1:]
    xtwx = x.T @ (x * w[:, None])
    if np.linalg.matrix_rank(xtwx) < x.shape[1]:
        return None
    bread = np.linalg.inv(xtwx)
    beta = bread @ (x.T @ (w * y))
    scores = np.zeros((int(a.max()) + 1, x.shape[1]))
    np.add.at(scores, a, x * (w * (y - x @ beta))[:, None])
    n, k, g, t = len(d), x.shape[1], int(len(np.unique(a))), int(b.max()) + 1
    if g < 2 or n - k - t < 1:
        return None
    cov = bread @ (scores.T @ scores) @ bread * g / (g - 1) * (n - 1) / (n - k - t)
    est, se = float(beta[0]), float(np.sqrt(cov[0, 0]))
    lo, hi, p_value = _t_inference(est, se, g - 1)
    return TWFEResult("twfe", est, se, lo, hi, p_value, g, n)


@dataclass
class EventStudy:
    """Event-study coefficients by event time e = t − cohort (reference period row has estimate 0, SE NaN).

    ``vcov``: covariance of the estimated coefficients, indexed by event time on both axes (reference excluded) —
    the ``sigma`` of :func:`evalkit.estimators.honest.sensitivity`.
    """

    estimator: str
    coefficients: pd.DataFrame
    n_units: int
    n_obs: int
    reference: int = -1
    raw: Any = field(default=None, repr=False)
    vcov: pd.DataFrame | None = field(default=None, repr=False)

    def table(self) -> pd.DataFrame:
        """Columns ``event_time, estimate, std_error, ci_low, ci_high, p_value, n_units, is_reference``."""
        return self.coefficients.copy()

    summary = table

    def to_rows(
        self,
        study: str,
        outcome: str,
        unit: str,
        data: str | None = None,
        scale: float = 1.0,
        subgroup_prefix: str = "",
        min_units: int = MIN_CELL,
    ) -> list[dict]:
        """One row per estimated event time (``subgroup="<prefix>event_time=e"``); small cells left out."""
        coef = self.coefficients[~self.coefficients["is_reference"].astype(bool)]
        return table_rows(coef, "event_time", self.estimator, study, outcome, unit, data=data, scale=scale,
                          subgroup_prefix=subgroup_prefix, n_obs=self.n_obs, min_units=min_units)


def twfe_event_study(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    reference: int = -1,
    bin_min: int | None = None,
    bin_max: int | None = None,
    fit_options: dict | None = None,
    weights: str | None = None,
) -> EventStudy:
    """TWFE event study: unit and year effects plus relative-time dummies 1{t − cohort = e}, e ≠ ``reference``.

    Parameters
    ----------
    df : DataFrame
        Long panel.
    outcome, unit, time, cohort : str
        Column names (cohort NaN or 0 = never treated; never-treated units have all dummies at 0).
    reference : int
        Omitted event time (default −1).
    bin_min, bin_max : int, optional
        Bin the ends: event times below ``bin_min`` (above ``bin_max``) share the ``bin_min`` (``bin_max``) dummy.
    fit_options : dict, optional
        Overrides of :data:`FIXEST_LIKE`; when given, SEs are linearmodels' own with normal CIs (see :func:`twfe`).
    weights : str, optional
        Column of unit weights; zero-weight rows are dropped.

    Returns
    -------
    EventStudy
        SEs, CIs and p-values as fixest (module docstring) and the coefficients' covariance ``vcov``.
        Without never-treated units and without binning, the fully dynamic specification is not identified
        (linearmodels then drops a collinear dummy or fails); use binned ends or a never-treated group.
    """
    w = [weights] if weights else []
    d = _weighted(df[[unit, time, outcome, cohort, *w]].dropna(subset=[outcome, *w]), weights)
    c = clean_cohort(d[cohort])
    e = d[time] - c
    if bin_min is not None:
        e = e.where(e.isna() | (e >= bin_min), bin_min)
    if bin_max is not None:
        e = e.where(e.isna() | (e <= bin_max), bin_max)
    times = sorted(int(x) for x in e.dropna().unique() if int(x) != reference)
    if not times:
        raise ValueError("twfe_event_study: no treated unit observed at an event time other than the reference")
    names = [f"e_m{-k}" if k < 0 else f"e_p{k}" for k in times]
    for k, name in zip(times, names):
        d[name] = (e == k).astype(float)
    res, cov, n_clusters = _fe_fit(d, outcome, unit, time, names, fit_options, drop_absorbed=True)
    treated_units = d.assign(_e=e).dropna(subset=["_e"]).groupby("_e")[unit].nunique()
    rows = []
    for k, name in zip(times, names):
        est = float(res.params.get(name, np.nan))
        se = float(np.sqrt(cov.loc[name, name])) if name in cov.index else float("nan")
        lo, hi, p_value = _inference(est, se, n_clusters)
        rows.append((k, est, se, lo, hi, p_value, int(treated_units.get(k, 0)), False))
    rows.append((reference, 0.0, np.nan, np.nan, np.nan, np.nan, int(treated_units.get(reference, 0)), True))
    coef = pd.DataFrame(
        rows, columns=["event_time", "estimate", "std_error", "ci_low", "ci_high", "p_value", "n_units", "is_reference"]
    )
    coef = coef.sort_values("event_time").reset_index(drop=True)
    kept = [(k, name) for k, name in zip(times, names) if name in cov.index]
    vcov = pd.DataFrame(cov.loc[[n for _, n in kept], [n for _, n in kept]].to_numpy(),
                        index=[k for k, _ in kept], columns=[k for k, _ in kept])
    return EventStudy("twfe_event_study", coef, int(d[unit].nunique()), len(d), reference, raw=res, vcov=vcov)
