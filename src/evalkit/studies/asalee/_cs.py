"""TEMPORARY (phase A of issue 13): the chapter's former diff-diff wrapper, moved verbatim from ``studies/asalee.py``.

It goes when the study switches to the shared engine (``estimators.callaway_santanna`` with ``weights=``/``cluster=``,
``CSResult.pretest("event_time")``, ``estimators.honest_did``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from ...estimators.base import Estimate, clean_cohort


@dataclass
class CSFit:
    """A weighted Callaway–Sant'Anna fit (diff-diff) and what the chapter reads from it.

    ``simple``: overall ATT (post-treatment ATT(g,t) averaged with cohort-size weights — sizes in patients when
    weighted). ``event``: ``event_time, estimate, std_error, ci_low, ci_high, n_units`` (treated units contributing).
    ``pretest_*``: joint Wald test that every pre-treatment event-time coefficient is 0 (χ², event-study covariance).
    ``n_units`` / ``n_treated`` / ``n_obs``: units in the fit, treated units, underlying observations (e.g.
    patient-years). ``notes``: what the panel preparation dropped.
    """

    outcome: str
    simple: Estimate
    event: pd.DataFrame
    pretest_stat: float
    pretest_df: int
    pretest_p: float
    n_units: int
    n_treated: int
    n_control: int
    n_obs: int
    notes: list[str]
    settings: dict
    raw: Any = field(repr=False, default=None)
    panel: pd.DataFrame | None = field(repr=False, default=None)


def _prepare(panel: pd.DataFrame, outcome: str, unit: str, time: str, cohort: str,
             extra: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """Balanced panel for CS (rules of R ``did`` with panel=TRUE, as evalkit.estimators.prepare_panel)."""
    d = panel[[unit, time, outcome, cohort, *extra]].copy()
    notes: list[str] = []
    d["_c"] = clean_cohort(d[cohort])
    d = d[d[outcome].notna()]
    periods = np.sort(d[time].unique())
    if len(periods) < 2:
        raise ValueError("CS needs at least two periods")
    late = d["_c"] > periods[-1]
    if late.any():
        notes.append(f"{d.loc[late, unit].nunique()} unités entrées après {periods[-1]} comptées comme jamais traitées")
        d.loc[late, "_c"] = np.nan
    early = d["_c"] <= periods[0]
    if early.any():
        notes.append(f"{d.loc[early, unit].nunique()} unités entrées dès {periods[0]} (sans période avant) écartées")
        d = d[~early]
    n_per = d.groupby(unit)[time].nunique()
    short = n_per.index[n_per < len(periods)]
    if len(short):
        notes.append(f"{len(short)} unités non observées chaque année écartées (panel cylindré)")
        d = d[~d[unit].isin(short)]
    d["_ft"] = d["_c"].fillna(0).astype(int)
    return d.drop(columns="_c").sort_values([unit, time]).reset_index(drop=True), notes


def cs_fit(panel: pd.DataFrame, outcome: str, unit: str = "gp_id", time: str = "year", cohort: str = "asalee_year",
           weight: str | None = "weight", psu: str | None = None, n_obs: str | None = "n_patients",
           control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
           base_period: Literal["varying", "universal"] = "varying") -> CSFit:
    """Callaway–Sant'Anna on a unit × year panel with unit weights and a PSU (cluster) — a thin diff-diff call.

    No covariates (outcome regression = IPW = DR then). Analytic influence-function SEs; with a ``SurveyDesign``
    (pweights ``weight``, PSU ``psu``, default the unit itself) the variance is the design-based one, i.e. clustered
    at the PSU level; confidence intervals use the t distribution with (PSUs − 1) degrees of freedom.
    ``n_obs``: column summed to report the underlying observations (patient-years); None = rows.
    """
    from diff_diff import CallawaySantAnna, SurveyDesign

    extra = [c for c in {weight, psu, n_obs} if c and c not in (unit, time, outcome, cohort)]
    d, notes = _prepare(panel, outcome, unit, time, cohort, extra)
    n_treated = int(d.loc[d["_ft"] > 0, unit].nunique())
    n_control = int(d.loc[d["_ft"] == 0, unit].nunique())
    if n_treated == 0:
        raise ValueError("CS: no treated unit with a pre-period in the data")
    if control_group == "never_treated" and n_control == 0:
        raise ValueError("CS: no never-treated unit; use control_group='not_yet_treated'")
    # Integer codes for the unit and PSU ids: diff-diff factorises strings on every call otherwise.
    fit_unit, fit_psu = "_unit", None
    d["_unit"] = pd.factorize(d[unit])[0]
    if psu is not None:
        d["_psu"] = pd.factorize(d[psu])[0]
        fit_psu = "_psu"
    design = None
    if weight is not None or psu is not None:
        design = SurveyDesign(weights=weight, psu=fit_psu)
    est = CallawaySantAnna(control_group=control_group, estimation_method="reg", base_period=base_period,
                           cband=False, n_bootstrap=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = est.fit(d, outcome=outcome, unit=fit_unit, time=time, first_treat="_ft", survey_design=design)
        simple_df = raw.aggregate("simple").to_dataframe().iloc[0]
        es = raw.aggregate("event_study")
    for w in caught:
        msg = str(w.message)
        if "weights normalized to mean=1" in msg:
            continue  # diff-diff rescales pweights to mean 1 and says so: harmless (ATTs are ratios of weighted sums)
        if "could not be estimated" in msg:
            # Group-time cells without a comparison unit (e.g. the last cohort with not-yet-treated controls):
            # they are left out of every aggregate, as in R did; recorded in the notes, not shown as a warning.
            notes.append("cellules (cohorte, année) sans témoin non estimées : " + msg.split(":")[0])
            continue
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    nobs = int(d[n_obs].sum()) if n_obs and n_obs in d else len(d)
    n_units = int(d[unit].nunique())
    simple = Estimate("cs_simple", float(simple_df["att"]), float(simple_df["se"]),
                      float(simple_df["conf_int_lower"]), float(simple_df["conf_int_upper"]),
                      float(simple_df["p_value"]), n_units=n_units, n_obs=nobs)
    tab = es.to_dataframe()
    ref = tab["is_reference"].astype(bool) if "is_reference" in tab else pd.Series(False, index=tab.index)
    tab = tab[~ref]
    sizes = {int(k): int(v) for k, v in d.drop_duplicates(unit)["_ft"].value_counts().items()}
    cohorts = sorted(c for c in sizes if c > 0)
    periods = set(int(x) for x in d[time].unique())

    def n_at(e: int) -> int:
        return int(sum(sizes[g] for g in cohorts if (g + e) in periods))

    event = pd.DataFrame({
        "event_time": tab["event_time"].astype(int).to_numpy(),
        "estimate": tab["att"].to_numpy(float),
        "std_error": tab["se"].to_numpy(float),
        "ci_low": tab["conf_int_lower"].to_numpy(float),
        "ci_high": tab["conf_int_upper"].to_numpy(float),
    })
    event["n_units"] = [n_at(e) for e in event["event_time"]]
    w, q, p = _pretest(es)
    settings = dict(outcome=outcome, unit=unit, time=time, cohort=cohort, weight=weight, psu=psu or unit,
                    control_group=control_group, base_period=base_period, est_method="reg", covariates=[])
    return CSFit(outcome, simple, event, w, q, p, n_units, n_treated, n_control, nobs, notes, settings,
                 raw=raw, panel=d)


def _pretest(es: Any) -> tuple[float, int, float]:
    """Joint Wald test of the pre-treatment event-time coefficients (χ²) from diff-diff's event-study covariance."""
    idx = list(np.asarray(es.vcov_index)) if getattr(es, "vcov_index", None) is not None else []
    if not idx or es.vcov is None:
        return float("nan"), 0, float("nan")
    tab = es.to_dataframe().set_index("event_time")
    pre = [e for e in idx if e < 0 and not bool(tab.loc[e, "is_reference"])]
    if not pre:
        return float("nan"), 0, float("nan")
    pos = [idx.index(e) for e in pre]
    v = np.asarray(es.vcov)[np.ix_(pos, pos)]
    a = tab.loc[pre, "att"].to_numpy(float)
    if not np.all(np.isfinite(v)) or np.linalg.cond(v) > 1e12:
        return float("nan"), len(pre), float("nan")
    w = float(a @ np.linalg.solve(v, a))
    return w, len(pre), float(stats.chi2.sf(w, len(pre)))


@dataclass
class HonestFit:
    """HonestDiD (Rambachan & Roth 2023), relative magnitudes, on the average post-entry effect.

    ``grid``: ``M, ci_low, ci_high`` (robust 95 % CI for the average event-time effect e ≥ 0 when post-entry
    violations of parallel trends may reach M̄ times the largest pre-entry one). ``breakdown``: smallest M̄ at which
    the robust CI includes 0 (None if never on the grid).
    """

    estimate: float
    std_error: float
    grid: pd.DataFrame
    breakdown: float | None


def honest(fit: CSFit, mbar: Sequence[float] = (0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0)) -> HonestFit | None:
    """HonestDiD sensitivity of ``fit``'s average post-entry effect (refit with a universal base period, as
    HonestDiD requires; post-entry effects are identical). None when there is no pre-period to learn from."""
    from diff_diff import HonestDiD

    s = fit.settings
    uni = cs_fit(fit.panel.drop(columns="_ft"), s["outcome"], s["unit"], s["time"], s["cohort"],
                 weight=s["weight"], psu=s["psu"] if s["psu"] != s["unit"] else None,
                 n_obs=None, control_group=s["control_group"], base_period="universal")
    es = uni.raw.aggregate("event_study")
    tab = es.to_dataframe()
    pre = tab[(tab["event_time"] < 0) & ~tab["is_reference"].astype(bool)]
    if len(pre) == 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # diff-diff notes about the universal base: checked, expected here
        sens = HonestDiD(method="relative_magnitude", alpha=0.05).sensitivity_analysis(es, M_grid=list(mbar))
    g = sens.to_dataframe().rename(columns={"ci_lb": "ci_low", "ci_ub": "ci_high", "is_significant": "significant"})
    g = g[["M", "ci_low", "ci_high", "significant"]].reset_index(drop=True)
    bd = sens.breakdown_M
    return HonestFit(float(sens.original_estimate), float(sens.original_se), g, None if bd is None else float(bd))

