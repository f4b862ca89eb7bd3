"""Estimator agreement panel: the same overall ATT by the heterogeneity-robust estimators of diff-diff 3.13.

One call shape, :func:`agreement` ``(panel_or_frame, outcome, unit, time, cohort, *, weights, cluster,
control_group, estimators, headline)``, and one frozen result, :class:`AgreementResult`: for each estimator its
:class:`~.base.Estimate` (estimate, SE, 95 % CI, units and observations), the warnings it raised (collected with
:func:`~.base.collect_warnings`, never printed) and, if it failed, the reason — a failed estimator is recorded, never
raised. Nothing is re-implemented: every number is diff-diff's public API (``SunAbraham``, ``ImputationDiD``,
``TwoStageDiD``, ``ChaisemartinDHaultfoeuille``, ``WooldridgeDiD``) or evalkit's own static TWFE
(:func:`~.did.twfe`, the classic comparison).

Same estimand as the Callaway–Sant'Anna simple ATT
-------------------------------------------------
CS « simple » (R ``aggte(type = "simple")``) averages the post-treatment ATT(g,t) with cohort-size weights: on a
balanced panel, the mean effect over every treated unit × period observation. Every wrapped estimator is fitted on
**the same estimation sample** as CS — the panel prepared by :func:`~.staggered.prepare` with the rules of
:func:`~.staggered.prepare_panel` (balanced panel, units treated from the first period dropped, entries after the
last period counted as never treated), so string ids, unbalanced careers and missing outcomes are handled once, in
the same way — and asked for the overall ATT over the same treated observations:

- ``sun_abraham`` (Sun & Abraham 2021): interaction-weighted event-study effects, overall = their average weighted by
  the treated observations at each event time — the same weighting. Controls: ``control_group`` (never-treated by
  default, as CS; the other periods of the treated units serve as their own pre-periods, all of them rather than
  CS's varying base period).
- ``imputation_bjs`` (Borusyak, Jaravel & Spiess 2024): unit and year effects fitted on every untreated observation,
  mean imputed effect over the treated observations — same weighting; controls are **all untreated observations**
  (never-treated and not-yet-treated units, and treated units before entry: the API has no never-treated option).
  SE: the paper's conservative Theorem 3 variance.
- ``two_stage_gardner`` (Gardner 2022): the same point estimate as the imputation estimator (same controls); the SE
  is the two-stage GMM sandwich, which accounts for the first stage.
- ``dcdh`` (de Chaisemartin & D'Haultfœuille 2020, 2024): the « cost–benefit » δ over horizons l = 1 … L (L = the
  longest exposure observed), i.e. the event-time effects DID_l weighted by the number of switchers at each horizon —
  with a binary, absorbing treatment, the mean effect over the treated observations up to L. Controls: units whose
  treatment has not changed yet (not-yet-treated and never-treated). SEs cluster by unit whatever ``cluster``
  (the API offers no other clustering; noted in ``notes``). diff-diff's SE of δ, √(Σ w_l² SE_l²), treats the
  horizons as independent although every DID_l of a unit shares its baseline year: it understates the SE. The panel
  reports instead the upper bound Σ w_l SE_l (horizons perfectly correlated), from the same public per-horizon SEs
  (``event_study_effects``) and weights (``cost_benefit_delta``) — conservative, never too small.
  diff-diff applies unit weights within (unit, period) cells only: on a unit × period panel, dCDH weights every
  unit equally whatever ``weights`` (noted in ``notes``) — its estimand then differs from a weighted CS.
- ``wooldridge_etwfe`` (Wooldridge 2025, extended TWFE): saturated cohort × year regression, « simple » aggregation
  (cells weighted by their treated observations). With never-treated controls (the default here, as CS) its point
  estimate coincides with Sun & Abraham on a balanced panel without covariates; with ``control_group=
  "not_yet_treated"`` (the jwdid default) with the imputation estimator.
- ``twfe``: static two-way fixed effects (:func:`~.did.twfe`), *not* an ATT under staggered adoption with
  heterogeneous effects — the classic comparison the others correct.

Covariates (``covariates``: time-invariant, e.g. baseline characteristics, as a doubly robust CS uses them): the
conditional parallel-trends assumption is entered the regression way, as covariate × period interactions (one trend
per covariate level, linear in the covariate) in Sun & Abraham, the imputation and two-stage estimators, dCDH (its
``DID^X`` residualisation) and the static TWFE; the extended TWFE takes them as Wooldridge does (``exovar``: period ×
covariate, cohort × covariate and cell × centred covariate terms). Time-invariant covariates on their own would be
absorbed by the unit effects. This is linear conditional parallel trends, not CS's doubly robust weighting: with
covariates, a gap to a doubly robust headline can come from that difference.

Where the wrapped estimators differ from the study's CS besides: the controls differ as listed; the CS varying base period compares each post-period to
the year before entry, the regression-based estimators use every pre-period. Unit weights (``weights``) are passed
as diff-diff sampling weights (``SurveyDesign(weights=…)``) to every estimator and as regression weights to TWFE.
"""

from __future__ import annotations

import json
import os
import time as _time
from dataclasses import dataclass, field
from typing import Any, Callable, Literal, Sequence

import numpy as np
import pandas as pd

from ..disclosure import MIN_CELL
from .base import Estimate, collect_warnings
from .did import twfe as _twfe
from .staggered import FT, Panel, _survey, prepare

#: Results labels (``contracts.ESTIMATORS``) of the wrapped estimators, in display order.
ROBUST = ("sun_abraham", "imputation_bjs", "two_stage_gardner", "dcdh", "wooldridge_etwfe")
#: Every estimator of the panel: the robust ones and the static TWFE.
ALL = (*ROBUST, "twfe")
HEADLINE = "cs_simple"  #: label of the study's headline (Callaway–Sant'Anna simple ATT) in :meth:`AgreementResult.table`
#: Estimators not fitted above :data:`MAX_UNITS` units unless asked, with why: the costliest of the panel at national
#: size on the 2-core reference machine (benchmarks/README.md). Gardner's GMM sandwich in diff-diff 3.13 builds a dense
#: clusters × (units + periods) score matrix column by column (≈ 1 GB at 12,000 GPs, 22 GB at 52,000) and dCDH loops
#: over groups in Python: both grow with the square of the number of units (≈ 30 s and 15 s per outcome on the
#: national Asalée panel, 530 s and 310 s in all). The extended TWFE regresses on one column per cohort × year cell
#: (and per cell × covariate with covariates): 15–20 s per outcome on the national MSP panel, 45 s with the four
#: covariates of the assistants panel, where Sun & Abraham and the imputation estimator take 4–7 s.
COSTLY = {
    "two_stage_gardner": "time and memory grow with the square of the number of units",
    "dcdh": "time grows with the square of the number of units",
    "wooldridge_etwfe": "one regressor per cohort × year cell (and per cell × covariate)",
}
#: Above this many units, :data:`COSTLY` estimators are not computed unless asked (``max_units=None``, or the
#: environment variable :data:`ENV_FULL` set to 1 — ``evalkit run --full-panel``). Every bundled panel is below it.
MAX_UNITS = 10_000
ENV_FULL = "EVALKIT_FULL_PANEL"
#: When set to a file path, each panel appends one JSON line per estimator (page, outcome, estimator, status, seconds,
#: units, observations): how ``benchmarks/run_bench.py`` shows what the panel costs inside a real ``evalkit run``.
#: The page is ``EVALKIT_PAGE``, which :mod:`evalkit.execute` sets for each chapter's kernel.
ENV_TIMINGS = "EVALKIT_TIMINGS"
#: Warnings of diff-diff that restate a documented choice (not a problem of the data): left out of ``warnings``.
_IGNORE = (r"aggregate.*deprecated", r"twfe_diagnostic", r"SurveyDesign.*normaliz", r"weights.*normali[sz]ed",
           r"DataFrame is highly fragmented")  # the last: pandas, inside WooldridgeDiD


@dataclass(frozen=True)
class EstimatorFit:
    """One estimator of the panel: ``estimate`` (None if it failed, ``failed`` then says why), the ``warnings`` it
    raised, the wall time ``seconds``."""

    name: str
    estimate: Estimate | None
    failed: str | None = None
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0
    skipped: bool = False  #: not computed by choice (:data:`MAX_UNITS`); ``failed`` then says why

    @property
    def ok(self) -> bool:
        return self.estimate is not None and np.isfinite(self.estimate.estimate)


@dataclass(frozen=True)
class AgreementResult:
    """The agreement panel of one outcome: ``fits`` (one :class:`EstimatorFit` per estimator, in the order asked),
    the study's ``headline`` (its CS simple ATT, or None), the sample (``n_units``, ``n_obs``), ``notes`` (panel
    preparation, estimator-specific choices) and ``settings``."""

    outcome: str
    fits: tuple[EstimatorFit, ...]
    headline: Estimate | None
    n_units: int
    n_obs: int
    notes: tuple[str, ...] = ()
    settings: dict = field(default_factory=dict, compare=False)

    def __getitem__(self, name: str) -> EstimatorFit:
        for f in self.fits:
            if f.name == name:
                return f
        raise KeyError(f"no estimator {name!r} in the panel ({', '.join(f.name for f in self.fits)})")

    def estimate(self, name: str) -> Estimate | None:
        """The estimate of ``name`` (``cs_simple``: the headline), None if it failed."""
        return self.headline if name == HEADLINE else self[name].estimate

    @property
    def failed(self) -> dict[str, str]:
        """{estimator: reason} of the estimators that failed (not those skipped by choice: :attr:`skipped`)."""
        return {f.name: f.failed or "no finite estimate" for f in self.fits if not f.ok and not f.skipped}

    @property
    def skipped(self) -> dict[str, str]:
        """{estimator: reason} of the estimators not computed by choice (panel too large: :data:`MAX_UNITS`)."""
        return {f.name: f.failed or "" for f in self.fits if f.skipped}

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every warning raised, prefixed by its estimator."""
        return tuple(f"{f.name}: {w}" for f in self.fits for w in f.warnings)

    def table(self) -> pd.DataFrame:
        """One row per estimator (the headline first, if any): ``estimator, estimate, std_error, ci_low, ci_high,
        p_value, n_units, n_obs, gap_se, status, reason, n_warnings, seconds``. ``gap_se`` = (estimate − headline) /
        headline SE."""
        rows = []
        items = ([(HEADLINE, self.headline, None, (), 0.0, False)] if self.headline is not None else []) + \
            [(f.name, f.estimate, f.failed, f.warnings, f.seconds, f.skipped) for f in self.fits]
        h = self.headline
        for name, e, reason, warns, secs, skipped in items:
            ok = e is not None and np.isfinite(e.estimate)
            gap = (e.estimate - h.estimate) / h.std_error if ok and h is not None and h.std_error > 0 else np.nan
            rows.append({"estimator": name,
                         **{k: getattr(e, k) if e is not None else np.nan
                            for k in ("estimate", "std_error", "ci_low", "ci_high", "p_value")},
                         "n_units": e.n_units if e is not None else None, "n_obs": e.n_obs if e is not None else None,
                         "gap_se": gap, "status": "ok" if ok else ("skipped" if skipped else "failed"),
                         "reason": None if ok else (reason or "no finite estimate"), "n_warnings": len(warns),
                         "seconds": secs})
        return pd.DataFrame(rows)

    summary = table

    def flagged(self, k: float = 2.0, include_twfe: bool = True) -> dict[str, float]:
        """{estimator: gap in headline SEs} of the estimators more than ``k`` headline SEs from the headline."""
        if self.headline is None:
            return {}
        t = self.table()
        t = t[(t["estimator"] != HEADLINE) & (t["status"] == "ok") & (t["gap_se"].abs() > k)]
        if not include_twfe:
            t = t[t["estimator"] != "twfe"]
        return dict(zip(t["estimator"], t["gap_se"].astype(float)))

    def to_rows(self, study: str, unit: str, *, data: str | None = None, scale: float = 1.0,
                subgroup: str = "all", skip: Sequence[str] = ("twfe",), min_units: int = MIN_CELL) -> list[dict]:
        """Results rows (``estimator`` = the wrapped estimator's label) of the estimators that did not fail, estimate,
        SE and CI × ``scale``; ``skip``: labels a study already writes (by default TWFE). Never a headline."""
        rows: list[dict] = []
        for f in self.fits:
            if f.name in skip or not f.ok or (f.estimate.n_units is not None and f.estimate.n_units < min_units):
                continue
            rows += f.estimate.to_rows(study, self.outcome, unit, subgroup=subgroup, data=data, scale=scale,
                                       estimator=f.name)
        return rows


# --- the estimators -------------------------------------------------------------------------------------------------


def _from_diff_diff(name: str, res: Any, n_units: int, n_obs: int) -> Estimate:
    """Overall ATT of a diff-diff result (``overall_att``, ``overall_se``, ``overall_conf_int``, ``overall_p_value``);
    for dCDH's δ, the conservative SE Σ w_l SE_l (module docstring) with a normal CI."""
    delta = getattr(res, "cost_benefit_delta", None) if name == "dcdh" else None
    if delta and np.isfinite(res.overall_att):
        w = {int(k): float(v) for k, v in delta.get("weights", {}).items() if v > 0}
        se = [res.event_study_effects.get(k, {}).get("se", np.nan) for k in w]
        bound = float(sum(wk * s for wk, s in zip(w.values(), se)))
        if w and np.isfinite(bound) and bound > 0:
            return Estimate.from_se(name, float(res.overall_att), bound, n_units=n_units, n_obs=n_obs)
        return Estimate(name, float(res.overall_att), np.nan, np.nan, np.nan, np.nan, n_units=n_units, n_obs=n_obs)
    lo, hi = res.overall_conf_int
    return Estimate(name, float(res.overall_att), float(res.overall_se), float(lo), float(hi),
                    float(res.overall_p_value), n_units=n_units, n_obs=n_obs)


def _with_trends(cls: str, *options: str) -> Callable[..., Any]:
    """Fitter of diff-diff's estimator ``cls`` (``cluster`` and the settings named in ``options``) with the covariate
    × period terms as covariates: Sun & Abraham, the imputation and the two-stage estimators."""

    def fit(d, y, unit, time, *, weights, cluster, trends, **kw):
        import diff_diff

        est = getattr(diff_diff, cls)(cluster=cluster, **{k: kw[k] for k in options})
        return est.fit(d, outcome=y, unit=unit, time=time, first_treat=FT, covariates=trends or None,
                       survey_design=_survey(d, weights))

    return fit


def _dcdh(d, y, unit, time, *, weights, trends, **_):
    from diff_diff import ChaisemartinDHaultfoeuille

    g = d[FT].to_numpy(float)
    t = d[time].to_numpy()
    d = d.assign(_treated=((g > 0) & (t >= g)).astype(int))
    cohorts = g[g > 0]
    periods = np.unique(t)
    # horizons l = 1 … L: l = 1 is the entry year; L = the longest exposure observed, within the panel
    l_max = int(min(periods.max() - cohorts.min() + 1, len(periods) - 1)) if len(cohorts) else 1
    est = ChaisemartinDHaultfoeuille(placebo=False, twfe_diagnostic=False)
    kw = dict(covariates=list(trends)) if trends else {}
    return est.fit(d, outcome=y, unit=unit, time=time, treatment="_treated", L_max=max(l_max, 1),
                   survey_design=_survey(d, weights), **kw)


def _wooldridge(d, y, unit, time, *, weights, cluster, control_group, covariates, **_):
    from diff_diff import WooldridgeDiD

    est = WooldridgeDiD(control_group=control_group, cluster=cluster)
    return est.fit(d, outcome=y, unit=unit, time=time, first_treat=FT, exovar=list(covariates) or None,
                   survey_design=_survey(d, weights))


def _covariate_trends(d: pd.DataFrame, time: str, covariates: Sequence[str]) -> pd.DataFrame:
    """Covariate × period columns ``_xt<j>_<period>`` (first period left out): one year effect per covariate unit."""
    if not covariates:
        return pd.DataFrame(index=d.index)
    t = d[time].to_numpy()
    cols = {}
    for j, c in enumerate(covariates):
        x = pd.to_numeric(d[c], errors="coerce").to_numpy(float)
        for p in np.unique(t)[1:]:
            cols[f"_xt{j}_{p}"] = np.where(t == p, x, 0.0)
    return pd.DataFrame(cols, index=d.index)


def _columns(name: str, d: pd.DataFrame, outcome: str, unit: str, time: str, kw: dict) -> list[str]:
    """The columns estimator ``name`` reads: each diff-diff fit copies and reshapes the whole frame it is given, so
    it gets only these (on the national MSP panel, the six unused baseline covariates doubled Sun & Abraham's time).
    Wooldridge's extended TWFE takes the covariates themselves, the others their covariate × period terms."""
    extra = [kw["weights"], kw["cluster"], *(kw["covariates"] if name == "wooldridge_etwfe" else kw["trends"])]
    return list(dict.fromkeys(c for c in [unit, time, FT, outcome, *extra] if c))


_FITTERS: dict[str, Callable[..., Any]] = {
    "sun_abraham": _with_trends("SunAbraham", "control_group"),
    "imputation_bjs": _with_trends("ImputationDiD"),
    "two_stage_gardner": _with_trends("TwoStageDiD"),
    "dcdh": _dcdh,
    "wooldridge_etwfe": _wooldridge,
}


def agreement(
    df: pd.DataFrame | Panel,
    outcome: str,
    unit: str | None = None,
    time: str | None = None,
    cohort: str | None = None,
    *,
    weights: str | None = None,
    cluster: str | None = None,
    control_group: Literal["never_treated", "not_yet_treated"] = "never_treated",
    covariates: Sequence[str] | None = None,
    estimators: Sequence[str] = ALL,
    headline: Estimate | None = None,
    max_units: int | None | Literal["auto"] = "auto",
    static_twfe: Estimate | None = None,
) -> AgreementResult:
    """The overall ATT of ``outcome`` by each estimator of ``estimators`` (:data:`ALL` by default), on the sample
    Callaway–Sant'Anna uses.

    Parameters
    ----------
    df : DataFrame or Panel
        Long panel (one row per unit and period; string ids, unbalanced careers, missing outcomes and nullable dtypes
        accepted: it is prepared by the rules of :func:`~.staggered.prepare_panel`), or a :class:`~.staggered.Panel`
        from :func:`~.staggered.prepare` — the one the study's CS fits used, so that the sample is the same
        (``unit``, ``time``, ``cohort``, ``weights`` then come from it).
    outcome, unit, time : str
        Column names.
    cohort : str
        First treated period; NaN, 0 or inf = never treated.
    weights : str, optional
        Time-invariant unit weights (diff-diff sampling weights; TWFE regression weights).
    cluster : str, optional
        Time-invariant cluster column for the SEs (default: the unit); dCDH clusters by unit whatever it is.
    control_group : {"never_treated", "not_yet_treated"}
        Controls of Sun & Abraham and of the extended TWFE (the other estimators: module docstring).
    covariates : sequence of str, optional
        Time-invariant covariates for conditional parallel trends (taken at each unit's first period, as CS does;
        units missing one are dropped): covariate × period terms, see the module docstring.
    estimators : sequence of str
        Labels among :data:`ALL`.
    headline : Estimate, optional
        The study's CS simple ATT, the reference of :meth:`AgreementResult.flagged` and the first row of
        :meth:`AgreementResult.table`.
    max_units : int, None or "auto"
        Above this many units the :data:`COSTLY` estimators are recorded as skipped, not fitted (the costliest at
        national size); None fits them at any size; "auto" (default): :data:`MAX_UNITS`,
        or None when the environment variable :data:`ENV_FULL` is 1.

    static_twfe : Estimate, optional
        A static TWFE the caller already fitted on these rows (e.g. the study's classic comparison, same outcome,
        unit and period effects, clustered by unit): used instead of a second identical fit when the panel has no
        covariates, weights or cluster and the fit's units and observations equal the panel's (the caller's rows
        are then a superset of the panel's with as many observations, i.e. the same rows). Otherwise ignored.

    Returns
    -------
    AgreementResult
        A failed estimator is recorded (``EstimatorFit.failed``), never raised; each one's warnings are collected.
    """
    unknown = [e for e in estimators if e not in ALL]
    if unknown:
        raise ValueError(f"agreement: unknown estimators {unknown}; choose among {', '.join(ALL)}")
    if isinstance(df, Panel):
        panel = df
        if weights is not None and weights != panel.weights:
            raise ValueError(f"agreement: weights {weights!r} differ from the prepared panel's {panel.weights!r}")
    else:
        if unit is None or time is None or cohort is None:
            raise TypeError("agreement: unit, time and cohort are required with a DataFrame")
        panel = prepare(df, unit, time, cohort, covariates=covariates, weights=weights)
    unit, time, weights = panel.unit, panel.time, panel.weights
    if cluster is not None and cluster == unit:
        cluster = None
    if cluster is not None:
        panel.check_invariant(cluster)
    covariates = list(covariates or [])
    extra = [c for c in [*covariates, *([cluster] if cluster else [])] if c not in panel.covariates]
    d, prep_notes, _ = panel.frame(outcome, extra=extra)
    if covariates:
        d = d.dropna(subset=covariates)  # a covariate outside the prepared panel's may be missing
        covariates = [c for c in covariates if d[c].nunique() > 1]
    trends = _covariate_trends(d, time, covariates)
    d = pd.concat([d, trends], axis=1) if len(trends.columns) else d
    codes = d[unit].to_numpy()
    n_units, n_obs = int(len(np.unique(codes))), len(d)
    notes = [f"panel prepared for estimation: {n}" for n in prep_notes]
    if "dcdh" in estimators and weights:
        notes.append("dcdh: diff-diff applies the weights within (unit, period) cells only; with one row per unit and "
                     "period its estimate weights every unit equally")
    if "dcdh" in estimators and cluster is not None:
        notes.append(f"dcdh: SEs clustered by unit, not by {cluster!r} (diff-diff offers no other clustering)")
    kw = dict(weights=weights, cluster=cluster, control_group=control_group, covariates=covariates,
              trends=list(trends.columns))
    if max_units == "auto":
        max_units = None if os.environ.get(ENV_FULL, "") == "1" else MAX_UNITS
    tw = static_twfe  # reused when it was fitted on these very rows with the same specification
    reuse_twfe = (tw is not None and not len(trends.columns) and not weights and cluster is None
                  and tw.n_units == n_units and tw.n_obs == n_obs and np.isfinite(tw.estimate))
    fits = []
    for name in estimators:
        if name in COSTLY and max_units is not None and n_units > max_units:
            fits.append(EstimatorFit(name, None, f"not computed: {n_units} units > {max_units} ({COSTLY[name]}; "
                                                 "max_units=None to fit it)", skipped=True))
            continue
        start = _time.perf_counter()
        est, reason = None, None
        with collect_warnings(short=True, unique=True, ignore=_IGNORE) as caught:
            try:
                if name == "twfe":
                    est = tw if reuse_twfe else _twfe(d, outcome, unit, time, FT, controls=list(trends.columns),
                                                      weights=weights)
                    est = Estimate(name, est.estimate, est.std_error, est.ci_low, est.ci_high, est.p_value,
                                   n_units=est.n_units, n_obs=est.n_obs)
                else:
                    res = _FITTERS[name](d[_columns(name, d, outcome, unit, time, kw)].copy(), outcome, unit,
                                         time, **kw)
                    est = _from_diff_diff(name, res, n_units, n_obs)
                if not np.isfinite(est.estimate):
                    reason = "no finite estimate"
            except Exception as e:  # noqa: BLE001 — one estimator failing must not stop the panel: recorded
                reason = f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"
                est = None
        fits.append(EstimatorFit(name, est, reason, tuple(caught), _time.perf_counter() - start))
    settings = dict(outcome=outcome, unit=unit, time=time, cohort=panel.cohort, weights=weights, cluster=cluster,
                    control_group=control_group, covariates=tuple(covariates), estimators=tuple(estimators))
    if os.environ.get(ENV_TIMINGS):
        lines = [json.dumps({"page": os.environ.get("EVALKIT_PAGE", ""), "outcome": outcome, "estimator": f.name,
                             "status": "ok" if f.ok else ("skipped" if f.skipped else "failed"),
                             "seconds": round(f.seconds, 3), "n_units": n_units, "n_obs": n_obs}) for f in fits]
        with open(os.environ[ENV_TIMINGS], "a", encoding="utf-8") as fh:  # one write: pages side by side do not mix
            fh.write("\n".join(lines) + "\n")
    return AgreementResult(outcome, tuple(fits), headline, n_units, n_obs, tuple(notes), settings)


__all__ = ["ALL", "COSTLY", "ENV_FULL", "ENV_TIMINGS", "HEADLINE", "MAX_UNITS", "ROBUST", "AgreementResult", "EstimatorFit", "agreement"]
