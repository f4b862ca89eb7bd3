"""Asalée: the estimation — a table following the ``asalee`` contract in, a frozen :class:`AsaleeResult` out.

No French, no environment read, no file access: sentences are in :mod:`.texts`, figures and tables in
:mod:`.display`, results rows in :mod:`.rows`.

Unit of analysis and estimand (the « Encadré Méthode » of the chapter)
---------------------------------------------------------------------
Treatment is decided at the GP level (``asalee_year``) and patients are nested in GPs. The intention-to-treat
(ITT) effect is therefore estimated on the **GP × year panel of indicator shares** (× 100, percentage points) built
by :func:`aggregate_gp_year`, with Callaway & Sant'Anna (2021) group-time ATTs (never-treated GPs as comparison,
no covariates, varying base period), **each GP weighted by its number of diabetic patients** (mean per year) so that
the estimand is the effect for the average diabetic patient of an Asalée GP, not for the average GP. Inference is
analytic (influence functions) with the GP as the sampling unit: clustered at the GP level by construction.

Why aggregate: without covariates, CS on GP-year shares weighted by patient counts gives *exactly* the same
group-time ATTs — hence the same simple, dynamic and cohort aggregates — as CS on the patient panel, when every
patient is observed every year (closed cohort); the standard errors agree up to the small-sample factor of the
clustered variance (tested in ``tests/test_asalee.py``). With entries and exits (an open cohort, the default) the GP
panel estimates the effect on the GP's diabetics *as they are each year*, and runs in milliseconds whatever the
number of patients (a national extract has tens of millions of patient-years).

Per protocol: patients present every year (closed cohort), treated = patients of Asalée GPs ever followed by the
nurse, cohort = first year followed; comparison = patients of never-Asalée GPs. They are aggregated by
GP × first-followed-year cell (weights = patients; cluster-robust influence-function variance by GP, Σ_c (Σ_{i∈c}
ψ_i)², normal intervals, as R ``did``'s ``clustervars``).

Effect on followed patients (fuzzy / Wald DiD, de Chaisemartin & D'Haultfœuille 2018): the ITT divided by the
first stage — the Callaway–Sant'Anna ATT of ``pct_followed`` (share of the GP's diabetics followed by the nurse) on
the same GP panel, weights and comparison group — with the delta-method SE from the two fits' joint influence
functions (:func:`evalkit.estimators.wald_did`). It needs no comparison of chosen patients; it assumes that the
nurse changes nothing for the patients she does not follow. The per-protocol CS stays as the published comparison;
per protocol − Wald (joint influence functions, clustered by GP) is a selection diagnostic.

Dose–response: within each tercile of intensity, the tercile's ITT divided by its own first stage (otherwise the
ITT rises mechanically with the share followed); equality of the terciles' effects on followed patients by a Wald
test on their joint influence functions (the terciles share the comparison GPs).

Multiplicity: Holm and Romano–Wolf adjusted p-values of the six ITT effects (Romano–Wolf by multiplier bootstrap
on the six fits' joint influence functions, seeded by ``seed``).

Every fit goes through the shared engine (:func:`evalkit.estimators.callaway_santanna`); each sample (GP panel,
per-protocol cells, each intensity group) is prepared once (:func:`evalkit.estimators.prepare`) for its indicators.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, Sequence

import numpy as np
import pandas as pd

from ...disclosure import MIN_CELL
from ...estimators import (CSResult, EventStudyBands, HonestResult, Panel, callaway_santanna, collect_warnings,
                           did_2x2, holm, honest_did, naive_cross_section, prepare, romano_wolf, twfe)
from ...estimators.agreement import AgreementResult, agreement
from ...estimators.base import Estimate, clean_cohort
from ...estimators.joint import difference, equality_test, estimate as if_estimate, simple_influence, stack, wald_did
from .. import BAND_DRAWS, BAND_SEED, HONEST_MBAR, ci_cells

INDICATORS = ("hba1c_3plus", "microalb", "creatinine", "lipids", "ecg_cardio", "fundus_2y")
MAIN = "hba1c_3plus"  #: the headline indicator (event study, HonestDiD, robustness, per-protocol 2×2)
INTENSITY_LABELS = {3: ("low", "mid", "high"), 2: ("low", "high")}
TAKE_UP = "pct_followed"  #: the first stage's outcome (column of :func:`aggregate_gp_year`, percent)
RW_DRAWS = 2999  #: multiplier-bootstrap draws of the Romano–Wolf adjusted p-values


# --- data preparation ---------------------------------------------------------------------------------------------


def aggregate_gp_year(df: pd.DataFrame, indicators: Sequence[str] = INDICATORS, by: Sequence[str] = ("gp_id",),
                      cohort: str = "asalee_year") -> pd.DataFrame:
    """Patient-year table → one row per ``by`` × year: indicator shares in percent (0–100), patient counts.

    Columns: ``*by, year, <cohort>, n_patients, n_followed, pct_followed, <indicator>…`` (shares × 100) and
    ``weight`` = the unit's mean number of patients per observed year (time-invariant, as a panel weight must be).
    A vectorised groupby: a national extract (tens of millions of rows) aggregates in seconds.
    """
    by = list(by)
    keys = by + ["year"]
    d = df[keys + [cohort, "nurse_followed", *indicators]].copy()
    # Nullable integer columns (as the contract's validation returns them) → plain floats for numpy/diff-diff.
    for c in ["nurse_followed", *indicators]:
        d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
    d[cohort] = pd.to_numeric(d[cohort], errors="coerce").astype(float)
    g = d.groupby(keys, sort=True, observed=True)
    out = g[list(indicators)].mean() * 100.0
    out.insert(0, "n_patients", g.size())
    out.insert(1, "n_followed", g["nurse_followed"].sum())
    out.insert(2, "pct_followed", out["n_followed"] / out["n_patients"] * 100.0)
    coh = g[cohort].first()
    out.insert(0, cohort, coh)
    out = out.reset_index()
    out["weight"] = out.groupby(by, sort=False)["n_patients"].transform("mean").astype(float)
    return out


def gp_intensity(df: pd.DataFrame) -> pd.Series:
    """Intensity of the cooperation per Asalée GP: % of its diabetics' patient-years, from its entry year on, with
    a nurse follow-up (``nurse_followed``). Index ``gp_id``; never-Asalée GPs are not in it."""
    c = clean_cohort(df["asalee_year"])
    post = c.notna() & (df["year"] >= c)
    d = df.loc[post, ["gp_id", "nurse_followed"]]
    return (d.groupby("gp_id")["nurse_followed"].mean() * 100.0).rename("intensity")


def intensity_groups(intensity: pd.Series, min_units: int = MIN_CELL) -> pd.Series:
    """Terciles of intensity among Asalée GPs (``low``/``mid``/``high``); halves (``low``/``high``) when there are
    fewer than 3 × ``min_units`` GPs; empty when there are fewer than 2 × ``min_units``."""
    n = len(intensity)
    k = 3 if n >= 3 * min_units else 2 if n >= 2 * min_units else 0
    if k == 0 or intensity.nunique() < k:
        return pd.Series(dtype=object, name="intensity_group")
    ranks = intensity.rank(method="first")
    return pd.qcut(ranks, k, labels=list(INTENSITY_LABELS[k])).astype(str).rename("intensity_group")


def per_protocol_panel(df: pd.DataFrame, indicators: Sequence[str] = INDICATORS) -> tuple[pd.DataFrame, dict]:
    """Closed cohort (patients observed every year) aggregated by GP × first-followed-year cell.

    Treated cells: patients of Asalée GPs ever followed by the nurse, cohort = first year followed. Comparison cells:
    patients of never-Asalée GPs (cohort empty). Patients of Asalée GPs never followed are left out (they are in the
    ITT, not in the per-protocol comparison). Returns the cell × year panel (``cell`` id, ``gp_id``,
    ``first_followed``, shares × 100, ``n_patients``, ``weight``) and counts of patients kept/dropped.
    """
    years = np.sort(df["year"].unique())
    n_years = df.groupby("patient_id", sort=False)["year"].nunique()
    closed = n_years.index[n_years == len(years)]
    d = df[df["patient_id"].isin(closed)]
    coh = clean_cohort(d["asalee_year"])
    first = d.loc[d["nurse_followed"] == 1].groupby("patient_id")["year"].min()
    ff = d["patient_id"].map(first)
    keep_t = coh.notna() & ff.notna()
    keep_c = coh.isna()
    d = d.loc[keep_t | keep_c].assign(first_followed=ff[keep_t | keep_c].astype(float))
    counts = {
        "patients_total": int(df["patient_id"].nunique()),
        "patients_closed": int(len(closed)),
        "patients_followed": int(d.loc[d["first_followed"].notna(), "patient_id"].nunique()),
        "patients_control": int(d.loc[d["first_followed"].isna(), "patient_id"].nunique()),
    }
    if d.empty:
        return pd.DataFrame(), counts
    cells = aggregate_gp_year(d.assign(_cohort=d["first_followed"].fillna(0)), indicators,
                              by=("gp_id", "_cohort"), cohort="first_followed")
    cells["cell"] = cells["gp_id"].astype(str) + ":" + cells["_cohort"].astype(int).astype(str)
    counts["gps_followed"] = int(cells.loc[cells["first_followed"].notna(), "gp_id"].nunique())
    counts["gps_control"] = int(cells.loc[cells["first_followed"].isna(), "gp_id"].nunique())
    return cells.drop(columns="_cohort"), counts


def published_design(df: pd.DataFrame, ind: str) -> dict[str, float] | None:
    """The published per-protocol comparison: first vs last year, patients present both years, followed by the nurse
    in the last year (Asalée GPs) vs patients of comparison GPs — 2×2 DiD (evalkit.estimators.did_2x2), SE clustered
    by GP (patients of a GP are not independent draws).

    Keys: ``estimate, std_error, ci_low, ci_high``, group means ``pre_t, pre_c, post_t, post_c`` (%), ``n_treated,
    n_control`` (patients), ``n_obs``, ``year0, year1``. None without treated or comparison patients.
    """
    y0, y1 = int(df["year"].min()), int(df["year"].max())
    d = df[df["year"].isin([y0, y1])]
    both = d.groupby("patient_id")["year"].nunique()
    d = d[d["patient_id"].isin(both.index[both == 2])]
    fol = d.loc[(d["year"] == y1) & (d["nurse_followed"] == 1), "patient_id"]
    coh = clean_cohort(d["asalee_year"])
    treated = d["patient_id"].isin(set(fol))
    control = coh.isna()
    d = d[treated | control].assign(_T=treated[treated | control].astype(int), _P=(d["year"] == y1).astype(int),
                                     _y=d[ind] * 100.0)
    if d["_T"].sum() == 0 or (d["_T"] == 0).sum() == 0:
        return None
    r = did_2x2(d, "_y", "patient_id", "year", "_T", "_P", cluster="gp_id")  # GPs are the sampling units
    m = r.means
    n_t = int(d.loc[d["_T"] == 1, "patient_id"].nunique())
    n_c = int(d.loc[d["_T"] == 0, "patient_id"].nunique())
    return {"estimate": r.estimate, "std_error": r.std_error, "ci_low": r.ci_low, "ci_high": r.ci_high,
            "pre_t": float(m.loc["treated", "pre"]), "pre_c": float(m.loc["control", "pre"]),
            "post_t": float(m.loc["treated", "post"]), "post_c": float(m.loc["control", "post"]),
            "n_treated": n_t, "n_control": n_c, "n_obs": r.n_obs, "year0": y0, "year1": y1}


def yearly_trends(df: pd.DataFrame, cells: pd.DataFrame, inds: Sequence[str]) -> pd.DataFrame:
    """Yearly shares (%) by group — ``followed`` (closed cohort), ``asalee_all`` (all diabetics of Asalée GPs),
    ``control`` (comparison GPs): columns ``group, outcome, year, share, n_patients``; cells of fewer than 11
    patients left out."""
    out = []
    coh = clean_cohort(df["asalee_year"])
    for name, mask in (("asalee_all", coh.notna()), ("control", coh.isna())):
        d = df[mask]
        if d.empty:
            continue
        m = d.groupby("year")[list(inds)].mean() * 100
        n = d.groupby("year")["patient_id"].nunique()
        for ind in inds:
            out.append(pd.DataFrame({"group": name, "outcome": ind, "year": m.index, "share": m[ind].to_numpy(),
                                     "n_patients": n.to_numpy()}))
    if not cells.empty and cells["first_followed"].notna().any():
        f = cells[cells["first_followed"].notna()]
        for ind in inds:
            g = f.groupby("year").apply(lambda x: np.average(x[ind], weights=x["n_patients"]), include_groups=False)
            n = f.groupby("year")["n_patients"].sum()
            out.append(pd.DataFrame({"group": "followed", "outcome": ind, "year": g.index, "share": g.to_numpy(),
                                     "n_patients": n.to_numpy()}))
    t = pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=["group", "outcome", "year", "share",
                                                                             "n_patients"])
    return t[t["n_patients"] >= MIN_CELL].reset_index(drop=True)


def sample_counts(df: pd.DataFrame) -> pd.DataFrame:
    """GPs, patients, patient-years and % of post-entry patient-years followed by the nurse, by entry cohort
    (``cohort``: entry year, NaN = comparison GPs, last): columns ``cohort, n_gps, n_patients, n_patient_years,
    pct_followed_post``."""
    c = clean_cohort(df["asalee_year"])
    followed_post = pd.to_numeric(df["nurse_followed"]).astype(float).where(c.notna() & (df["year"] >= c))
    out = (df.assign(cohort=c.fillna(np.inf), _fp=followed_post).groupby("cohort")
           .agg(n_gps=("gp_id", "nunique"), n_patients=("patient_id", "nunique"),
                n_patient_years=("patient_id", "size"), pct_followed_post=("_fp", "mean"))
           .reset_index())
    out["pct_followed_post"] *= 100
    out["cohort"] = out["cohort"].replace(np.inf, np.nan)
    return out


# --- fits -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Fit:
    """One Callaway–Sant'Anna fit as the chapter reads it.

    ``simple``: overall ATT (post-treatment ATT(g,t), cohort-size weights — sizes in patients when weighted), with
    ``n_units`` = units in the fit and ``n_obs`` = underlying observations (patient-years). ``event``: ``event_time,
    estimate, std_error, ci_low, ci_high, n_units`` (treated units contributing). ``pretest_p``: joint Wald test that
    every pre-treatment event-time effect is 0. ``pre_mean``: (weighted) mean outcome of the treated units the year
    before entry. ``units``: ids of the units in the estimation sample; ``cohorts``: their entry cohorts.
    """

    outcome: str
    simple: Estimate
    event: pd.DataFrame
    pretest_p: float
    pre_mean: float
    n_units: int
    n_treated: int
    n_control: int
    n_obs: int
    control_group: str
    units: np.ndarray
    cohorts: tuple[int, ...]

    @property
    def publishable(self) -> bool:
        """At least 11 treated units, and 11 comparison units when the comparison is the never-treated."""
        return self.n_treated >= MIN_CELL and (self.n_control >= MIN_CELL or self.control_group != "never_treated")


def cs_sample(panel: pd.DataFrame, *, unit: str = "gp_id", cohort: str = "asalee_year",
           weight: str | None = "weight") -> Panel:
    """A unit × year panel (:func:`aggregate_gp_year` or :func:`per_protocol_panel`) prepared once for the
    Callaway–Sant'Anna fits of its indicators, units weighted by ``weight`` (None: each unit counts once)."""
    return prepare(panel, unit, "year", cohort, weights=weight)


def fit_cs(data: Panel, outcome: str, *, cluster: str | None = None, control_group: str = "never_treated",
           n_obs: str = "n_patients") -> tuple[Fit, CSResult, list[str]]:
    """Callaway–Sant'Anna (:func:`evalkit.estimators.callaway_santanna`: outcome regression, no covariates, varying
    base period) of ``outcome`` on a :func:`cs_sample`, SEs clustered by ``cluster`` (None: by unit).

    Returns the chapter's :class:`Fit` (``n_obs``: sum of the column ``n_obs`` — patient-years — over the units
    kept), the engine's result, and the messages of the warnings the fit raised (units dropped by the panel
    preparation, group-time cells without a comparison unit): recorded as notes, not shown.
    """
    with collect_warnings() as caught:
        cs = callaway_santanna(data, outcome, control_group=control_group, est_method="reg", cluster=cluster)
    gt = cs.influence()
    kept = np.zeros(data.n_units, dtype=bool)  # units of the estimation sample (the panel's ids are sorted)
    kept[np.searchsorted(data.unit_ids, gt.unit_ids)] = True
    obs = int(np.nansum(data.column(n_obs)[kept[data.codes]]))
    n_treated = int(cs.n_treated)
    fit = Fit(outcome, dataclasses.replace(cs.simple, n_obs=obs), cs.dynamic.table.drop(columns="p_value"),
              cs.pretest("event_time")[2], cs.pre_mean, cs.n_units, n_treated, cs.n_units - n_treated, obs,
              control_group, np.asarray(gt.unit_ids), tuple(sorted(int(g) for g in set(gt.unit_cohort) - {0})))
    return fit, cs, list(caught)


# --- the result -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AsaleeResult:
    """Everything the chapter computes (tidy tables in long format; no French).

    ``itt``: one row per indicator (``outcome, estimate, std_error, ci_low, ci_high, p_value, p_holm, p_romano_wolf,
    pre_mean, n_gps, n_treated, n_obs, pretest_p`` — the adjusted p-values for the six tests); ``first_stage``: CS
    ATT of the share of patients followed (pp), None without nurse follow-up; ``wald``: effect on followed patients
    per indicator (``outcome, estimate, std_error, ci_low, ci_high, p_value, itt, first_stage, n_gps``);
    ``selection``: per protocol − Wald per indicator (``outcome, per_protocol, wald, estimate, std_error, ci_low,
    ci_high, p_value``); ``dose_test``: equality of the intensity groups' effects on followed patients per indicator
    (``outcome, stat, df, p_value, n_groups, increasing`` — point estimates strictly increasing with intensity);
    ``event_hba1c``: event study of the main indicator with a universal base year (the year before entry, a
    ``reference`` row at 0), pointwise CIs and a simultaneous 95 % band (``band_low``, ``band_high``; ``event_band``
    holds its critical value), event times on ≥ 11 treated GPs; ``per_protocol``: one row per
    indicator (cells, patients, GPs); ``dose``: one row per intensity group × indicator; ``robustness``: the main
    indicator under other specifications (``key`` ∈ naive, reference, other_weights, twfe, not_yet_treated);
    ``sample``: :func:`sample_counts` of the GPs kept; ``notes``: what was dropped or changed, in English. ``dose``
    also carries each group's ``first_stage`` and its effect on followed patients (``pf_estimate, pf_std_error,
    pf_ci_low, pf_ci_high``).
    """

    years: list[int]
    cohorts: list[int]
    indicators: list[str]
    main: str
    weights: str
    control_group: str
    gp_panel: pd.DataFrame
    sample: pd.DataFrame
    itt_fits: dict[str, Fit]
    itt: pd.DataFrame
    event_hba1c: pd.DataFrame
    pretest_p: float
    honest: HonestResult | None
    pp_fits: dict[str, Fit]
    per_protocol: pd.DataFrame
    pp_counts: dict[str, int]
    pp_2x2: dict[str, float] | None
    trends: pd.DataFrame
    intensity: pd.Series
    dose_fits: dict[tuple[str, str], Fit]
    dose: pd.DataFrame
    naive_fits: dict[str, Estimate]
    naive: pd.DataFrame
    other_weights: Fit
    not_yet_treated: Fit | None
    twfe: Estimate | None
    robustness: pd.DataFrame
    first_stage: Estimate | None
    wald: pd.DataFrame
    selection: pd.DataFrame
    dose_test: pd.DataFrame
    notes: list[str]
    settings: dict[str, Any]
    event_band: EventStudyBands | None = None
    #: Estimator agreement panel per indicator (:func:`agreement_panels`), on the ITT sample; empty when not asked.
    agreement: dict[str, AgreementResult] = dataclasses.field(default_factory=dict)


def agreement_panels(sample: Panel, fits: dict[str, Fit], control_group: str) -> dict[str, AgreementResult]:
    """The estimator agreement panel of each indicator (:func:`evalkit.estimators.agreement.agreement`), fitted once
    on the ITT sample (GP × year shares, GPs weighted as the headline) with the headline's comparison group."""
    return {ind: agreement(sample, ind, headline=f.simple, control_group=control_group) for ind, f in fits.items()}


def analyse_data(df: pd.DataFrame, *, seed: int = 0,
                 weights: Literal["patients", "units"] = "patients", agreement: bool = True) -> AsaleeResult:
    """The chapter's estimation on any table following the ``asalee`` contract.

    Years, cohorts and GPs are read from the data. ``weights="patients"`` (default) weights each GP by its number
    of diabetic patients (patient-level ITT); ``"units"`` counts each GP once. ``seed`` is recorded (every SE here is
    analytic; the event-study band's bootstrap uses the fixed :data:`BAND_SEED`). ``agreement``: skip the estimator
    agreement panel (:func:`agreement_panels`).
    """
    inds = [i for i in INDICATORS if i in df.columns]
    if not inds:
        raise ValueError("analyse: no indicator column in the data")
    df = df.copy()
    df.attrs = {}  # metadata (e.g. a simulator's planted truth) must not travel into every derived frame
    df["year"] = df["year"].astype(int)
    years = sorted(int(y) for y in df["year"].unique())
    notes: list[str] = []
    wcol = "weight" if weights == "patients" else None

    gp = aggregate_gp_year(df, inds)
    never = gp["asalee_year"].isna().groupby(gp["gp_id"]).first()
    control_group = "never_treated" if never.sum() >= 1 else "not_yet_treated"
    if control_group == "not_yet_treated":
        notes.append("no never-Asalée GP: the comparison group is the GPs not yet entered")

    # --- ITT: CS on the GP-year panel, one fit per indicator -------------------------------------------------------
    itt_sample = cs_sample(gp, weight=wcol)
    fits: dict[str, Fit] = {}
    itt_if: dict[str, tuple[float, pd.Series]] = {}  # simple ATT and its influence function by GP, per indicator
    main = MAIN if MAIN in inds else inds[0]
    for ind in inds:
        fits[ind], cs, fit_notes = fit_cs(itt_sample, ind, control_group=control_group)
        itt_if[ind] = simple_influence(cs)
        notes += [f"ITT, {ind}: {n}" for n in fit_notes]
        if ind == main:
            main_cs = cs
    first = fits[inds[0]]
    cohorts = list(first.cohorts)
    itt = pd.DataFrame([{"outcome": ind, **ci_cells(f.simple, "p_value"), "pre_mean": f.pre_mean, "n_gps": f.n_units,
                         "n_treated": f.n_treated, "n_obs": f.n_obs, "pretest_p": f.pretest_p}
                        for ind, f in fits.items()])
    # multiplicity: the six tests share the GPs — Holm, and Romano–Wolf on the joint influence functions
    itt.insert(6, "p_holm", holm(itt["p_value"].to_numpy()))
    itt.insert(7, "p_romano_wolf", romano_wolf(itt["estimate"].to_numpy(), stack({i: itt_if[i][1] for i in inds})[inds],
                                               draws=RW_DRAWS, seed=seed))

    # --- effect on followed patients: Wald DiD = ITT ÷ first stage (CS ATT of the share followed) -------------
    first_stage, fs_if = _first_stage(itt_sample, control_group, notes, "first stage")
    wald_rows = []
    wald_if: dict[str, pd.Series] = {}
    if fs_if is not None:
        for ind in inds:
            w = wald_did(itt_if[ind], fs_if, scale=100.0)
            wald_if[ind] = w.influence
            wald_rows.append({"outcome": ind, **ci_cells(w.estimate, "p_value"), "itt": w.itt,
                              "first_stage": w.first_stage, "n_gps": fits[ind].n_units})
    wald = pd.DataFrame(wald_rows, columns=["outcome", "estimate", "std_error", "ci_low", "ci_high", "p_value", "itt",
                                            "first_stage", "n_gps"])
    agree = agreement_panels(itt_sample, fits, control_group) if agreement else {}
    hon = None
    if (main_cs.dynamic.table["event_time"] < 0).any():  # HonestDiD learns from the pre-entry event times
        hon = honest_did(main_cs, e="average", mbar=HONEST_MBAR)
    kept = first.units
    with collect_warnings() as caught:  # the universal-base refit raises the main fit's warnings again
        band = main_cs.event_study(draws=BAND_DRAWS, seed=BAND_SEED)
    notes += [f"event study (universal base year), {main}: {n}" for n in caught]

    # --- per protocol ---------------------------------------------------------------------------------------------
    cells, pp_counts = per_protocol_panel(df, inds)
    pp_rows, pp_fits = [], {}
    pp_if: dict[str, tuple[float, pd.Series]] = {}
    pp_2x2 = None
    if not cells.empty and cells["first_followed"].notna().any():
        pp_cg = "never_treated" if cells["first_followed"].isna().any() else "not_yet_treated"
        pp_sample = cs_sample(cells, unit="cell", cohort="first_followed")
        for ind in inds:
            try:
                f, pp_cs, fit_notes = fit_cs(pp_sample, ind, cluster="gp_id", control_group=pp_cg)
            except ValueError as e:
                notes.append(f"per protocol, {ind}: {e}")
                continue
            pp_if[ind] = simple_influence(pp_cs)  # summed by GP: comparable with the GP-level fits
            notes += [f"per protocol, {ind}: {n}" for n in fit_notes]
            pp_fits[ind] = f
            pan = cells[cells["cell"].isin(f.units)]
            pp_rows.append({"outcome": ind, **ci_cells(f.simple, "p_value"), "n_cells": f.n_units, "n_obs": f.n_obs,
                            "n_patients": int(pan.drop_duplicates("cell")["weight"].sum()),
                            "n_gps": int(pan["gp_id"].nunique()),
                            "n_gps_treated": int(pan.loc[pan["first_followed"].notna(), "gp_id"].nunique()),
                            "pretest_p": f.pretest_p})
        pp_2x2 = published_design(df, main)
    per_protocol = pd.DataFrame(pp_rows, columns=["outcome", "estimate", "std_error", "ci_low", "ci_high", "p_value",
                                                  "n_cells", "n_obs", "n_patients", "n_gps", "n_gps_treated",
                                                  "pretest_p"])
    # selection diagnostic: per protocol − Wald, both influence functions summed by GP
    sel_rows = []
    for ind in [i for i in inds if i in pp_if and i in wald_if]:
        w = wald.set_index("outcome").loc[ind, "estimate"]
        gap, psi = difference(pp_if[ind][0], pp_if[ind][1], float(w), wald_if[ind])
        e = if_estimate(gap, psi, "per_protocol_minus_wald")
        sel_rows.append({"outcome": ind, "per_protocol": pp_if[ind][0], "wald": float(w), **ci_cells(e, "p_value")})
    selection = pd.DataFrame(sel_rows, columns=["outcome", "per_protocol", "wald", "estimate", "std_error", "ci_low",
                                                "ci_high", "p_value"])

    # --- dose–response by intensity -----------------------------------------------------------------------------
    inten = gp_intensity(df[df["gp_id"].isin(kept)])
    groups = intensity_groups(inten)
    dose, dose_fits, dose_if = dose_response(gp, inten, groups, inds, control_group, wcol, notes)
    dose_test = dose_equality(dose, dose_if)

    # --- naive cross-section and robustness (main indicator) ------------------------------------------------------
    last = years[-1]
    df["_asalee_gp"] = clean_cohort(df["asalee_year"]).notna().astype(int)
    naive_fits: dict[str, Estimate] = {}
    for ind in inds:
        try:
            naive_fits[ind] = naive_cross_section(df.assign(_y=df[ind] * 100.0), "_y", last, "_asalee_gp")
        except ValueError:
            continue
    naive = pd.DataFrame([{"outcome": i, "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high,
                           "n_obs": e.n_obs} for i, e in naive_fits.items()],
                         columns=["outcome", "estimate", "ci_low", "ci_high", "n_obs"])
    other_w, _, _ = fit_cs(cs_sample(gp, weight=None if wcol else "weight"), main, control_group=control_group)
    tw = None
    try:  # the classic estimator, for the lesson: GP and year fixed effects, each GP counts once (no weights)
        tw = twfe(gp[gp["gp_id"].isin(kept)], main, "gp_id", "year", "asalee_year")
    except Exception as e:  # noqa: BLE001 — a failed TWFE must not stop the chapter; it is reported in the notes
        notes.append(f"TWFE not estimated: {e}")
    not_yet = None
    if control_group == "never_treated" and len(cohorts) > 1:
        not_yet, _, fit_notes = fit_cs(itt_sample, main, control_group="not_yet_treated")
        notes += [f"not-yet-treated comparison, {main}: {n}" for n in fit_notes]
    rob = [("naive", naive_fits.get(main)), ("reference", fits[main].simple), ("other_weights", other_w.simple),
           ("twfe", tw), ("not_yet_treated", None if not_yet is None else not_yet.simple)]
    robustness = pd.DataFrame([{"key": k, "estimate": e.estimate, "ci_low": e.ci_low, "ci_high": e.ci_high}
                               for k, e in rob if e is not None], columns=["key", "estimate", "ci_low", "ci_high"])

    pk = df[df["gp_id"].isin(kept)]
    settings = dict(seed=seed, weights=weights, control_group=control_group, est_method="reg", covariates=[],
                    rw_draws=RW_DRAWS, n_gps_asalee=int(first.n_treated), n_gps_control=int(first.n_control),
                    n_patients=int(pk["patient_id"].nunique()), n_patient_years=int(first.n_obs))
    return AsaleeResult(
        years=years, cohorts=cohorts, indicators=inds, main=main, weights=weights, control_group=control_group,
        gp_panel=gp, sample=sample_counts(pk), itt_fits=fits, itt=itt, event_hba1c=band.table.copy(),
        pretest_p=fits[main].pretest_p, honest=hon, pp_fits=pp_fits, per_protocol=per_protocol, pp_counts=pp_counts,
        pp_2x2=pp_2x2, trends=yearly_trends(df, cells, inds), intensity=inten, dose_fits=dose_fits, dose=dose,
        naive_fits=naive_fits, naive=naive, other_weights=other_w, not_yet_treated=not_yet, twfe=tw,
        robustness=robustness, first_stage=first_stage, wald=wald, selection=selection, dose_test=dose_test,
        notes=notes, settings=settings, event_band=band, agreement=agree,
    )


def dose_response(gp: pd.DataFrame, inten: pd.Series, groups: pd.Series, inds: Sequence[str], control_group: str,
                  wcol: str | None, notes: list[str]
                  ) -> tuple[pd.DataFrame, dict[tuple[str, str], Fit], dict[tuple[str, str], pd.Series]]:
    """Per intensity group (:func:`intensity_groups` of :func:`gp_intensity`) and indicator: the group's ITT (its
    Asalée GPs and all comparison GPs of the GP panel ``gp``), its first stage and its effect on followed patients
    (ITT ÷ its own first stage). Returns the ``dose`` table of :class:`AsaleeResult`, the fits, and the influence
    functions of the effects on followed patients (by GP) for :func:`dose_equality`. ``notes`` is appended to."""
    dose_rows: list[dict] = []
    dose_fits: dict[tuple[str, str], Fit] = {}
    dose_if: dict[tuple[str, str], pd.Series] = {}  # (group, indicator) → influence of the effect on the followed
    if len(groups) and inten.max() > 0:
        ctrl = gp[gp["asalee_year"].isna()]
        for label in [g for g in ("low", "mid", "high") if g in set(groups)]:
            ids = groups.index[groups == label]
            sub = cs_sample(pd.concat([gp[gp["gp_id"].isin(ids)], ctrl]), weight=wcol)
            g_fs, g_fs_if = _first_stage(sub, control_group, notes, f"intensity {label}, first stage")
            for ind in inds:
                try:
                    f, g_cs, fit_notes = fit_cs(sub, ind, control_group=control_group)
                except ValueError as e:
                    notes.append(f"intensity {label}, {ind}: {e}")
                    continue
                notes += [f"intensity {label}, {ind}: {n}" for n in fit_notes]
                dose_fits[(label, ind)] = f
                pf = dict.fromkeys(["estimate", "std_error", "ci_low", "ci_high"], np.nan)
                if g_fs_if is not None:  # the group's ITT over its own first stage
                    w = wald_did(simple_influence(g_cs), g_fs_if, scale=100.0)
                    dose_if[(label, ind)] = w.influence
                    pf = ci_cells(w.estimate)
                dose_rows.append({"group": label, "outcome": ind, **ci_cells(f.simple), "n_gps": f.n_treated,
                                  "n_units": f.n_units, "n_obs": f.n_obs, "intensity_mean": float(inten[ids].mean()),
                                  "intensity_min": float(inten[ids].min()), "intensity_max": float(inten[ids].max()),
                                  "first_stage": np.nan if g_fs is None else g_fs.estimate,
                                  **{f"pf_{k}": v for k, v in pf.items()}})
    dose = pd.DataFrame(dose_rows, columns=["group", "outcome", "estimate", "std_error", "ci_low", "ci_high", "n_gps",
                                            "n_units", "n_obs", "intensity_mean", "intensity_min", "intensity_max",
                                            "first_stage", "pf_estimate", "pf_std_error", "pf_ci_low", "pf_ci_high"])
    return dose, dose_fits, dose_if


def _first_stage(sample: Panel, control_group: str, notes: list[str], what: str
                 ) -> tuple[Estimate | None, tuple[float, pd.Series] | None]:
    """CS ATT of the share of patients followed (:data:`TAKE_UP`, percent) on a prepared sample, and its
    (value, influence function by GP) — None when nobody is followed, or when the share followed does not rise
    significantly (a ratio over a first stage indistinguishable from 0 has no usable distribution)."""
    take_up = sample.column(TAKE_UP)
    if not np.nanmax(take_up, initial=0.0) > 0:
        return None, None
    try:
        with collect_warnings() as caught:  # (no pre-test here: nobody is followed before entry, a singular one)
            cs = callaway_santanna(sample, TAKE_UP, control_group=control_group, est_method="reg")
    except ValueError as e:
        notes.append(f"{what}: {e}")
        return None, None
    notes += [f"{what}: {n}" for n in caught]
    if not cs.simple.ci_low > 0:
        notes.append(f"{what}: the share followed does not rise significantly; no effect on followed patients")
        return cs.simple, None
    return cs.simple, simple_influence(cs)


def dose_equality(dose: pd.DataFrame, influence: dict[tuple[str, str], pd.Series]) -> pd.DataFrame:
    """Per indicator, Wald test that the intensity groups' effects on followed patients (``pf_estimate``) are equal,
    on their joint influence functions (the groups share the comparison GPs): ``outcome, stat, df, p_value,
    n_groups, increasing`` (point estimates strictly increasing from the least to the most intense group)."""
    rows = []
    for ind, d in dose.sort_values("intensity_mean").groupby("outcome", sort=False):
        d = d[[(g, ind) in influence for g in d["group"]]]
        if len(d) < 2:
            continue
        psi = stack({g: influence[(g, ind)] for g in d["group"]})[list(d["group"])]
        stat, df_, p = equality_test(d["pf_estimate"].to_numpy(), psi)
        rows.append({"outcome": ind, "stat": stat, "df": df_, "p_value": p, "n_groups": len(d),
                     "increasing": bool(np.all(np.diff(d["pf_estimate"].to_numpy()) > 0))})
    return pd.DataFrame(rows, columns=["outcome", "stat", "df", "p_value", "n_groups", "increasing"])
