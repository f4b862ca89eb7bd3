"""Assistants médicaux: the estimation (data frame in, frozen result out; no French, no environment, no files).

1. the descriptive before/after the Cnam publishes (earliest signatories, 30 and 48 months after baseline), and the
   raw comparison with non-signatories;
2. staggered difference-in-differences (Callaway & Sant'Anna, doubly robust with baseline covariates, never-treated
   and not-yet-treated comparisons), overall and by option; dynamic effects by years since the contract;
3. options compared on comparable GPs: full time exists only in underserved areas, so the three options are compared
   among underserved GPs (each against underserved never-signatories), and third vs half among all GPs; differences
   from the joint influence functions of the option-level fits; and the multi-valued treatment DiD of Callaway,
   Goodman-Bacon & Sant'Anna (2024) with the assistant's working time as a discrete dose, among underserved GPs;
4. the share of GPs reaching their contractual patientèle target (avenant 7), with a placebo on non-signatories;
5. the public cost per additional MT patient (aid schedule ÷ patients gained), with propagated uncertainty;
6. a national projection (published contract counts × estimated gain per contract);
7. HonestDiD sensitivity.

Everything is derived from the data (years, cohorts, options present); the policy parameters are in :mod:`.policy`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from ...disclosure import MIN_CELL
from ...estimators import callaway_santanna, discrete_dose_did, honest_did, naive_cross_section, twfe
from ...estimators.dose import DoseResult
from ...estimators.agreement import AgreementResult, agreement
from ...estimators.base import Estimate, caught, normal_ci
from ...estimators.staggered import CSResult, EventStudyBands, HonestResult, Panel
from ...estimators.staggered import prepare as prepare_cs
from .. import BAND_DRAWS, BAND_SEED, HONEST_MBAR
from .policy import (CONTRACTS, COHORT, OPTION, OPTION_FTE, OPTION_SHARES_2021, OPTIONS, OUTCOMES, TARGET_YEAR, TIME,
                     UNIT, aid, contract_target)

SIGNATORIES, NEVER = "signatories", "never_signatories"  # the two groups of the descriptive tables


# --- small numerical helpers (tested against hand computations) ------------------------------------------------------


def cost_ratio(cost: float, gain: float, gain_se: float) -> Estimate:
    """Cost per unit gained, ``cost / gain`` (C known, e.g. the public aid; G estimated).

    SE by the delta method, ``cost · se(G) / G²``. CI: the map G ↦ cost / G is monotone, so the 95 % CI is
    ``[cost / G_high, cost / G_low]`` from G's normal CI — exact given G's CI, and asymmetric. If G's CI reaches 0 the
    upper bound is infinite (no gain cannot be excluded); if G ≤ 0 the ratio is undefined (NaN).
    """
    if not np.isfinite(gain) or gain <= 0:
        return Estimate("cost_ratio", *[float("nan")] * 4)
    lo, hi = normal_ci(gain, gain_se)
    se = cost * gain_se / gain**2
    ci_low = cost / hi if hi > 0 else float("nan")
    ci_high = cost / lo if lo > 0 else float("inf")
    return Estimate("cost_ratio", cost / gain, se, ci_low, ci_high)


def linear_combination(weights: Mapping[str, float], estimates: Mapping[str, float],
                       cov: pd.DataFrame) -> tuple[float, float]:
    """``Σ w_k θ_k`` and its SE ``√(w'Σw)`` for estimates θ with covariance matrix ``cov`` (indexed by the keys)."""
    keys = [k for k in weights if k in estimates]
    w = np.array([weights[k] for k in keys], dtype=float)
    th = np.array([estimates[k] for k in keys], dtype=float)
    v = cov.loc[keys, keys].to_numpy(float)
    return float(w @ th), float(math.sqrt(max(w @ v @ w, 0.0)))


def projection(n_contracts: float, shares: Mapping[str, float], gains: Mapping[str, float],
               cov: pd.DataFrame) -> Estimate:
    """National patients gained: ``n_contracts × Σ_k share_k · gain_k`` with SE from the gains' covariance.

    Shares of options absent from ``gains`` are dropped and the others renormalised.
    """
    keys = [k for k in shares if k in gains]
    tot = sum(shares[k] for k in keys)
    w = {k: n_contracts * shares[k] / tot for k in keys}
    est, se = linear_combination(w, gains, cov)
    return Estimate.from_se("projection", est, se)


# --- preparation and fits ------------------------------------------------------------------------------------------


def prepare(df: pd.DataFrame) -> pd.DataFrame:
    """Numeric copy of a validated table, plus first-year levels of the outcomes (``<outcome>_first``)."""
    d = df.copy()
    for c in (*OUTCOMES, "age", "female", "underserved"):
        d[c] = pd.to_numeric(d[c], errors="coerce").astype(float)
    d[COHORT] = pd.to_numeric(d[COHORT], errors="coerce").astype(float)
    d[OPTION] = d[OPTION].where(d[OPTION].notna(), None)
    d[TIME] = d[TIME].astype(int)
    d = d.sort_values([UNIT, TIME]).reset_index(drop=True)
    for c in OUTCOMES:
        d[f"{c}_first"] = d.groupby(UNIT)[c].transform("first")
    return d


def _covariates(d: pd.DataFrame, outcome: str, wanted: Sequence[str] | None) -> list[str]:
    cov = list(wanted) if wanted is not None else ["underserved", "age", "female", f"{outcome}_first"]
    return [c for c in cov if c in d and d[c].nunique() > 1]


def _fit(panel: Panel, outcome: str, control_group: str) -> CSResult:
    """One fit, its warnings collected on ``CSResult.warnings`` rather than printed (panel notes, diff-diff's
    propensity-score trimming at 0.01, its « no never-treated units » notice for not-yet-treated fits)."""
    return caught(callaway_santanna, panel, outcome, control_group=control_group)[0]


def _restrict_for_option(d: pd.DataFrame, option: str, covariates: Sequence[str]) -> tuple[pd.DataFrame, list[str],
                                                                                           list[str]]:
    """GPs of ``option`` plus never-signatories; binary covariates constant among the option's signatories (full time
    is underserved-only) restrict the comparison group to the same value and leave the covariate list."""
    sub = d[(d[OPTION] == option) | d[COHORT].isna()]
    treated = sub[sub[OPTION] == option]
    keep, notes = [], []
    for c in covariates:
        vals = treated[c].dropna().unique()
        if len(vals) == 1 and set(sub[c].dropna().unique()) <= {0.0, 1.0}:
            sub = sub[sub[c] == vals[0]]
            notes.append(f"{c} = {int(vals[0])}")
        elif sub[c].nunique() > 1:
            keep.append(c)
    return sub, keep, notes


def _cov(psis: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Covariance matrix of estimates from their per-GP influence functions (Σ_i ψ_i ψ'_i, GPs aligned)."""
    keys = list(psis)
    if not keys:
        return pd.DataFrame(dtype=float)
    m = pd.concat([psis[k].rename(k) for k in keys], axis=1).fillna(0.0)
    return pd.DataFrame(m.to_numpy().T @ m.to_numpy(), index=keys, columns=keys)


# --- descriptive (as the Cnam publishes) ----------------------------------------------------------------------------


def cnam_descriptive(d: pd.DataFrame, outcomes: Sequence[str] = OUTCOMES) -> pd.DataFrame:
    """Before/after of the earliest signatories, as the Cnam publishes it, and non-signatories over the same years.

    Baseline = 31 December of the year before the contract (g − 1). « 30 months » = mean of years g + 1 and g + 2;
    « 48 months » = year g + 3. Cohorts kept: those observed 48 months after baseline (if none, the earliest cohort and
    the longest horizon observed). Non-signatories: GPs who never sign in the data, over each cohort's calendar window,
    weighted by the cohort's number of signatories. Changes are ratios of means (as 1,318 → 1,576 = +19.5 %).
    ``group`` is :data:`SIGNATORIES` or :data:`NEVER`; ``attrs["cohorts"]`` lists the cohorts kept.
    """
    years = np.sort(d[TIME].unique())
    y_last = int(years.max())
    cohorts = sorted(int(c) for c in d[COHORT].dropna().unique() if c - 1 >= years.min())
    if not cohorts:
        return pd.DataFrame()
    keep = [c for c in cohorts if c + 3 <= y_last] or [cohorts[0]]
    wide = {o: d.pivot(index=UNIT, columns=TIME, values=o) for o in outcomes}
    cohort_of = d.drop_duplicates(UNIT).set_index(UNIT)[COHORT]
    never = cohort_of.index[cohort_of.isna()]
    sizes = {c: int((cohort_of == c).sum()) for c in keep}
    rows = []
    for o in outcomes:
        w = wide[o]
        for group in (SIGNATORIES, NEVER):
            base, h30, h48 = [], [], []  # per kept cohort: (its size, the group's mean) at baseline, 30 and 48 months
            for c, n_c in sizes.items():
                sel = cohort_of.index[cohort_of == c] if group == SIGNATORIES else never
                y30 = [y for y in (c + 1, c + 2) if y <= y_last]
                base.append((n_c, w.loc[sel, c - 1].mean()))
                h30.append((n_c, w.loc[sel, y30].mean(axis=1).mean() if len(y30) == 2 else np.nan))
                h48.append((n_c, w.loc[sel, c + 3].mean() if c + 3 <= y_last else np.nan))
            base = sum(n * b for n, b in base) / sum(sizes.values())
            h30, h48 = _cohort_mean(h30), _cohort_mean(h48)
            rows.append({"outcome": o, "group": group,
                         "n_gps": sum(sizes.values()) if group == SIGNATORIES else len(never),
                         "base": base, "after_30m": h30, "after_48m": h48,
                         "change_30m": h30 - base, "change_48m": h48 - base,
                         "change_30m_pct": 100 * (h30 / base - 1), "change_48m_pct": 100 * (h48 / base - 1)})
    out = pd.DataFrame(rows)
    out.attrs["cohorts"] = keep
    return out


def _cohort_mean(values: Sequence[tuple[int, float]]) -> float:
    """Mean of the finite values weighted by their cohort's size (``(size, value)`` pairs); NaN if none is finite."""
    ok = [(n, v) for n, v in values if np.isfinite(v)]
    return sum(n * v for n, v in ok) / sum(n for n, _ in ok) if ok else np.nan


def trends(d: pd.DataFrame, first: Sequence[int]) -> pd.DataFrame:
    """Mean MT patientèle by years since the contract (e = year − g), earliest signatory cohorts vs never-signatories
    over the same calendar years, index 100 in the year before the contract (e = −1); cohorts weighted by size.

    Only event times observed for every kept cohort are shown, so the last point is the « 48 months » of
    :func:`cnam_descriptive`.
    """
    years = set(int(y) for y in d[TIME].unique())
    wide = d.pivot(index=UNIT, columns=TIME, values="patients_mt")
    cohort_of = d.drop_duplicates(UNIT).set_index(UNIT)[COHORT]
    never = cohort_of.index[cohort_of.isna()]
    ev = sorted(set.intersection(*[{y - c for y in years} for c in first]))
    rows = []
    for lab, pick in ((SIGNATORIES, lambda c: cohort_of.index[cohort_of == c]), (NEVER, lambda c: never)):
        for e in ev:
            num = den = 0.0
            for c in first:
                n_c = float((cohort_of == c).sum())
                ids = pick(c)
                num += n_c * wide.loc[ids, c + e].mean() / wide.loc[ids, c - 1].mean()
                den += n_c
            rows.append({"event_time": e, "index": 100 * num / den, "group": lab})
    return pd.DataFrame(rows)


# --- contract targets -----------------------------------------------------------------------------------------------


def target_attainment(d: pd.DataFrame) -> pd.DataFrame:
    """Share of signatories reaching their contractual target, by option, with a placebo on non-signatories.

    For a GP of cohort g: baseline = MT patientèle in g − 1; percentile = its rank among all GPs that year; target =
    :func:`contract_target`; reached if the patientèle in g + TARGET_YEAR ≥ baseline × (1 + target). Placebo: never-
    signatories above the 30th percentile, same windows (weighted by the option's cohorts), same rule.
    """
    y_last = int(d[TIME].max())
    wide = d.pivot(index=UNIT, columns=TIME, values="patients_mt")
    info = d.drop_duplicates(UNIT).set_index(UNIT)[[COHORT, OPTION]]
    never = info.index[info[COHORT].isna()]
    rows = []
    all_ev = []
    for o in OPTIONS:
        ids = info.index[(info[OPTION] == o)]
        ev, plc = [], []
        for c, grp in info.loc[ids].groupby(COHORT):
            c = int(c)
            if c - 1 not in wide.columns or c + TARGET_YEAR > y_last:
                continue
            base_all = wide[c - 1]
            pct = base_all.rank(pct=True) * 100
            base = base_all[grp.index]
            tgt = contract_target(o, pct[grp.index])
            after = wide.loc[grp.index, c + TARGET_YEAR]
            ev.append(pd.DataFrame({"target": tgt, "growth": 100 * (after / base - 1),
                                    "reached": after >= base * (1 + tgt / 100)}))
            elig = never[pct[never] >= 30]
            tgt0 = contract_target(o, pct[elig])
            after0 = wide.loc[elig, c + TARGET_YEAR]
            reached0 = (after0 >= base_all[elig] * (1 + tgt0 / 100)).mean()
            plc.append((len(grp), reached0))
        if not ev:
            continue
        e = pd.concat(ev)
        all_ev.append(e.assign(option=o))
        w = np.array([n for n, _ in plc], dtype=float)
        rows.append(_target_row(o, e, float(np.average([p for _, p in plc], weights=w)) * 100))
    if all_ev:
        e = pd.concat(all_ev)
        plc_all = np.average([r["placebo_share"] for r in rows], weights=[r["n_gps"] for r in rows])
        rows.append(_target_row("all", e, float(plc_all)))
    return pd.DataFrame(rows)


def _target_row(option: str, e: pd.DataFrame, placebo: float) -> dict:
    n = len(e)
    p = float(e["reached"].mean())
    se = math.sqrt(p * (1 - p) / n) if n else float("nan")
    return {"option": option, "n_gps": n, "target_mean": float(e["target"].mean()),
            "growth_mean": float(e["growth"].mean()), "share_reached": 100 * p, "share_se": 100 * se,
            "placebo_share": placebo}


# --- the result -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssistantsResult:
    """Every number the chapter shows (tidy DataFrames; English keys; no French).

    ``estimators``: the ladder from before/after to the retained DiD (``key, estimate, ci_low, ci_high``); ``dose``,
    ``cost``, ``projection``, ``targets``: one row per option (and ``all``) — in ``dose`` each option against all
    never-signatories (full time: those of underserved areas), ``diff_third`` only for half time (third and half exist
    in every area); ``dose_underserved``: each option among underserved GPs only (``diff_third``, ``diff_half`` from the
    joint influence functions); ``dose_cgbs``: the multi-valued treatment DiD among underserved GPs (or None); ``dynamic``: event-study rows of the main
    and per-option fits (``option`` column), cells on ≥ 11 GPs; ``horizon``: event time at which gains per contract
    are read (each fit's warnings are on its ``CSResult.warnings``); ``truth``: what the caller passed (the generator's
    planted effect, or None) — not used by the estimation. ``event_band``: the main fit's event study with a universal
    base year, pointwise CIs and a simultaneous 95 % band (event times on ≥ 11 GPs).
    """

    seed: int
    data_years: tuple[int, int]
    cohorts: list[int]
    n_gps: int
    n_signatories: int
    covariates: list[str]
    descriptive: pd.DataFrame
    desc_cohorts: list[int]
    trends: pd.DataFrame
    estimators: pd.DataFrame
    cs: dict[str, CSResult]
    cs_variants: dict[str, CSResult]
    by_option: dict[str, CSResult]
    by_option_nyt: dict[str, CSResult]
    option_notes: dict[str, list[str]]
    dynamic: pd.DataFrame
    dose: pd.DataFrame
    by_option_underserved: dict[str, CSResult]
    dose_underserved: pd.DataFrame
    dose_cgbs: DoseResult | None
    horizon: int
    targets: pd.DataFrame
    cost: pd.DataFrame
    projection: pd.DataFrame
    honest: HonestResult | None
    truth: Any = None
    event_band: EventStudyBands | None = None
    #: Estimator agreement panel per outcome (:func:`agreement_panels`); empty when not asked.
    agreement: dict[str, AgreementResult] = field(default_factory=dict)


def agreement_panels(samples: Mapping[str, Panel], cs: Mapping[str, CSResult]) -> dict[str, AgreementResult]:
    """The estimator agreement panel of each outcome (:func:`evalkit.estimators.agreement.agreement`), fitted once
    on the sample of its headline CS (``samples[outcome]``) with never-signatories as comparison and the same
    baseline covariates, entered as covariate × year terms (linear conditional parallel trends; the headline is
    doubly robust)."""
    return {o: agreement(samples[o], o, headline=r.simple, control_group="never_treated",
                         covariates=samples[o].covariates) for o, r in cs.items()}


def analyse_data(df: pd.DataFrame, *, seed: int = 0, truth: Any = None, covariates: Sequence[str] | None = None,
                 horizon: int = 3, agreement: bool = True) -> AssistantsResult:
    """The chapter's whole estimation on any table following the ``assistants`` contract.

    ``covariates``: baseline covariates of the doubly robust DiD (default underserved, age, female and the outcome's
    first-year level); ``horizon``: the event time at which gains per contract are read (default 3 = 48 months after
    baseline), lowered to what the data allow for every option. ``seed`` is recorded (all standard errors are analytic; the
    event-study band's bootstrap uses the fixed :data:`BAND_SEED`). ``truth`` is kept on the result as passed.
    ``agreement``: skip the estimator agreement panel (:func:`agreement_panels`).
    """
    d = prepare(df)
    years = (int(d[TIME].min()), int(d[TIME].max()))
    cohorts = sorted(int(c) for c in d[COHORT].dropna().unique())
    gps = d.drop_duplicates(UNIT)
    n_sign = int(gps[COHORT].notna().sum())
    if n_sign < MIN_CELL or gps[COHORT].isna().sum() < MIN_CELL:
        raise ValueError(f"assistants: {n_sign} signatories and {int(gps[COHORT].isna().sum())} never-signatories; "
                         f"at least {MIN_CELL} of each are needed")

    # 1. Main DiD fits (doubly robust, baseline covariates, never-signatories as comparison) --------------------
    cov = {o: tuple(_covariates(d, o, covariates)) for o in OUTCOMES}  # each outcome's own first-year level
    cov_main = list(cov["patients_mt"])
    # the sample prepared once per covariate set (the engine binds covariates to the prepared panel)
    panels = {c: prepare_cs(d, UNIT, TIME, COHORT, covariates=list(c) or None) for c in {*cov.values(), ()}}
    cs = {o: _fit(panels[cov[o]], o, "never_treated") for o in OUTCOMES}
    main = cs["patients_mt"]
    variants = {
        "not_yet_treated": _fit(panels[cov["patients_mt"]], "patients_mt", "not_yet_treated"),
        "no_covariates": _fit(panels[()], "patients_mt", "never_treated"),
    }
    agree = agreement_panels({o: panels[cov[o]] for o in OUTCOMES}, cs) if agreement else {}

    # 2. By option (one sample each, prepared once for its two comparison groups) ------------------------------
    by_opt, by_opt_nyt, notes = {}, {}, {}
    present = [o for o in OPTIONS if (gps[OPTION] == o).sum() >= MIN_CELL]
    for o in present:
        sub, cov_o, notes[o] = _restrict_for_option(d, o, cov_main)
        p = prepare_cs(sub, UNIT, TIME, COHORT, covariates=cov_o or None)
        by_opt[o] = _fit(p, "patients_mt", "never_treated")
        by_opt_nyt[o] = _fit(p, "patients_mt", "not_yet_treated")

    by_u: dict[str, CSResult] = {}
    if "underserved" in d and d["underserved"].nunique() > 1:
        for o in OPTIONS:
            if "underserved = 1" in notes.get(o, []):  # already fitted among underserved GPs (full time)
                by_u[o] = by_opt[o]
                continue
            # GPs of the option in underserved areas and the never-signatories there; the area leaves the covariates
            sub = d[((d[OPTION] == o) | d[COHORT].isna()) & (d["underserved"] == 1)]
            cov_u = [c for c in cov_main if c != "underserved" and sub[c].nunique() > 1]
            n_t, n_c = sub.loc[sub[OPTION] == o, UNIT].nunique(), sub.loc[sub[COHORT].isna(), UNIT].nunique()
            if n_t >= MIN_CELL and n_c >= MIN_CELL:
                by_u[o] = _fit(prepare_cs(sub, UNIT, TIME, COHORT, covariates=cov_u or None), "patients_mt",
                               "never_treated")

    dynamic = pd.concat([main.dynamic.table.assign(option="all"),
                         *(r.dynamic.table.assign(option=o) for o, r in by_opt.items())], ignore_index=True)
    dynamic = dynamic[dynamic["n_units"] >= MIN_CELL].reset_index(drop=True)
    h = _horizon(dynamic, present, horizon)
    dyn_u = pd.concat([r.dynamic.table.assign(option=o) for o, r in by_u.items()], ignore_index=True) \
        if by_u else pd.DataFrame(columns=["option", "event_time", "n_units"])
    by_u = {o: r for o, r in by_u.items()
            if set(range(h + 1)) <= set(dyn_u[(dyn_u.option == o) & (dyn_u.n_units >= MIN_CELL)].event_time)}

    # 3. Options compared, with joint influence functions; cumulative gains over a balanced event window (R balance_e:
    #    the same cohorts at every e ≤ h) -------------------------------------------------------------------------
    gains, psi_gain, cum, psi_cum = {}, {}, {}, {}
    for o, r in by_opt.items():
        gains[o], psi_gain[o] = r.event_influence([h], balance_e=h)
        cum[o], psi_cum[o] = r.event_influence(range(h + 1), balance_e=h)
    cov_gain, cov_cum = _cov(psi_gain), _cov(psi_cum)
    dose = _dose(by_opt, gains, cov_gain, notes, compare={"half": "third"})
    gains_u, psi_u = {}, {}
    for o, r in by_u.items():
        gains_u[o], psi_u[o] = r.event_influence([h], balance_e=h)
    dose_u = _dose(by_u, gains_u, _cov(psi_u), {o: ["underserved = 1"] for o in by_u},
                   compare={"half": "third", "full": "third"}, also={"full": "half"})
    dose_cgbs = _cgbs(d, cov_main)

    # 4.–6. Contract targets, cost per additional patient, national projection -------------------------------
    targets = target_attainment(d)
    shares = {o: float((gps[OPTION] == o).sum()) for o in by_opt}
    tot = sum(shares.values()) or 1.0
    cost = _cost(by_opt, {o: s / tot for o, s in shares.items()}, gains, cov_gain, cum, cov_cum, h)
    proj_rows = []
    for c in CONTRACTS.itertuples():
        p = projection(c.gp_contracts, OPTION_SHARES_2021, gains, cov_gain) if gains else None
        proj_rows.append({"date": c.date, "contracts": c.contracts, "gp_contracts": c.gp_contracts,
                          **{k: getattr(p, k) if p else np.nan
                             for k in ("estimate", "std_error", "ci_low", "ci_high")}})

    # 7. Sensitivity (HonestDiD, relative magnitudes, on the effect at the horizon) ------------------------------
    try:  # diff-diff's notices on the universal-base refit are not printed (HonestResult.notes)
        hon = caught(honest_did, main, e=h, method="relative_magnitude", mbar=list(HONEST_MBAR))[0]
    except (ValueError, RuntimeError, np.linalg.LinAlgError):
        hon = None

    # 8. Descriptive and the estimator ladder -------------------------------------------------------------------
    desc = cnam_descriptive(d)
    first = desc.attrs.get("cohorts", cohorts[:1])
    return AssistantsResult(
        seed=seed, data_years=years, cohorts=cohorts, n_gps=int(len(gps)), n_signatories=n_sign,
        covariates=list(main.settings.get("covariates", [])), descriptive=desc, desc_cohorts=list(first),
        trends=trends(d, first), estimators=_estimator_ladder(d, desc, main, variants, h), cs=cs,
        cs_variants=variants, by_option=by_opt, by_option_nyt=by_opt_nyt, option_notes=notes, dynamic=dynamic,
        dose=dose, by_option_underserved=by_u, dose_underserved=dose_u, dose_cgbs=dose_cgbs, horizon=h, targets=targets,
        cost=cost, projection=pd.DataFrame(proj_rows), honest=hon, truth=truth, agreement=agree,
        event_band=caught(main.event_study, draws=BAND_DRAWS, seed=BAND_SEED)[0])


def _horizon(dynamic: pd.DataFrame, present: Sequence[str], horizon: int) -> int:
    """The largest event time ≤ ``horizon`` estimated on ≥ 11 GPs for every option present, from e = 0."""
    h = horizon
    for o in present:
        ok = set(dynamic[(dynamic.option == o) & (dynamic.event_time >= 0)]["event_time"])
        e = -1
        while e + 1 in ok and e + 1 <= h:
            e += 1
        h = min(h, e)
    return max(h, 0)


def _diff(a: str, b: str, gains: Mapping[str, float], cov: pd.DataFrame) -> tuple[float, float, float, float]:
    """gain[a] − gain[b], its SE from the joint influence functions, and its 95 % CI (NaN if either is absent, or
    ``b`` None)."""
    if a not in gains or b not in gains:
        return (float("nan"),) * 4
    diff, dse = linear_combination({a: 1.0, b: -1.0}, gains, cov)
    return (diff, dse, *normal_ci(diff, dse))


def _cgbs(d: pd.DataFrame, covariates: Sequence[str]) -> DoseResult | None:
    """Callaway, Goodman-Bacon & Sant'Anna (2024), the assistant's working time (FTE) as a discrete dose, among
    underserved GPs (where the three options exist); None when fewer than 11 GPs take a dose or diff-diff refuses
    (dose levels that differ across cohorts)."""
    if "underserved" not in d or d["underserved"].nunique() < 2:
        return None
    sub = d[d["underserved"] == 1].assign(_dose=lambda x: x[OPTION].map(OPTION_FTE).fillna(0.0).astype(float))
    sub = sub[sub[COHORT].isna() | sub[OPTION].notna()]
    per_dose = sub[sub[COHORT].notna()].drop_duplicates(UNIT)["_dose"].value_counts()
    if len(per_dose) < 2 or (per_dose < MIN_CELL).any() or sub.loc[sub[COHORT].isna(), UNIT].nunique() < MIN_CELL:
        return None
    try:
        return caught(discrete_dose_did, sub, "patients_mt", UNIT, TIME, COHORT, "_dose",
                      covariates=[c for c in covariates if c != "underserved"])[0]
    except (ValueError, NotImplementedError, np.linalg.LinAlgError):
        return None


def _dose(by_opt: Mapping[str, CSResult], gains: Mapping[str, float], cov_gain: pd.DataFrame,
          notes: Mapping[str, list[str]], compare: Mapping[str, str],
          also: Mapping[str, str] | None = None) -> pd.DataFrame:
    """One row per option: simple ATT, gain at the horizon; ``diff_third`` = gain − gain of ``compare[option]``
    (third time) and ``diff_half`` = gain − gain of ``also[option]`` (half time), where asked."""
    rows = []
    for o, r in by_opt.items():
        se = math.sqrt(cov_gain.loc[o, o])
        lo, hi = normal_ci(gains[o], se)
        diffs = {f"{name}{k}": v for name, ref in (("diff_third", compare.get(o)), ("diff_half", (also or {}).get(o)))
                 for k, v in zip(("", "_se", "_ci_low", "_ci_high"), _diff(o, ref, gains, cov_gain))}
        rel = r.relative("simple")
        rows.append({"option": o, "n_gps": r.n_treated, "att": r.simple.estimate, "att_se": r.simple.std_error,
                     "att_ci_low": r.simple.ci_low, "att_ci_high": r.simple.ci_high, "att_pct": rel.estimate,
                     "att_pct_ci_low": rel.ci_low, "att_pct_ci_high": rel.ci_high, "pre_mean": r.pre_mean,
                     "gain": gains[o], "gain_se": se, "gain_ci_low": lo, "gain_ci_high": hi,
                     "gain_pct": 100 * gains[o] / r.pre_mean, "gain_per_fte": gains[o] / OPTION_FTE[o], **diffs,
                     "pretest_p": r.pretest_p, "notes": "; ".join(notes[o])})
    return pd.DataFrame(rows)


def _cost(by_opt: Mapping[str, CSResult], shares: Mapping[str, float], gains: Mapping[str, float],
          cov_gain: pd.DataFrame, cum: Mapping[str, float], cov_cum: pd.DataFrame, h: int) -> pd.DataFrame:
    """Aid over the first h + 1 contract years ÷ patient-years gained; « steady »: year-3 aid ÷ gain at h."""
    rows = []
    for o in by_opt:
        aid_tot = sum(aid(o, e) for e in range(h + 1))
        ratio = cost_ratio(aid_tot, cum[o], math.sqrt(cov_cum.loc[o, o]))
        steady = cost_ratio(aid(o, max(h, 2)), gains[o], math.sqrt(cov_gain.loc[o, o]))
        rows.append({"option": o, "n_gps": by_opt[o].n_treated, "aid_total": aid_tot, "gain_total": cum[o],
                     "gain_total_se": math.sqrt(cov_cum.loc[o, o]), **_ratio_cols(ratio),
                     **_ratio_cols(steady, "steady")})
    if by_opt:
        aid_all = sum(shares[o] * sum(aid(o, e) for e in range(h + 1)) for o in by_opt)
        g_all, g_se = linear_combination(shares, cum, cov_cum)
        steady_aid = sum(shares[o] * aid(o, max(h, 2)) for o in by_opt)
        gh_all, gh_se = linear_combination(shares, gains, cov_gain)
        rows.append({"option": "all", "n_gps": sum(by_opt[o].n_treated for o in by_opt), "aid_total": aid_all,
                     "gain_total": g_all, "gain_total_se": g_se, **_ratio_cols(cost_ratio(aid_all, g_all, g_se)),
                     **_ratio_cols(cost_ratio(steady_aid, gh_all, gh_se), "steady")})
    return pd.DataFrame(rows)


def _ratio_cols(r: Estimate, prefix: str = "") -> dict:
    names = {"estimate": prefix or "estimate", **{k: f"{prefix}_{k}" if prefix else k
                                                  for k in ("std_error", "ci_low", "ci_high")}}
    return {v: getattr(r, k) for k, v in names.items()}


def _estimator_ladder(d: pd.DataFrame, desc: pd.DataFrame, main: CSResult, variants: Mapping[str, CSResult],
                      h: int) -> pd.DataFrame:
    """From the before/after to the retained DiD: ``key, estimate, ci_low, ci_high`` (no CI for descriptive rows)."""
    rows = []
    mt = desc[desc["outcome"] == "patients_mt"].set_index("group") if len(desc) else None
    if mt is not None and np.isfinite(mt.loc[SIGNATORIES, "change_48m"]):
        s, n = mt.loc[SIGNATORIES], mt.loc[NEVER]
        rows.append(("before_after", s["change_48m"], np.nan, np.nan))
        rows.append(("raw_did", s["change_48m"] - n["change_48m"], np.nan, np.nan))
    last = int(d[TIME].max())
    d2 = d.assign(_signed=(d[COHORT].notna() & (d[COHORT] <= last)).astype(int))
    naive = naive_cross_section(d2, "patients_mt", last, "_signed")
    tw = twfe(d, "patients_mt", UNIT, TIME, COHORT)
    for key, e in (("naive", naive), ("twfe", tw), ("cs_nocov", variants["no_covariates"].simple),
                   ("cs_nyt", variants["not_yet_treated"].simple), ("cs", main.simple)):
        rows.append((key, e.estimate, e.ci_low, e.ci_high))
    row_h = main.dynamic.table[main.dynamic.table.event_time == h]
    if len(row_h):
        r = row_h.iloc[0]
        rows.append(("cs_h", r.estimate, r.ci_low, r.ci_high))
    return pd.DataFrame(rows, columns=["key", "estimate", "ci_low", "ci_high"])
